"""The POSIX logic shared by Linux and macOS: the subclasses supply constants
(they differ per OS) and the few calls that differ (block reservation, shm_open).

Files are opened and sized with the ``os`` module (they are not hot paths, and
``open(2)`` is variadic, which ctypes cannot call portably on arm64 macOS);
``mmap``/``munmap``/``msync`` go through ctypes, with prototypes set once here.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from typing import ClassVar

from .base import OsCallError, OsFile

_c_off_t = ctypes.c_int64  # off_t is 64-bit on every supported POSIX ABI


def _load_libc() -> ctypes.CDLL:
    # CDLL(None) is the running process, which links libc; use_errno makes
    # ctypes capture errno right after each call (read with ctypes.get_errno()).
    return ctypes.CDLL(None, use_errno=True)


class PosixBackend:
    """POSIX primitives. Subclasses set the class constants below."""

    name: ClassVar[str]
    # protection and flags for mmap(2)
    PROT_NONE: ClassVar[int] = 0
    PROT_READ: ClassVar[int] = 1
    PROT_WRITE: ClassVar[int] = 2
    PROT_EXEC: ClassVar[int] = 4
    MAP_SHARED: ClassVar[int] = 1
    MAP_PRIVATE: ClassVar[int] = 2
    MAP_FIXED: ClassVar[int] = 0x10
    MAP_ANON: ClassVar[int]
    MAP_FIXED_NOREPLACE: ClassVar[int]
    """0 where the OS has no such flag: the address is then a hint, verified."""
    MS_ASYNC: ClassVar[int]
    MS_SYNC: ClassVar[int]
    # open(2)
    O_RDONLY: ClassVar[int] = 0
    O_RDWR: ClassVar[int] = 2
    O_CREAT: ClassVar[int]
    O_EXCL: ClassVar[int]
    O_CLOEXEC: ClassVar[int]
    O_NOFOLLOW: ClassVar[int]
    # errno values
    ENOENT: ClassVar[int] = 2
    EINTR: ClassVar[int] = 4
    ENOMEM: ClassVar[int] = 12
    EEXIST: ClassVar[int] = 17
    EINVAL: ClassVar[int] = 22
    EFBIG: ClassVar[int] = 27
    ENOSPC: ClassVar[int] = 28
    EDQUOT: ClassVar[int]
    EOPNOTSUPP: ClassVar[int]

    NOT_FOUND: ClassVar[frozenset[int]]
    DISK_FULL: ClassVar[frozenset[int]]
    OUT_OF_MEM: ClassVar[frozenset[int]]
    TAGNAME_MAX: ClassVar[int]
    SHM_FILES: ClassVar[bool] = True
    KEEPS_FILE: ClassVar[bool] = False
    MAP_FAILED: ClassVar[int] = 2**64 - 1  # (void*)-1 as an unsigned 64-bit address

    def __init__(self) -> None:
        libc = _load_libc()
        self._mmap = libc.mmap
        self._mmap.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_int,
            _c_off_t,
        ]
        self._mmap.restype = ctypes.c_size_t  # an int always (c_void_p would give None for 0)
        self._munmap = libc.munmap
        self._munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        self._munmap.restype = ctypes.c_int
        self._msync = libc.msync
        self._msync.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        self._msync.restype = ctypes.c_int
        self._pagesize = os.sysconf("SC_PAGESIZE")
        r, w, x = self.PROT_READ, self.PROT_WRITE, self.PROT_EXEC
        self._access: dict[str, tuple[int, bool]] = {  # access -> (prot, shared)
            "": (r, True),
            "w": (r | w, True),
            "c": (r | w, False),
            "x": (r | x, True),
            "wx": (r | w | x, True),
            "cx": (r | w | x, False),
        }
        self._anon_flags = self.MAP_PRIVATE | self.MAP_ANON

    # -- files ----------------------------------------------------------------

    def pagesize(self) -> int:
        return self._pagesize

    def strerror(self, err: int) -> str:
        return os.strerror(err)

    def open_path(self, path: str, write: bool, execute: bool = False) -> tuple[OsFile, bool]:
        # execute: POSIX checks PROT_EXEC against the mount (noexec), not the descriptor.
        base = self.O_CLOEXEC | (self.O_RDWR if write else self.O_RDONLY)
        try:
            return os.open(path, base), False
        except OSError as e:
            if not (write and e.errno == self.ENOENT):
                raise OsCallError(e.errno or 0, "open") from None
        # Create with O_EXCL so that we know the file is ours to remove on failure.
        try:
            return os.open(path, base | self.O_CREAT | self.O_EXCL, 0o666), True
        except OSError as e:
            if e.errno != self.EEXIST:
                raise OsCallError(e.errno or 0, "open") from None
        try:  # somebody created it between our two calls
            return os.open(path, base), False
        except OSError as e:
            raise OsCallError(e.errno or 0, "open") from None

    def remove_path(self, path: str) -> None:
        with contextlib.suppress(OSError):  # best effort: the original failure is reported
            os.unlink(path)

    def from_fd(self, fd: int) -> OsFile:
        return fd

    def close(self, f: OsFile) -> None:
        os.close(f)

    def file_size(self, f: OsFile) -> int:
        try:
            return os.fstat(f).st_size
        except OSError as e:
            raise OsCallError(e.errno or 0, "fstat") from None

    def truncate(self, f: OsFile, size: int) -> None:
        try:
            os.ftruncate(f, size)
        except OSError as e:
            raise OsCallError(e.errno or 0, "ftruncate") from None

    def reserve(self, f: OsFile, start: int, end: int) -> None:
        raise NotImplementedError  # per OS

    # -- shared memory --------------------------------------------------------

    def _shm_name(self, tagname: str) -> bytes:
        return b"/" + tagname.encode("utf-8")

    def open_tag(self, tagname: str, write: bool) -> tuple[OsFile, bool]:
        name = self._shm_name(tagname)
        base = self.O_CLOEXEC | self.O_NOFOLLOW | (self.O_RDWR if write else self.O_RDONLY)
        fd = self._shm_open(name, base, 0)
        if fd >= 0 or not write or ctypes.get_errno() != self.ENOENT:
            return self._shm_result(fd, "shm_open"), False
        # Owner-only (0600): shared memory is not for every user on the machine.
        fd = self._shm_open(name, base | self.O_CREAT | self.O_EXCL, 0o600)
        if fd >= 0:
            return fd, True
        if ctypes.get_errno() != self.EEXIST:
            return self._shm_result(fd, "shm_open"), True
        return self._shm_result(self._shm_open(name, base, 0), "shm_open"), False

    def tag_size(self, tagname: str) -> int:
        fd, _ = self.open_tag(tagname, False)
        try:
            return self.file_size(fd)
        finally:
            self.close(fd)

    @staticmethod
    def _shm_result(fd: int, call: str) -> int:
        if fd < 0:
            raise OsCallError(ctypes.get_errno(), call)
        return fd

    def _shm_open(self, name: bytes, flags: int, mode: int) -> int:
        """Return the fd, or -1 with the error in ``ctypes.get_errno()``."""
        raise NotImplementedError  # per OS

    def unlink_tag(self, tagname: str) -> None:
        raise NotImplementedError  # per OS

    # -- mappings -------------------------------------------------------------

    def map(
        self,
        f: OsFile | None,
        size: int,
        offset: int,
        access: str,
        addr: int | None,
        tagname: str | None,
    ) -> int:
        prot, shared = self._access[access]
        if f is None:
            flags, fd, offset = self._anon_flags, -1, 0
        else:
            flags, fd = (self.MAP_SHARED if shared else self.MAP_PRIVATE), f
        if addr is None:
            got = self._mmap(None, size, prot, flags, fd, offset)
            if got == self.MAP_FAILED:
                raise OsCallError(ctypes.get_errno(), "mmap")
            return int(got)
        return self._map_at(addr, size, prot, flags, fd, offset)

    def _map_at(self, addr: int, size: int, prot: int, flags: int, fd: int, offset: int) -> int:
        """Map exactly at ``addr`` or fail with EEXIST; never replace a mapping.

        MAP_FIXED_NOREPLACE fails with EEXIST if the range is in use. Kernels that
        predate it (and OSes without it) take the address as a hint and may map
        elsewhere: we verify, and undo a misplaced mapping."""
        got = self._mmap(addr, size, prot, flags | self.MAP_FIXED_NOREPLACE, fd, offset)
        if got == self.MAP_FAILED:
            raise OsCallError(ctypes.get_errno(), "mmap")
        if got != addr:
            self._munmap(got, size)
            raise OsCallError(self.EEXIST, "mmap")
        return int(got)

    def unmap(self, addr: int, size: int) -> None:
        if self._munmap(addr, size) != 0:
            raise OsCallError(ctypes.get_errno(), "munmap")

    def flush(self, addr: int, size: int, async_: bool, f: OsFile | None) -> None:
        if self._msync(addr, size, self.MS_ASYNC if async_ else self.MS_SYNC) != 0:
            raise OsCallError(ctypes.get_errno(), "msync")

    def mirror(self, f: OsFile, size: int, times: int, addr: int | None) -> int:
        total = size * times
        # Reserve the whole range first (inaccessible, uncommitted), so that no other
        # thread can take a piece of it; then map every copy over our own reservation.
        if addr is None:
            base = self._mmap(None, total, self.PROT_NONE, self._anon_flags, -1, 0)
            if base == self.MAP_FAILED:
                raise OsCallError(ctypes.get_errno(), "mmap")
        else:
            base = self._map_at(addr, total, self.PROT_NONE, self._anon_flags, -1, 0)
        prot = self.PROT_READ | self.PROT_WRITE
        flags = self.MAP_SHARED | self.MAP_FIXED
        for i in range(times):
            at = base + i * size
            if self._mmap(at, size, prot, flags, f, 0) != at:
                err = ctypes.get_errno()
                self._munmap(base, total)  # frees the reservation and every copy made
                raise OsCallError(err, "mmap")
        return int(base)
