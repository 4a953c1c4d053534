"""macOS backend. UNTESTED: written against the macOS headers, never run here.

macOS differs from Linux in its constants (MAP_ANON, O_CREAT, MS_SYNC, errno
values), has no MAP_FIXED_NOREPLACE (addresses are hints, verified by the
shared POSIX code), no posix_fallocate (blocks are reserved with
``fcntl(F_PREALLOCATE)``), and a 31-byte shared memory name limit (PSHMNAMLEN,
counting the leading '/'). ``shm_open`` and ``fcntl`` are variadic, which ctypes
cannot call correctly on arm64, so they go through the stdlib's C wrappers
(``_posixshmem``, ``fcntl``).
"""

from __future__ import annotations

import ctypes
import fcntl
import struct
from typing import ClassVar

from ._posix import PosixBackend
from .base import OsCallError, OsFile

try:  # the C module behind multiprocessing.shared_memory
    import _posixshmem  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - only a Python built without it
    _posixshmem = None


class DarwinBackend(PosixBackend):
    name = "darwin"
    MAP_ANON = 0x1000
    MAP_FIXED_NOREPLACE = 0  # absent: the address is a hint, verified by _map_at
    MS_ASYNC = 0x1
    MS_SYNC = 0x10
    O_CREAT = 0x200
    O_EXCL = 0x800
    O_CLOEXEC = 0x1000000
    O_NOFOLLOW = 0x100
    O_NONBLOCK = 0x4
    # POSIX shm objects live in a kernel namespace, not in a file system: nobody can
    # plant a FIFO there, and shm_open takes only the access, O_CREAT, O_EXCL and
    # O_TRUNC flags.
    SHM_NONBLOCK = 0
    # macOS does not support fchmod on a shm descriptor (as documented; untested): a
    # shared object gets 0666 minus the umask.
    SHM_FCHMOD = False
    DKIOCGETBLOCKSIZE = 0x40046418  # _IOR('d', 24, uint32_t), <sys/disk.h>
    DKIOCGETBLOCKCOUNT = 0x40086419  # _IOR('d', 25, uint64_t)
    EDQUOT = 69
    EOPNOTSUPP = 102
    NOT_FOUND: ClassVar[frozenset[int]] = frozenset({2})  # ENOENT
    DISK_FULL: ClassVar[frozenset[int]] = frozenset({28, 69, 27})  # ENOSPC, EDQUOT, EFBIG
    OUT_OF_MEM: ClassVar[frozenset[int]] = frozenset({12, 17})  # ENOMEM, EEXIST (addr in use)
    TAGNAME_MAX = 30  # PSHMNAMLEN (31) includes the leading '/'
    F_PREALLOCATE = 42
    F_ALLOCATEALL = 0x4
    F_PEOFPOSMODE = 3

    def _device_size(self, f: OsFile) -> int:
        # lseek to the end of a block device gives 0 on macOS; the disk ioctls give
        # its block size and count.
        try:
            (block,) = struct.unpack("I", fcntl.ioctl(f, self.DKIOCGETBLOCKSIZE, b"\0" * 4))
            (count,) = struct.unpack("Q", fcntl.ioctl(f, self.DKIOCGETBLOCKCOUNT, b"\0" * 8))
        except OSError as e:
            raise OsCallError(e.errno or 0, "ioctl(DKIOCGETBLOCKCOUNT)") from None
        return int(block) * int(count)

    def _shm_open(self, name: bytes, flags: int, mode: int) -> int:
        if _posixshmem is None:
            ctypes.set_errno(self.EOPNOTSUPP)
            return -1
        try:
            fd: int = _posixshmem.shm_open(name.decode("utf-8"), flags, mode)
            return fd
        except OSError as e:
            ctypes.set_errno(e.errno or 0)
            return -1

    def unlink_tag(self, tagname: str) -> None:
        if _posixshmem is None:
            raise OsCallError(self.EOPNOTSUPP, "shm_unlink")
        try:
            _posixshmem.shm_unlink(self._shm_name(tagname).decode("utf-8"))
        except OSError as e:
            if e.errno != self.ENOENT:
                raise OsCallError(e.errno or 0, "shm_unlink") from None

    def reserve(self, f: OsFile, start: int, end: int) -> None:
        # fstore_t {u32 fst_flags; i32 fst_posmode; off_t fst_offset, fst_length, fst_bytesalloc}
        # F_PEOFPOSMODE allocates from the physical end of file, so the length is the growth.
        grow = end - self.file_size(f)
        if grow > 0:
            fstore = struct.pack("Iiqqq", self.F_ALLOCATEALL, self.F_PEOFPOSMODE, 0, grow, 0)
            try:
                fcntl.fcntl(f, self.F_PREALLOCATE, fstore)
            except OSError as e:
                # Only a real shortage is fatal; any other refusal (a filesystem or a
                # shm object that cannot preallocate) falls back to a plain resize.
                if e.errno in self.DISK_FULL:
                    raise OsCallError(e.errno or 0, "fcntl(F_PREALLOCATE)") from None
        self.truncate(f, end)  # preallocation does not change the size
