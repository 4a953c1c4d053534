"""A tiny adapter whose process dies later than the call that doomed it: after
``aligned_size(13)``, every ``filesize`` dies by SIGSEGV. For the crash triage's
tests."""

from __future__ import annotations

import ctypes

from mmapspec.adapters.interface import Direction, FileRef
from tiny_adapter import TinyAdapter

DOOM = 13


class DoomedAdapter(TinyAdapter):
    doomed = False

    def aligned_size(self, size: int, dir: Direction | None = None) -> int:
        if size == DOOM:
            type(self).doomed = True
        return super().aligned_size(size, dir)

    def filesize(self, file: FileRef, size: int | None = None) -> int:
        if type(self).doomed:
            _ = ctypes.c_char.from_address(8).value  # a garbage pointer: SIGSEGV
        return super().filesize(file, size)
