"""Opening a :class:`~mmapspec.adapters.interface.FileRef` in this process.

In-process adapters hand the implementation a file in the kind a test asks for;
the ``fd`` and ``fileobj`` kinds are opened the same way whatever the
implementation, so they are opened here. The pipe protocol's harnesses do the
same in their own languages (``PROTOCOL.md``, "FileRef").
"""

from __future__ import annotations

import ctypes
import os
import sys
from typing import IO

from mmapspec.adapters.interface import FileRef, Unsupported

Opened = int | IO[bytes]
"""A descriptor or a file object this process opened for a test."""

_OS_FLAGS = {"r": os.O_RDONLY, "r+": os.O_RDWR, "w+": os.O_RDWR | os.O_CREAT | os.O_TRUNC}
_PY_MODES = {"r": "rb", "r+": "r+b", "w+": "w+b"}
_BINARY = getattr(os, "O_BINARY", 0)
"""Windows' C runtime opens descriptors in text mode unless told otherwise; elsewhere 0.
(Descriptors from ``os.open`` are never inherited by child processes, on every OS:
PEP 446, so no ``O_CLOEXEC``, which Windows lacks.)"""


def open_handed_over(ref: FileRef) -> Opened:
    """Open ``ref`` as the descriptor (``kind='fd'``) or buffered file object
    (``kind='fileobj'``) to hand over, in its ``fopen``-style ``mode``. A file
    object gets ``ref.pending`` written and left unflushed in its buffer. The
    caller closes the result with :func:`close_all` once the map is freed."""
    if ref.kind == "fd":
        return os.open(ref.path, _OS_FLAGS[ref.mode] | _BINARY, 0o666)
    if ref.kind == "fileobj":
        f: IO[bytes] = open(ref.path, _PY_MODES[ref.mode])  # noqa: SIM115 - closed by close_all
        if ref.pending:
            f.write(ref.pending)  # left in the user-space buffer, not flushed
        return f
    raise Unsupported(f"file:{ref.kind}")


def os_handle(fd: int) -> ctypes.c_void_p:
    """The Windows HANDLE behind descriptor ``fd`` (``kind='handle'``). The descriptor
    owns it: close ``fd``, never the handle. Windows only."""
    if sys.platform != "win32":
        raise Unsupported("file:handle")
    import msvcrt

    return ctypes.c_void_p(msvcrt.get_osfhandle(fd))


def close_all(opened: list[Opened]) -> None:
    """Close what was opened, last first, and empty the list."""
    for f in reversed(opened):
        if isinstance(f, int):
            os.close(f)
        else:
            f.close()
    opened.clear()
