"""A small, real in-process adapter (libc mmap through ctypes, Linux) used to test
the pipe machinery independently of the reference: files by name, access '' and
'w', pagefile maps, flush, read/write of real mapped memory, filesize. The rest
is declared unsupported, honestly.

Loaded by the harness as ``tiny_adapter:TinyAdapter`` with this folder on
PYTHONPATH. Writing to a read-only map really crashes the process (SIGSEGV), as
the doc promises, which is what the crash-isolation tests rely on.
"""

from __future__ import annotations

import ctypes
import errno
import mmap as _consts
import os

from mmapspec.adapters.handles import Handles
from mmapspec.adapters.interface import (
    Adapter,
    ArgumentError,
    Capabilities,
    DocumentedFailure,
    FileRef,
    MapInfo,
    MirrorInfo,
    Unsupported,
)
from mmapspec.bench.libc import MAP_FAILED, MS_ASYNC, MS_SYNC, libc

_libc = libc()


class TinyAdapter(Adapter):
    name = "tiny"
    version = "1"
    capabilities = Capabilities(
        file_kinds=frozenset({"name"}),
        access_modes=frozenset({"", "w"}),
        call_forms=frozenset({"table", "positional"}),
        tagname=False,
        unlink=False,
        mirror=False,
        range_flush=False,
        addr_request=False,
    )

    def __init__(self) -> None:
        self._maps: Handles[tuple[int, int]] = Handles()
        """Each live map's address and length."""

    def pagesize(self) -> int:
        return _consts.PAGESIZE

    def aligned_size(self, size: int, dir: str | None = None) -> int:
        page = _consts.PAGESIZE
        return size // page * page if dir == "left" else -(-size // page) * page

    def aligned_addr(self, addr: int, dir: str | None = None) -> int:
        return self.aligned_size(addr, dir)

    def map(
        self,
        file=None,
        access=None,
        size=None,
        offset=None,
        addr=None,
        tagname=None,
        *,
        form="table",
    ):  # type: ignore[no-untyped-def]
        access = access or ""
        if access not in ("", "w"):
            raise Unsupported(f"access:{access}")
        if tagname is not None or addr is not None:
            raise Unsupported("tagname" if tagname is not None else "addr_request")
        if size is not None and size <= 0:
            raise ArgumentError("size: must be > 0")
        offset = offset or 0
        prot = _consts.PROT_READ | (_consts.PROT_WRITE if access == "w" else 0)
        if file is None:
            if size is None:
                raise ArgumentError("size expected when mapping the pagefile")
            ptr = _libc.mmap(None, size, prot, _consts.MAP_SHARED | _consts.MAP_ANONYMOUS, -1, 0)
        else:
            flags = os.O_RDWR | os.O_CREAT if access == "w" else os.O_RDONLY
            try:
                fd = os.open(file.path, flags, 0o666)
            except FileNotFoundError:
                raise DocumentedFailure("no_file", file.path) from None
            try:
                have = os.fstat(fd).st_size
                if size is None:
                    size = have - offset
                    if size <= 0:
                        raise DocumentedFailure("file_too_short", file.path)
                if have < offset + size:
                    if access != "w":
                        raise DocumentedFailure("file_too_short", file.path)
                    os.ftruncate(fd, offset + size)
                ptr = _libc.mmap(None, size, prot, _consts.MAP_SHARED, fd, offset)
            finally:
                os.close(fd)
        if ptr in (None, MAP_FAILED):
            err = ctypes.get_errno()
            raise DocumentedFailure("out_of_mem" if err == errno.ENOMEM else err, os.strerror(err))
        return MapInfo(self._maps.issue((ptr, size)), ptr, size)

    def flush(self, handle, async_=None, addr=None, size=None):  # type: ignore[no-untyped-def]
        ptr, length = self._maps.get(handle)
        if addr is not None or size is not None:
            raise Unsupported("range_flush")
        if _libc.msync(ptr, length, MS_ASYNC if async_ else MS_SYNC) != 0:
            err = ctypes.get_errno()
            raise DocumentedFailure(err, os.strerror(err))
        return True

    def free(self, handle: int) -> None:
        held = self._maps.forget(handle)
        if held is not None:
            _libc.munmap(*held)

    def unlink_map(self, handle: int) -> None:
        raise Unsupported("unlink")

    def unlink(self, tagname: str) -> None:
        raise Unsupported("unlink")

    def mirror(self, file, size, times=None, addr=None, *, form="table") -> MirrorInfo:  # type: ignore[no-untyped-def]
        raise Unsupported("mirror")

    def filesize(self, file: FileRef, size: int | None = None) -> int:
        if size is None:
            try:
                return os.stat(file.path).st_size
            except FileNotFoundError:
                raise DocumentedFailure("not_found", file.path) from None
        fd = os.open(file.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            os.ftruncate(fd, size)
        finally:
            os.close(fd)
        return size

    def _span(self, handle: int, offset: int, length: int) -> int:
        ptr, size = self._maps.get(handle)
        if offset < 0 or length < 0 or offset + length > size:
            raise ArgumentError(f"range {offset}+{length} is outside the map's {size} bytes")
        return ptr + offset

    def read(self, handle: int, offset: int, length: int) -> bytes:
        return ctypes.string_at(self._span(handle, offset, length), length)

    def write(self, handle: int, offset: int, data: bytes) -> None:
        # A read-only map makes this memmove fault: the documented crash, for real.
        ctypes.memmove(self._span(handle, offset, len(data)), data, len(data))

    @property
    def pid(self) -> int:
        return os.getpid()

    def close(self) -> None:
        for handle, _ in self._maps.newest_first():
            self.free(handle)
