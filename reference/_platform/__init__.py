"""The platform layer: exactly one backend module is loaded, chosen by OS.

See :mod:`.base` for the interface (:class:`~.base.Backend`).
"""

from __future__ import annotations

import sys

from .base import Backend, OsCallError, OsFile


def _select() -> Backend:
    if sys.platform.startswith("linux"):
        from ._linux import LinuxBackend

        return LinuxBackend()
    if sys.platform == "darwin":
        from ._darwin import DarwinBackend

        return DarwinBackend()
    if sys.platform == "win32":
        from ._windows import WindowsBackend

        return WindowsBackend()
    raise ImportError(f"mmapspec.reference: no backend for platform {sys.platform!r}")


backend: Backend = _select()

__all__ = ["Backend", "OsCallError", "OsFile", "backend"]
