"""Deviants of what a map does once made: ``map:free``, ``map:flush`` and ``mmap.unlink``."""

from __future__ import annotations

import ctypes
import os

from mmapspec.adapters.interface import Handle, MapInfo
from mmapspec.bench.libc import MS_ASYNC, MS_SYNC

from .base import Deviant, MapCall, libc, os_failure

# ------------------------------------------------------------------ map:free


class FreeLeaksDescriptor(Deviant):
    """A file mapped by name is opened a second time (kept for flushing) and ``free()``
    never closes that descriptor."""

    INTENDED = "free.closes-file-opened-by-map"

    def __init__(self) -> None:
        super().__init__()
        self._kept: dict[Handle, int] = {}
        self._leaked: list[int] = []

    def do_map(self, call: MapCall) -> MapInfo:
        info = super().do_map(call)
        if call.file is not None and call.file.kind == "name":
            self._kept[info.handle] = os.open(call.file.path, os.O_RDONLY | os.O_CLOEXEC)
        return info

    def free(self, handle: Handle) -> None:
        super().free(handle)
        if handle in self._kept:
            self._leaked.append(self._kept.pop(handle))  # the defect: never closed

    def close(self) -> None:
        # The process's end would close them; closing here keeps a long run of the
        # spec from exhausting this worker's descriptors.
        super().close()
        for fd in [*self._leaked, *self._kept.values()]:
            os.close(fd)
        self._leaked.clear()
        self._kept.clear()


class FreedMapStillReadable(Deviant):
    """Reading a freed map gives zeros and writing one is dropped, where an error was
    due: the binding keeps a freed map's buffer object and answers from it."""

    INTENDED = "free.freed-memory-refused"

    def read(self, handle: Handle, offset: int, length: int) -> bytes:
        if handle in self._freed:
            return bytes(length)  # the defect
        return super().read(handle, offset, length)

    def write(self, handle: Handle, offset: int, data: bytes) -> None:
        if handle in self._freed:
            return  # the defect
        super().write(handle, offset, data)


# ------------------------------------------------------------------ map:flush


class FlushReturnsFalse(Deviant):
    """``flush`` flushes but returns false: the binding hands back msync's C result,
    0 on success, as the boolean."""

    INTENDED = "flush.forms"

    def flush(
        self,
        handle: Handle,
        async_: bool | None = None,
        addr: int | None = None,
        size: int | None = None,
    ) -> bool:
        super().flush(handle, async_, addr, size)
        return False  # the defect


class UnalignedFlushEinval(Deviant):
    """An unaligned address goes to msync unaligned, which the OS refuses with EINVAL,
    instead of being aligned to the left."""

    INTENDED = "flush.unaligned-addr-aligned-left"

    def flush(
        self,
        handle: Handle,
        async_: bool | None = None,
        addr: int | None = None,
        size: int | None = None,
    ) -> bool:
        if addr is not None and size is not None and addr % self.pagesize():
            self._get(handle)
            flags = MS_ASYNC if async_ else MS_SYNC
            if libc.msync(addr, size, flags) != 0:  # the defect: no alignment first
                raise os_failure(ctypes.get_errno(), "msync")
            return True
        return super().flush(handle, async_, addr, size)


class FreedFlushSaysTrue(Deviant):
    """``flush`` on a freed map returns true and flushes nothing: the binding checks
    the pointer is not NULL, not that the map is still live."""

    INTENDED = "flush.freed-map-raises"

    def flush(
        self,
        handle: Handle,
        async_: bool | None = None,
        addr: int | None = None,
        size: int | None = None,
    ) -> bool:
        if handle in self._freed:
            return True  # the defect
        return super().flush(handle, async_, addr, size)


# ------------------------------------------------------------------ mmap.unlink


class UnlinkDoesNothing(Deviant):
    """``mmap.unlink(tagname)`` does nothing: the shared memory stays in /dev/shm
    (``map:unlink()`` still works)."""

    INTENDED = "unlink.function-removes"

    def unlink(self, tagname: str) -> None:
        pass  # the defect
