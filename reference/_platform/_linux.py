"""Linux backend (x86-64 and arm64 constants; tested here)."""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import ClassVar

from ._posix import PosixBackend, _c_off_t
from .base import OsCallError, OsFile


class LinuxBackend(PosixBackend):
    name = "linux"
    MAP_ANON = 0x20  # MAP_ANONYMOUS
    MAP_FIXED_NOREPLACE = 0x100000  # Linux >= 4.17; older kernels treat addr as a hint
    MS_ASYNC = 1
    MS_SYNC = 4
    O_CREAT = 0o100
    O_EXCL = 0o200
    O_CLOEXEC = 0o2000000
    O_NOFOLLOW = 0o400000
    O_NONBLOCK = 0o4000
    SHM_NONBLOCK = O_NONBLOCK  # /dev/shm is a file system anyone can plant a FIFO in
    SHM_FCHMOD = True
    EDQUOT = 122
    EOPNOTSUPP = 95
    FALLOC_FL_KEEP_SIZE = 1
    NOT_FOUND: ClassVar[frozenset[int]] = frozenset({2})  # ENOENT
    DISK_FULL: ClassVar[frozenset[int]] = frozenset({28, 122, 27})  # ENOSPC, EDQUOT, EFBIG
    OUT_OF_MEM: ClassVar[frozenset[int]] = frozenset({12, 17})  # ENOMEM, EEXIST (addr in use)
    # glibc's shm_open refuses names whose length + NUL reaches NAME_MAX (255).
    TAGNAME_MAX = 253

    def __init__(self) -> None:
        super().__init__()
        libc = ctypes.CDLL(None, use_errno=True)
        self._fallocate = libc.fallocate
        self._fallocate.argtypes = [ctypes.c_int, ctypes.c_int, _c_off_t, _c_off_t]
        self._fallocate.restype = ctypes.c_int
        # shm_open moved from librt into libc in glibc 2.34.
        rt = (
            libc
            if hasattr(libc, "shm_open")
            else ctypes.CDLL(ctypes.util.find_library("rt") or "librt.so.1", use_errno=True)
        )
        self._shm_open_fn = rt.shm_open
        self._shm_open_fn.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint]
        self._shm_open_fn.restype = ctypes.c_int
        self._shm_unlink = rt.shm_unlink
        self._shm_unlink.argtypes = [ctypes.c_char_p]
        self._shm_unlink.restype = ctypes.c_int

    def _shm_open(self, name: bytes, flags: int, mode: int) -> int:
        fd: int = self._shm_open_fn(name, flags, mode)
        return fd

    def unlink_tag(self, tagname: str) -> None:
        if self._shm_unlink(self._shm_name(tagname)) != 0:
            err = ctypes.get_errno()
            if err != self.ENOENT:
                raise OsCallError(err, "shm_unlink")

    def reserve(self, f: OsFile, start: int, end: int) -> None:
        # Two fallocate(2) calls, so that a failure changes nothing a reader sees: first
        # the blocks are reserved with FALLOC_FL_KEEP_SIZE (a full disk fails here, and
        # the size is untouched; mode 0 would extend the size chunk by chunk on ext4 and
        # leave it half grown), then mode 0 moves the end of file over blocks that are
        # already there. Mode 0 only ever extends: a writer that made the file longer
        # meanwhile keeps its bytes, where ftruncate(end) would cut them off. Unlike
        # glibc's posix_fallocate it never falls back to writing every block by hand.
        for mode in (self.FALLOC_FL_KEEP_SIZE, 0):
            while self._fallocate(f, mode, start, end - start) != 0:
                err = ctypes.get_errno()
                if err == self.EINTR:
                    continue
                if err in (self.EOPNOTSUPP, self.EINVAL):  # fs without reservation
                    if self.file_size(f) < end:  # plain resize, never a shrink
                        self.truncate(f, end)
                    return
                raise OsCallError(err, "fallocate")
