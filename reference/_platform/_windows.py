"""Windows backend over the Win32 API (kernel32, kernelbase) through ctypes; the API
itself (constants, structures, prototypes) is in ``_win32.py``, mirrors in
``_win_mirror.py``.

Run under Wine 8 (``tests/reference/test_windows_run.py`` and ``test_windows_mirror.py``,
and the spec with ``--mmap-adapter reference``), NOT on real Windows here; statically,
``mypy --platform win32 --strict`` checks this module against the
:class:`~.base.Backend` Protocol, and ``tests/reference/test_windows_backend_static.py``
compares the constants and calls with the SDK's. Wine is not Windows: what it lacks
(placeholders) is not run at all, and what it does differently is in
``tools/win_probes.py``.

How the documented API lands on Win32:

* ``pagesize()`` is ``SYSTEM_INFO.dwAllocationGranularity`` (64 KiB on every
  current Windows), not ``dwPageSize`` (4 KiB): file offsets of a view and view
  addresses must be multiples of the allocation granularity, and the doc calls
  ``pagesize`` the allocation granularity that offsets must be aligned to.
* A map is a section (``CreateFileMappingW``) plus a view (``MapViewOfFileEx``).
  An unnamed section's handle is closed right after mapping the view: the view keeps
  the section alive. A tagname's is kept until the view is unmapped: the view keeps
  the object but not its name, which Windows removes with the last handle, and then
  no one could open the tagname while the map lives. The file handle is kept by the
  map (``KEEPS_FILE``), because a synchronous flush needs ``FlushFileBuffers`` on it
  after ``FlushViewOfFile``.
* A requested address is passed to ``MapViewOfFileEx``, which never replaces an
  existing mapping: a range in use fails with ``ERROR_INVALID_ADDRESS``, which is
  in :attr:`OUT_OF_MEM`.
* Tagnames name pagefile-backed section objects in the session namespace
  (``Local\\<tagname>``), not files (``SHM_FILES = False``): the object and its
  name live while some process holds a map of it, so ``unlink`` has nothing to do, as
  the doc says ("not so on Windows"). Sections get the creator's default
  security (its token's default DACL: the user, SYSTEM, Administrators), the
  Windows counterpart of the POSIX 0600.
* Growing a file for a map first sets its allocation size
  (``FileAllocationInfo``), then its end (``FileEndOfFileInfo``, what
  ``SetEndOfFile`` does). NTFS allocates the clusters of a non-sparse file at the
  latest when the end moves, so a full disk fails there with ``ERROR_DISK_FULL``
  rather than at first touch; the explicit allocation also covers sparse and
  compressed files. ``SetFileValidData`` is not for this: it needs a privilege
  and would expose stale disk contents.
* Tagname sizes come from ``VirtualQuery`` of a view of the section, which
  reports whole pages (4 KiB): Win32 has no documented call for a section's
  exact size, so a tagname map without a size spans the page-rounded size.
* ``mirror`` is race-free with placeholders (Windows 10 1803 and later): one
  ``VirtualAlloc2`` placeholder over all copies, split per copy, each replaced by a
  view with ``MapViewOfFile3``. Without them (older Windows, Wine 8) it finds a free
  range, frees it and maps each copy there with ``MapViewOfFileEx``, which never
  replaces a mapping: a collision is a retry, never a clobber (``_win_mirror.py``).
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from .base import FileKind, OsCallError, OsFile

# mypy checks the rest of this module only with --platform win32; at runtime the
# platform layer imports it on Windows only.
assert sys.platform == "win32", "the Windows backend is for Windows only"

import msvcrt  # noqa: E402  (after the platform assertion, for mypy)

from . import _win32 as win32  # noqa: E402
from . import _win_mirror  # noqa: E402

if TYPE_CHECKING:
    from .base import Backend

_TAG_PREFIX = "Local\\"
"""Session-local namespace: the counterpart of per-user POSIX shm names."""

_CREATES = frozenset({"w", "wx"})
"""Access modes that create a missing named section: 'c' never writes, so it creates
nothing (the reading of ``map.errcode.no-file-copy-on-write``)."""


class WindowsBackend:
    """Win32 primitives (see the module docstring)."""

    name: ClassVar[str] = "windows"
    NOT_FOUND: ClassVar[frozenset[int]] = frozenset(
        {win32.ERROR_FILE_NOT_FOUND, win32.ERROR_PATH_NOT_FOUND}
    )
    # ERROR_FILE_TOO_LARGE is the counterpart of POSIX EFBIG, which Linux counts too.
    DISK_FULL: ClassVar[frozenset[int]] = frozenset(
        {win32.ERROR_DISK_FULL, win32.ERROR_HANDLE_DISK_FULL, win32.ERROR_FILE_TOO_LARGE}
    )
    # ERROR_INVALID_ADDRESS: a requested address (or part of the range) is in use.
    OUT_OF_MEM: ClassVar[frozenset[int]] = frozenset(
        {
            win32.ERROR_NOT_ENOUGH_MEMORY,
            win32.ERROR_OUTOFMEMORY,
            win32.ERROR_INVALID_ADDRESS,
            win32.ERROR_COMMITMENT_LIMIT,
        }
    )
    # Object names are limited to MAX_PATH UTF-16 units with the NUL, of which the
    # "Local\" prefix takes 6: 253 units. A UTF-8 byte count <= 253 guarantees that
    # (no character takes fewer UTF-8 bytes than UTF-16 units).
    TAGNAME_MAX: ClassVar[int] = win32.MAX_PATH - 1 - len(_TAG_PREFIX)
    # Handles that are not disk files (consoles, pipes, sockets): GetFileSizeEx fails
    # on them with ERROR_INVALID_FUNCTION, and so does this library, by rule. There are
    # no directories here: CreateFileW opens one only with FILE_FLAG_BACKUP_SEMANTICS.
    UNSIZED: ClassVar[dict[FileKind, int]] = {
        "fifo": win32.ERROR_INVALID_FUNCTION,
        "char": win32.ERROR_INVALID_FUNCTION,
        "other": win32.ERROR_INVALID_FUNCTION,
    }
    UNMAPPABLE: ClassVar[dict[FileKind, int]] = {
        "fifo": win32.ERROR_INVALID_FUNCTION,
        "char": win32.ERROR_INVALID_FUNCTION,
        "other": win32.ERROR_INVALID_FUNCTION,
    }
    FOREIGN: ClassVar[int] = win32.ERROR_ACCESS_DENIED
    SHM_FILES: ClassVar[bool] = False
    # A synchronous flush is two calls (FlushViewOfFile, FlushFileBuffers): no fast path.
    msync: Callable[[int, int, int], int] | None = None
    ms_flags: tuple[int, int] = (0, 0)
    # Nor for maps: pagefile memory is a section plus a view, freeing it is per view.
    mmap_anon: Callable[[None, int, int, int, int, int], int] | None = None
    anon_prot: dict[str, int] = {}  # noqa: RUF012 - the Backend protocol's attribute
    anon_flags: int = 0
    MAP_FAILED: ClassVar[int] = 0
    munmap: Callable[[int, int], int] | None = None
    KEEPS_FILE: ClassVar[bool] = True

    def __init__(self) -> None:
        info = win32.SYSTEM_INFO()
        win32.GetSystemInfo(ctypes.byref(info))
        self._pagesize = int(info.dwAllocationGranularity)
        self._lowest = int(info.lpMinimumApplicationAddress or 0)
        self._highest = int(info.lpMaximumApplicationAddress or 0)
        self._process: int = win32.GetCurrentProcess()  # a constant pseudo-handle; never closed
        self._named: dict[int, int] = {}
        """The section handle of each live tagname view, by the view's address."""
        self.placeholders: bool | None = None
        """Whether mirrors use placeholders: None until the first mirror probes it. A
        test may set False to take the search-and-map way where placeholders work."""
        self.mirror_hook: _win_mirror.Hook | None = None
        """For tests: called with each candidate address of a search-and-map mirror."""

    # -- files ----------------------------------------------------------------

    def pagesize(self) -> int:
        return self._pagesize

    def strerror(self, err: int) -> str:
        # ctypes.FormatError is FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM) in C.
        return ctypes.FormatError(err).strip()

    def open_path(self, path: str, write: bool, execute: bool = False) -> tuple[OsFile, bool]:
        """CreateFileW, sharing read, write and delete (as POSIX opens do), not
        inheritable. ``execute`` adds GENERIC_EXECUTE, which a ``PAGE_EXECUTE_*``
        section of the file requires. With ``write``, OPEN_ALWAYS creates a missing
        file in the same call, and reports an existing one as ERROR_ALREADY_EXISTS.

        Windows has no FIFOs that block an open the way POSIX ones do: a named pipe
        path (``\\\\.\\pipe\\x``) connects to a waiting server instance or fails at
        once (ERROR_PIPE_BUSY); the handle's kind is then refused (:meth:`file_kind_size`)."""
        rights = (
            win32.GENERIC_READ
            | (win32.GENERIC_WRITE if write else 0)
            | (win32.GENERIC_EXECUTE if execute else 0)
        )
        h: int | None = win32.CreateFileW(
            path,
            rights,
            win32.FILE_SHARE_READ | win32.FILE_SHARE_WRITE | win32.FILE_SHARE_DELETE,
            None,
            win32.OPEN_ALWAYS if write else win32.OPEN_EXISTING,
            win32.FILE_ATTRIBUTE_NORMAL,
            None,
        )
        if h is None or h == win32.INVALID_HANDLE_VALUE:
            raise win32.last_error("CreateFileW")
        return h, write and ctypes.get_last_error() != win32.ERROR_ALREADY_EXISTS

    def open_tag(self, tagname: str, write: bool, shared: bool) -> tuple[OsFile, bool]:
        # SHM_FILES is False: the public layer passes tagnames to map() instead.
        raise NotImplementedError("Windows tagnames name sections: see WindowsBackend.map")

    def not_private(self, f: OsFile) -> str | None:
        # Only for tagname files (SHM_FILES). Sections are named in the session's own
        # Local\ namespace, where by default only that session's user and administrators
        # can create names.
        raise NotImplementedError("Windows tagnames name sections: see WindowsBackend.map")

    def _file_kind(self, f: OsFile) -> FileKind:
        kind = win32.GetFileType(f)
        if kind == win32.FILE_TYPE_DISK:
            return "regular"
        if kind == win32.FILE_TYPE_CHAR:
            return "char"
        if kind == win32.FILE_TYPE_PIPE:  # anonymous and named pipes, and sockets
            return "fifo"
        if kind == win32.FILE_TYPE_UNKNOWN and ctypes.get_last_error():
            raise win32.last_error("GetFileType")
        return "other"

    def file_kind_size(self, f: OsFile) -> tuple[FileKind, int | None]:
        return self._file_kind(f), None  # GetFileType tells no size

    def tag_size(self, tagname: str) -> int:
        """The size of an existing named section, in whole pages (see the module
        docstring); a missing one fails with ERROR_FILE_NOT_FOUND (NOT_FOUND)."""
        section = win32.handle(
            win32.OpenFileMappingW(win32.FILE_MAP_READ, False, _TAG_PREFIX + tagname),
            "OpenFileMappingW",
        )
        try:
            view: int | None = win32.MapViewOfFileEx(section, win32.FILE_MAP_READ, 0, 0, 0, None)
            if not view:
                raise win32.last_error("MapViewOfFileEx")
            info = win32.MEMORY_BASIC_INFORMATION()
            queried = win32.VirtualQuery(view, ctypes.byref(info), ctypes.sizeof(info))
            err = ctypes.get_last_error()
            win32.UnmapViewOfFile(view)
            if not queried:
                raise OsCallError(err, "VirtualQuery")
            return int(info.RegionSize)
        finally:
            win32.CloseHandle(section)

    def unlink_tag(self, tagname: str) -> None:
        """Nothing to remove: a named section vanishes with its last view or handle."""

    def remove_path(self, path: str) -> None:
        # Best effort: the failure that led here is the one to report.
        win32.DeleteFileW(path)

    def from_fd(self, fd: int) -> OsFile:
        try:
            return msvcrt.get_osfhandle(fd)
        except OSError:  # EBADF from the C runtime: not an open descriptor
            raise OsCallError(win32.ERROR_INVALID_HANDLE, "_get_osfhandle") from None

    def close(self, f: OsFile) -> None:
        if not win32.CloseHandle(f):
            raise win32.last_error("CloseHandle")

    def file_size(self, f: OsFile) -> int:
        size = ctypes.c_int64()
        if not win32.GetFileSizeEx(f, ctypes.byref(size)):
            raise win32.last_error("GetFileSizeEx")
        return size.value

    def truncate(self, f: OsFile, size: int) -> None:
        # FileEndOfFileInfo sets the size like SetFilePointerEx + SetEndOfFile would,
        # without moving the file pointer of a handle the caller may share with us.
        end = ctypes.c_int64(size)  # FILE_END_OF_FILE_INFO is one LARGE_INTEGER
        if not win32.SetFileInformationByHandle(
            f, win32.FILE_END_OF_FILE_INFO_CLASS, ctypes.byref(end), ctypes.sizeof(end)
        ):
            raise win32.last_error("SetFileInformationByHandle(FileEndOfFileInfo)")

    def unmap_copies(self, addr: int, size: int, times: int) -> None:
        # Each copy is a view of its own, released by its own call; one failing does not
        # keep the others mapped (the first failure is reported).
        failed: OsCallError | None = None
        for i in range(times):
            try:
                self.unmap(addr + i * size, size)
            except OsCallError as e:
                failed = failed or e
        if failed is not None:
            raise failed

    def reserve(self, f: OsFile, start: int, end: int) -> None:
        """Allocate ``end`` bytes of clusters, then move the end of file (the new range
        reads as zeros). A full disk fails the allocation with ERROR_DISK_FULL; a file
        system that cannot set allocation sizes gets a plain resize, which on NTFS
        still allocates a non-sparse file's clusters."""
        alloc = ctypes.c_int64(end)  # FILE_ALLOCATION_INFO is one LARGE_INTEGER
        if not win32.SetFileInformationByHandle(
            f, win32.FILE_ALLOCATION_INFO_CLASS, ctypes.byref(alloc), ctypes.sizeof(alloc)
        ):
            err = ctypes.get_last_error()
            if err in self.DISK_FULL:
                raise OsCallError(err, "SetFileInformationByHandle(FileAllocationInfo)")
        self.truncate(f, end)

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
        """Map a view of a file (``f``), of the pagefile (``f`` None), or of the
        named section of ``tagname``: 'w'/'wx' create it with ``offset + size`` bytes
        or open the existing one as it is (the public layer has checked its size
        with :meth:`tag_size`); the other modes only open it."""
        protect, view, opening = win32.ACCESS_FLAGS[access]
        self._check_span(addr, size, "MapViewOfFileEx")
        if tagname is not None:
            name = _TAG_PREFIX + tagname
            if access in _CREATES:
                # An existing section is opened as it is (ERROR_ALREADY_EXISTS), never resized.
                section = win32.create_section(
                    win32.INVALID_HANDLE_VALUE, protect, offset + size, name
                )
            else:
                section = win32.handle(
                    win32.OpenFileMappingW(opening, False, name), "OpenFileMappingW"
                )
        elif f is None:
            section = win32.create_section(win32.INVALID_HANDLE_VALUE, protect, size, None)
        else:
            # Maximum size 0: the file's current size. The public layer has already grown
            # the file; a larger maximum would silently grow it again (unreserved).
            section = win32.create_section(f, protect, 0, None)
        got: int | None = win32.MapViewOfFileEx(section, view, *win32.split(offset), size, addr)
        if not got:
            err = ctypes.get_last_error()
            win32.CloseHandle(section)
            raise OsCallError(err, "MapViewOfFileEx")
        if tagname is None:
            win32.CloseHandle(section)  # unnamed: the view keeps the section alive
        else:
            # The view keeps the object alive but not its name, which goes with the
            # last handle: kept until unmap, so that others can open the tagname.
            self._named[got] = section
        return got

    def _check_span(self, addr: int | None, size: int, call: str) -> None:
        """Refuse, before asking, what the user address space cannot hold: a size beyond
        it (ERROR_NOT_ENOUGH_MEMORY), or a requested range outside it
        (ERROR_INVALID_ADDRESS, which Windows's own calls give). Wine 8 needs it:
        ``MapViewOfFileEx`` at an address above the address space returns that address
        with nothing mapped there (``tools/win_probes.py view_beyond_address_space``),
        and a huge pagefile section fails with ERROR_INVALID_PARAMETER. It also keeps a
        size from overflowing a 32-bit SIZE_T, which ctypes would truncate silently."""
        if size > self._highest - self._lowest + 1:
            raise OsCallError(win32.ERROR_NOT_ENOUGH_MEMORY, call)
        if addr is not None and not self._lowest <= addr <= self._highest - size + 1:
            raise OsCallError(win32.ERROR_INVALID_ADDRESS, call)

    def check_unused(self, addr: int, size: int) -> None:
        """Reserve the range and release it: VirtualAlloc refuses a range in use."""
        self._check_span(addr, size, "VirtualAlloc")
        got = win32.VirtualAlloc(addr, size, win32.MEM_RESERVE, win32.PAGE_NOACCESS)
        win32.VirtualFree(win32.handle(got, "VirtualAlloc(MEM_RESERVE)"), 0, win32.MEM_RELEASE)

    def unmap(self, addr: int, size: int) -> None:
        # A view is released whole; its size is implied. A tagname's section handle
        # goes with its view, whether or not the unmap worked (it cannot be retried).
        # Popped before the unmap: while the view exists no other map can get its address.
        section = self._named.pop(addr, None)
        unmapped = win32.UnmapViewOfFile(addr)
        err = ctypes.get_last_error()
        if section is not None:
            win32.CloseHandle(section)
        if not unmapped:
            raise OsCallError(err, "UnmapViewOfFile")

    def flush(self, addr: int, size: int, async_: bool, f: OsFile | None) -> None:
        """FlushViewOfFile starts writing the dirty pages and returns (async); a
        synchronous flush then waits for the file's data with FlushFileBuffers.

        A handle opened without write access cannot be flushed (ERROR_ACCESS_DENIED)
        and has nothing to flush, since its views cannot dirty the file. A ``size`` of 0
        flushes nothing: FlushViewOfFile would read it as "to the end of the view", and at
        the end of a view (``flush(m.addr + m.size, 0)``) fail or reach the next view."""
        if size == 0:
            return
        if not win32.FlushViewOfFile(addr, size):
            raise win32.last_error("FlushViewOfFile")
        if not async_ and f is not None and not win32.FlushFileBuffers(f):
            err = ctypes.get_last_error()
            if err != win32.ERROR_ACCESS_DENIED:
                raise OsCallError(err, "FlushFileBuffers")

    def mirror(self, f: OsFile, size: int, times: int, addr: int | None) -> int:
        """``times`` read+write shared views of the file's first ``size`` bytes, back to
        back (at ``addr`` if given: a range in use fails with ERROR_INVALID_ADDRESS):
        with placeholders where the system has them, else by search and map (see
        ``_win_mirror``). On failure every view and reservation made is released."""
        self._check_span(addr, size * times, "VirtualAlloc")
        if self.placeholders is None:  # probed at the first mirror, kept once known
            self.placeholders = _win_mirror.have_placeholders(self._process, self._pagesize)
        section = win32.create_section(f, win32.PAGE_READWRITE, 0, None)
        try:
            if self.placeholders:
                return _win_mirror.with_placeholders(section, self._process, size, times, addr)
            return _win_mirror.by_search(section, size, times, addr, self.mirror_hook)
        finally:
            win32.CloseHandle(section)  # unnamed: the views keep the section alive


if TYPE_CHECKING:
    # mypy --platform win32 checks that the class implements the Protocol.
    _conforms: Backend = WindowsBackend()
