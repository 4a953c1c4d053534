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
import stat
from collections.abc import Callable
from typing import ClassVar

from .base import FileKind, OsCallError, OsFile

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
    O_NONBLOCK: ClassVar[int]
    SHM_NONBLOCK: ClassVar[int]
    """O_NONBLOCK where shm objects are files someone could replace by a FIFO, else 0."""
    SHM_FCHMOD: ClassVar[bool]
    """Whether fchmod works on a shm object (to give a shared one 0666 despite the umask)."""
    # errno values (the same numbers on Linux and macOS)
    ENOENT: ClassVar[int] = 2
    EINTR: ClassVar[int] = 4
    ENOMEM: ClassVar[int] = 12
    EACCES: ClassVar[int] = 13
    EEXIST: ClassVar[int] = 17
    ENODEV: ClassVar[int] = 19
    EISDIR: ClassVar[int] = 21
    EINVAL: ClassVar[int] = 22
    EFBIG: ClassVar[int] = 27
    ENOSPC: ClassVar[int] = 28
    ESPIPE: ClassVar[int] = 29
    EDQUOT: ClassVar[int]
    EOPNOTSUPP: ClassVar[int]

    NOT_FOUND: ClassVar[frozenset[int]]
    DISK_FULL: ClassVar[frozenset[int]]
    OUT_OF_MEM: ClassVar[frozenset[int]]
    # filesize of something without a size: a directory is EISDIR; a FIFO or socket is
    # ESPIPE, lseek's answer for a pipe (a stream has no size, only what is in flight);
    # a character device is EINVAL, ftruncate's answer for a file that is not regular
    # (st_size means nothing for it: /dev/null says 0, /dev/zero is endless).
    UNSIZED: ClassVar[dict[FileKind, int]] = {
        "directory": EISDIR,
        "fifo": ESPIPE,
        "socket": ESPIPE,
        "char": EINVAL,
        "other": EINVAL,
    }
    # map of anything but a regular file or block device: a directory is EISDIR, the
    # rest ENODEV, mmap(2)'s own errno for a file that cannot be mapped.
    UNMAPPABLE: ClassVar[dict[FileKind, int]] = {
        "directory": EISDIR,
        "fifo": ENODEV,
        "socket": ENODEV,
        "char": ENODEV,
        "other": ENODEV,
    }
    FOREIGN: ClassVar[int] = EACCES
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
        # The fast paths (see base.Backend): the prototyped C functions themselves.
        self.mmap_anon: Callable[[None, int, int, int, int, int], int] | None = self._mmap
        self.anon_prot = {access: prot for access, (prot, _) in self._access.items()}
        self.anon_flags = self._anon_flags
        self.munmap: Callable[[int, int], int] | None = self._munmap
        self.msync: Callable[[int, int, int], int] | None = self._msync
        self.ms_flags = (self.MS_SYNC, self.MS_ASYNC)  # indexed by async_ (False, True)

    # -- files ----------------------------------------------------------------

    def pagesize(self) -> int:
        return self._pagesize

    def strerror(self, err: int) -> str:
        return os.strerror(err)

    def open_path(self, path: str, write: bool, execute: bool = False) -> tuple[OsFile, bool]:
        # execute: POSIX checks PROT_EXEC against the mount (noexec), not the descriptor.
        # O_NONBLOCK: opening a FIFO read-only would wait for a writer that may never
        # come; with it the open returns at once and the caller refuses the FIFO by its
        # kind. It stays set: it changes nothing for what we do with a regular file or
        # block device (fstat, ftruncate, fallocate, mmap), and the descriptor is ours.
        base = self.O_CLOEXEC | self.O_NONBLOCK | (self.O_RDWR if write else self.O_RDONLY)
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

    def _fstat(self, f: OsFile) -> os.stat_result:
        try:
            return os.fstat(f)
        except OSError as e:
            raise OsCallError(e.errno or 0, "fstat") from None

    def file_kind_size(self, f: OsFile) -> tuple[FileKind, int | None]:
        st = self._fstat(f)
        if stat.S_ISREG(st.st_mode):
            return "regular", st.st_size
        return self._kind(st.st_mode), None

    @staticmethod
    def _kind(mode: int) -> FileKind:
        if stat.S_ISREG(mode):
            return "regular"
        if stat.S_ISBLK(mode):
            return "block"
        if stat.S_ISDIR(mode):
            return "directory"
        if stat.S_ISFIFO(mode):
            return "fifo"
        if stat.S_ISSOCK(mode):
            return "socket"
        if stat.S_ISCHR(mode):
            return "char"
        return "other"

    def not_private(self, f: OsFile) -> str | None:
        st = self._fstat(f)
        me = os.geteuid()
        if st.st_uid != me:
            return f"it is owned by uid {st.st_uid}, not by this user (uid {me})"
        if st.st_mode & 0o077:
            return f"its mode {stat.S_IMODE(st.st_mode):04o} lets other users open it"
        return None

    def file_size(self, f: OsFile) -> int:
        st = self._fstat(f)
        if stat.S_ISBLK(st.st_mode):  # st_size is 0 for a device; its size is its end
            return self._device_size(f)
        return st.st_size

    def _device_size(self, f: OsFile) -> int:
        # lseek to the end reports a block device's size (Linux). The descriptor may be
        # the caller's, so its position is put back.
        try:
            here = os.lseek(f, 0, os.SEEK_CUR)
            end = os.lseek(f, 0, os.SEEK_END)
            os.lseek(f, here, os.SEEK_SET)
        except OSError as e:
            raise OsCallError(e.errno or 0, "lseek") from None
        return end

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

    def open_tag(self, tagname: str, write: bool, shared: bool) -> tuple[OsFile, bool]:
        name = self._shm_name(tagname)
        # O_NOFOLLOW and SHM_NONBLOCK: whoever can write the shm directory (every user,
        # on Linux) may have planted a symlink or a FIFO under the name.
        base = (
            self.O_CLOEXEC
            | self.O_NOFOLLOW
            | self.SHM_NONBLOCK
            | (self.O_RDWR if write else self.O_RDONLY)
        )
        fd = self._shm_open(name, base, 0)
        if fd >= 0 or not write or ctypes.get_errno() != self.ENOENT:
            return self._shm_result(fd, "shm_open"), False
        # Owner-only (0600) unless sharing with other users was asked for explicitly.
        mode = 0o666 if shared else 0o600
        fd = self._shm_open(name, base | self.O_CREAT | self.O_EXCL, mode)
        if fd >= 0:
            if shared and self.SHM_FCHMOD:
                try:  # the umask would take the other users' write permission away
                    os.fchmod(fd, mode)
                except OSError as e:
                    os.close(fd)
                    with contextlib.suppress(OsCallError):  # the fchmod failure is reported
                        self.unlink_tag(tagname)
                    raise OsCallError(e.errno or 0, "fchmod") from None
            return fd, True
        if ctypes.get_errno() != self.EEXIST:
            return self._shm_result(fd, "shm_open"), True
        return self._shm_result(self._shm_open(name, base, 0), "shm_open"), False

    def tag_size(self, tagname: str) -> int:
        fd, _ = self.open_tag(tagname, False, False)
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

    def check_unused(self, addr: int, size: int) -> None:
        """Nothing to ask: POSIX maps a file's range past its end, so the map itself,
        made before the file grows, is what takes the address or fails."""

    def unmap(self, addr: int, size: int) -> None:
        if self._munmap(addr, size) != 0:
            raise OsCallError(ctypes.get_errno(), "munmap")

    def flush(self, addr: int, size: int, async_: bool, f: OsFile | None) -> None:
        if self._msync(addr, size, self.ms_flags[async_]) != 0:
            raise OsCallError(ctypes.get_errno(), "msync")

    def mirror(self, f: OsFile, size: int, times: int, addr: int | None) -> int:
        total = size * times
        prot = self.PROT_READ | self.PROT_WRITE
        # One call maps copy 0 and reserves the whole range for the others: the file's
        # mapping over all of it (past the end of the file, pages nobody touches before
        # they are replaced), so that no other thread can take a piece of it. Then every
        # other copy is mapped over our own range. Freed in one munmap, like the copies.
        if addr is None:
            base = self._mmap(None, total, prot, self.MAP_SHARED, f, 0)
            if base == self.MAP_FAILED:
                raise OsCallError(ctypes.get_errno(), "mmap")
        else:
            base = self._map_at(addr, total, prot, self.MAP_SHARED, f, 0)
        flags = self.MAP_SHARED | self.MAP_FIXED
        for i in range(1, times):
            at = base + i * size
            if self._mmap(at, size, prot, flags, f, 0) != at:
                err = ctypes.get_errno()
                self._munmap(base, total)  # frees the range and every copy made
                raise OsCallError(err, "mmap")
        return int(base)

    def unmap_copies(self, addr: int, size: int, times: int) -> None:
        # The copies are adjacent mappings: one munmap releases them all.
        if self._munmap(addr, size * times) != 0:
            raise OsCallError(ctypes.get_errno(), "munmap")
