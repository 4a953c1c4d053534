"""The internal interface every OS backend implements (one module per OS).

The public modules never call the OS themselves: they validate arguments,
decide *what* to do, and translate failures into documented errcodes. A
backend only knows *how* to do one primitive on its OS, and reports failure by
raising :class:`OsCallError` with the OS's own error number (``errno`` on
POSIX, ``GetLastError()`` on Windows). Which of those numbers mean
``'no_file'``, ``'disk_full'`` or ``'out_of_mem'`` is data the backend exports
(:attr:`Backend.NOT_FOUND` and friends), because the numbers differ per OS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Literal, Protocol

OsFile = int
"""What a backend calls a file: a POSIX descriptor or a Windows ``HANDLE`` value."""

FileKind = Literal["regular", "block", "directory", "fifo", "socket", "char", "other"]
"""What an open file is. Only regular files (and block devices, whose size is the
device's) have a size and can be mapped; the public layer refuses the rest."""


class OsCallError(Exception):
    """A system call failed. ``err`` is the OS error number, ``call`` the call's name."""

    def __init__(self, err: int, call: str) -> None:
        super().__init__(err, call)
        self.err = err
        self.call = call


class Backend(Protocol):
    """The primitives the public layer needs. Sizes and offsets arrive validated."""

    name: ClassVar[str]
    """``'linux'``, ``'darwin'`` or ``'windows'``."""

    # OS error numbers, grouped by the documented errcode they stand for.
    NOT_FOUND: ClassVar[frozenset[int]]
    DISK_FULL: ClassVar[frozenset[int]]
    OUT_OF_MEM: ClassVar[frozenset[int]]

    UNSIZED: ClassVar[dict[FileKind, int]]
    """The error number ``filesize`` reports for a file of each kind that has no size."""
    UNMAPPABLE: ClassVar[dict[FileKind, int]]
    """The error number ``map``/``mirror`` report for a file of each kind they refuse."""
    FOREIGN: ClassVar[int]
    """The error number for refusing another user's (or an open) tagname object."""

    TAGNAME_MAX: ClassVar[int]
    """The longest tagname (in UTF-8 bytes, without the leading '/') the OS accepts."""
    SHM_FILES: ClassVar[bool]
    """True where tagnames are files (POSIX ``shm_open``), False where they name a
    mapping object (Windows), in which case ``tagname`` is passed to :meth:`map`."""
    KEEPS_FILE: ClassVar[bool]
    """True where a live map needs its file open (Windows, for ``FlushFileBuffers``);
    POSIX mappings outlive their descriptor, so the public layer closes it early."""

    msync: Callable[[int, int, int], int] | None
    """Where a flush is one C call (POSIX ``msync``): that function, taking
    ``(addr, size, ms_flags[async_])`` and returning 0, or -1 with the error in
    ``ctypes.get_errno()``. The public layer calls it directly, a flush being a hot
    path. None where a flush takes more (Windows): then :meth:`flush` does it."""
    ms_flags: tuple[int, int]
    """The flags for :attr:`msync`: (synchronous, asynchronous)."""
    mmap_anon: Callable[[None, int, int, int, int, int], int] | None
    """Where pagefile memory is one C call (POSIX ``mmap``): that function, called
    ``(None, size, anon_prot[access], anon_flags, -1, 0)``; it returns the address,
    or :attr:`MAP_FAILED` with the error in ``ctypes.get_errno()``. Like
    :attr:`msync`, a fast path for the public layer; None where :meth:`map` does it."""
    anon_prot: dict[str, int]
    anon_flags: int
    MAP_FAILED: ClassVar[int]
    munmap: Callable[[int, int], int] | None
    """Where :meth:`unmap` is one C call (POSIX ``munmap``): that function, returning 0,
    or -1 with the error in ``ctypes.get_errno()``; None where :meth:`unmap` does more."""

    def pagesize(self) -> int:
        """The allocation granularity: offsets and addresses must be aligned to it."""

    def strerror(self, err: int) -> str:
        """A human message for an error number of this OS."""

    def open_path(self, path: str, write: bool, execute: bool = False) -> tuple[OsFile, bool]:
        """Open a file by name; with ``write``, read+write and create it if missing;
        ``execute`` asks for the right to map it executable (Windows needs it in the
        handle). Returns the file and whether this call created it. Never blocks: a
        FIFO opens at once (the public layer then refuses it by its kind)."""

    def open_tag(self, tagname: str, write: bool, shared: bool) -> tuple[OsFile, bool]:
        """Open (with ``write``: create) the shared memory object of a tagname, without
        blocking. Created owner-only (0600), or with ``shared`` readable and writable
        by every user (0666, whatever the umask)."""

    def file_kind_size(self, f: OsFile) -> tuple[FileKind, int | None]:
        """What ``f`` is: a regular file, a directory, a FIFO, a device, ...; and its
        size where the same call tells it (a regular file's on POSIX), else None: one
        system call where map() would otherwise make two."""

    def not_private(self, f: OsFile) -> str | None:
        """None if ``f`` is owned by this process's user and no other user may open it;
        else why not, for an error message (the owner, the permission bits)."""

    def tag_size(self, tagname: str) -> int:
        """The size of the existing shared memory of a tagname (raises NOT_FOUND)."""

    def unlink_tag(self, tagname: str) -> None:
        """Remove the shared memory object of a tagname; a missing one is not an error."""

    def remove_path(self, path: str) -> None:
        """Remove a file this library created (cleanup after a failed map)."""

    def from_fd(self, fd: int) -> OsFile:
        """The backend's file for a C runtime file descriptor (validates it)."""

    def close(self, f: OsFile) -> None:
        """Close a file this library opened."""

    def file_size(self, f: OsFile) -> int:
        """The size of an open file in bytes."""

    def truncate(self, f: OsFile, size: int) -> None:
        """Set the file size exactly, without reserving blocks (used to shrink and restore)."""

    def reserve(self, f: OsFile, start: int, end: int) -> None:
        """Grow the file to ``end`` bytes and reserve disk blocks for ``[start, end)``
        where the filesystem can, so that a full disk fails here and not as SIGBUS on
        first touch. Falls back to a plain resize where reservation is unsupported."""

    def map(
        self,
        f: OsFile | None,
        size: int,
        offset: int,
        access: str,
        addr: int | None,
        tagname: str | None,
    ) -> int:
        """Map ``size`` bytes of ``f`` (None: the pagefile) at ``offset``; returns the
        address. With ``addr``, map exactly there or fail with an error in
        :attr:`OUT_OF_MEM`: an existing mapping is never replaced."""

    def check_unused(self, addr: int, size: int) -> None:
        """Fail with an error in :attr:`OUT_OF_MEM` where ``[addr, addr+size)`` is not
        free address space now: asked before a file grows where mapping it grows it
        (Windows), so that a map at an address in use fails with the file untouched.
        A mapping made between this check and the map is still refused by the map."""

    def unmap(self, addr: int, size: int) -> None:
        """Release a mapping made by :meth:`map` (or one copy of a mirror)."""

    def unmap_copies(self, addr: int, size: int, times: int) -> None:
        """Release all the copies of a mirror made by :meth:`mirror` at ``addr``."""

    def flush(self, addr: int, size: int, async_: bool, f: OsFile | None) -> None:
        """Write dirty pages in ``[addr, addr+size)`` (page-aligned addr) to the file."""

    def mirror(self, f: OsFile, size: int, times: int, addr: int | None) -> int:
        """Map ``f``'s first ``size`` bytes (page-aligned) ``times`` times back to back,
        race-free, read+write and shared; returns the base address. The copies are
        released together with :meth:`unmap_copies`, or one by one with :meth:`unmap`
        ``(base + i*size, size)``."""
