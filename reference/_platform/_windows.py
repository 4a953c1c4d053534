"""Windows backend over the Win32 API (kernel32, kernelbase) through ctypes.

UNTESTED: written against the Win32 documentation and the Windows SDK headers,
NOT run on Windows here (the project's machine is Linux). What is verified is
static only: ``mypy --platform win32 --strict`` checks this module against the
:class:`~.base.Backend` Protocol, and ``tests/reference/test_windows_backend_static.py``
checks the constants against the SDK values by parsing this file. It stays
untested until a Windows CI runner exists.

How the documented API lands on Win32:

* ``pagesize()`` is ``SYSTEM_INFO.dwAllocationGranularity`` (64 KiB on every
  current Windows), not ``dwPageSize`` (4 KiB): file offsets of a view and view
  addresses must be multiples of the allocation granularity, and the doc calls
  ``pagesize`` the allocation granularity that offsets must be aligned to.
* A map is a section (``CreateFileMappingW``) plus a view (``MapViewOfFileEx``).
  The section handle is closed right after mapping the view: the view keeps the
  section alive. The file handle is kept by the map (``KEEPS_FILE``), because a
  synchronous flush needs ``FlushFileBuffers`` on it after ``FlushViewOfFile``.
* A requested address is passed to ``MapViewOfFileEx``, which never replaces an
  existing mapping: a range in use fails with ``ERROR_INVALID_ADDRESS``, which is
  in :attr:`OUT_OF_MEM`.
* Tagnames name pagefile-backed section objects in the session namespace
  (``Local\\<tagname>``), not files (``SHM_FILES = False``): the object lives
  while some process holds a view or handle, so ``unlink`` has nothing to do, as
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
  ``VirtualAlloc2`` placeholder over all copies, split per copy, each replaced by
  a view with ``MapViewOfFile3``. Where those functions are missing the call fails
  with ``ERROR_PROC_NOT_FOUND`` and says so; there is no retry loop.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
from ctypes import wintypes
from typing import TYPE_CHECKING, Any, ClassVar

from .base import FileKind, OsCallError, OsFile

# mypy checks the rest of this module only with --platform win32; at runtime the
# platform layer imports it on Windows only.
assert sys.platform == "win32", "the Windows backend is for Windows only"

import msvcrt  # noqa: E402  (after the platform assertion, for mypy)

if TYPE_CHECKING:
    from .base import Backend

# -- constants from the Windows SDK headers (the static test lists each one's header) --

# winnt.h: access rights, sharing modes, page protections, VirtualAlloc/VirtualFree types
GENERIC_READ = 0x80000000
GENERIC_WRITE = 0x40000000
GENERIC_EXECUTE = 0x20000000
FILE_SHARE_READ = 0x1
FILE_SHARE_WRITE = 0x2
FILE_SHARE_DELETE = 0x4
FILE_ATTRIBUTE_NORMAL = 0x80
PAGE_NOACCESS = 0x01
PAGE_READONLY = 0x02
PAGE_READWRITE = 0x04
PAGE_WRITECOPY = 0x08
PAGE_EXECUTE_READ = 0x20
PAGE_EXECUTE_READWRITE = 0x40
PAGE_EXECUTE_WRITECOPY = 0x80
MEM_PRESERVE_PLACEHOLDER = 0x00000002
MEM_RESERVE = 0x00002000
MEM_REPLACE_PLACEHOLDER = 0x00004000
MEM_RELEASE = 0x00008000
MEM_RESERVE_PLACEHOLDER = 0x00040000
# fileapi.h: creation dispositions
OPEN_EXISTING = 3
OPEN_ALWAYS = 4
# winbase.h: GetFileType results
FILE_TYPE_UNKNOWN = 0x0000
FILE_TYPE_DISK = 0x0001
FILE_TYPE_CHAR = 0x0002
FILE_TYPE_PIPE = 0x0003
# memoryapi.h: view access
FILE_MAP_COPY = 0x0001
FILE_MAP_WRITE = 0x0002
FILE_MAP_READ = 0x0004
FILE_MAP_EXECUTE = 0x0020
# minwinbase.h: FILE_INFO_BY_HANDLE_CLASS
FILE_ALLOCATION_INFO_CLASS = 5  # FileAllocationInfo
FILE_END_OF_FILE_INFO_CLASS = 6  # FileEndOfFileInfo
# minwindef.h
MAX_PATH = 260
# winerror.h
ERROR_INVALID_FUNCTION = 1
ERROR_FILE_NOT_FOUND = 2
ERROR_PATH_NOT_FOUND = 3
ERROR_ACCESS_DENIED = 5
ERROR_INVALID_HANDLE = 6
ERROR_NOT_ENOUGH_MEMORY = 8
ERROR_OUTOFMEMORY = 14
ERROR_HANDLE_DISK_FULL = 39
ERROR_DISK_FULL = 112
ERROR_PROC_NOT_FOUND = 127
ERROR_ALREADY_EXISTS = 183
ERROR_FILE_TOO_LARGE = 223
ERROR_INVALID_ADDRESS = 487
ERROR_COMMITMENT_LIMIT = 1455

_TAG_PREFIX = "Local\\"
"""Session-local namespace: the counterpart of per-user POSIX shm names."""

_HANDLE = ctypes.c_void_p
INVALID_HANDLE_VALUE: int = ctypes.c_void_p(-1).value or 0
"""``(HANDLE)-1`` as ctypes returns it for a c_void_p result (pointer-sized, unsigned)."""

# access -> (section protection, view access for MapViewOfFileEx,
#            desired access for OpenFileMappingW on an existing named section)
_ACCESS: dict[str, tuple[int, int, int]] = {
    "": (PAGE_READONLY, FILE_MAP_READ, FILE_MAP_READ),
    "w": (PAGE_READWRITE, FILE_MAP_WRITE, FILE_MAP_READ | FILE_MAP_WRITE),
    "c": (PAGE_WRITECOPY, FILE_MAP_COPY, FILE_MAP_READ),
    "x": (PAGE_EXECUTE_READ, FILE_MAP_READ | FILE_MAP_EXECUTE, FILE_MAP_READ | FILE_MAP_EXECUTE),
    "wx": (
        PAGE_EXECUTE_READWRITE,
        FILE_MAP_WRITE | FILE_MAP_EXECUTE,
        FILE_MAP_READ | FILE_MAP_WRITE | FILE_MAP_EXECUTE,
    ),
    "cx": (
        PAGE_EXECUTE_WRITECOPY,
        FILE_MAP_COPY | FILE_MAP_EXECUTE,
        FILE_MAP_READ | FILE_MAP_EXECUTE,
    ),
}
_CREATES = frozenset({"w", "wx"})
"""Access modes that create a missing named section (COORD reading 5: 'c' never writes)."""


class _SystemInfo(ctypes.Structure):
    """SYSTEM_INFO (sysinfoapi.h); the first DWORD is a union with two WORDs."""

    _fields_ = [
        ("dwOemId", wintypes.DWORD),
        ("dwPageSize", wintypes.DWORD),
        ("lpMinimumApplicationAddress", ctypes.c_void_p),
        ("lpMaximumApplicationAddress", ctypes.c_void_p),
        ("dwActiveProcessorMask", ctypes.c_size_t),  # DWORD_PTR
        ("dwNumberOfProcessors", wintypes.DWORD),
        ("dwProcessorType", wintypes.DWORD),
        ("dwAllocationGranularity", wintypes.DWORD),
        ("wProcessorLevel", wintypes.WORD),
        ("wProcessorRevision", wintypes.WORD),
    ]


class _MemoryBasicInformation(ctypes.Structure):
    """MEMORY_BASIC_INFORMATION (winnt.h). The 64-bit SDK adds ``WORD PartitionId``
    after AllocationProtect, inside what is padding anyway: natural alignment puts
    RegionSize right on both 32- and 64-bit Windows without naming it."""

    _fields_ = [
        ("BaseAddress", ctypes.c_void_p),
        ("AllocationBase", ctypes.c_void_p),
        ("AllocationProtect", wintypes.DWORD),
        ("RegionSize", ctypes.c_size_t),
        ("State", wintypes.DWORD),
        ("Protect", wintypes.DWORD),
        ("Type", wintypes.DWORD),
    ]


def _bind(dll: ctypes.WinDLL, name: str, restype: Any, *argtypes: Any) -> Any:
    """A foreign function with its prototype set (once, at import)."""
    fn = getattr(dll, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)
    return fn


_DWORD, _BOOL, _SIZE = wintypes.DWORD, wintypes.BOOL, ctypes.c_size_t
_kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
_GetSystemInfo = _bind(_kernel32, "GetSystemInfo", None, ctypes.POINTER(_SystemInfo))
_CreateFileW = _bind(
    _kernel32,
    "CreateFileW",
    _HANDLE,
    wintypes.LPCWSTR,
    _DWORD,
    _DWORD,
    ctypes.c_void_p,
    _DWORD,
    _DWORD,
    _HANDLE,
)
_DeleteFileW = _bind(_kernel32, "DeleteFileW", _BOOL, wintypes.LPCWSTR)
_CloseHandle = _bind(_kernel32, "CloseHandle", _BOOL, _HANDLE)
_GetFileType = _bind(_kernel32, "GetFileType", _DWORD, _HANDLE)
_GetFileSizeEx = _bind(_kernel32, "GetFileSizeEx", _BOOL, _HANDLE, ctypes.POINTER(ctypes.c_int64))
_SetFileInformationByHandle = _bind(
    _kernel32, "SetFileInformationByHandle", _BOOL, _HANDLE, ctypes.c_int, ctypes.c_void_p, _DWORD
)
_FlushFileBuffers = _bind(_kernel32, "FlushFileBuffers", _BOOL, _HANDLE)
_CreateFileMappingW = _bind(
    _kernel32,
    "CreateFileMappingW",
    _HANDLE,
    _HANDLE,
    ctypes.c_void_p,
    _DWORD,
    _DWORD,
    _DWORD,
    wintypes.LPCWSTR,
)
_OpenFileMappingW = _bind(_kernel32, "OpenFileMappingW", _HANDLE, _DWORD, _BOOL, wintypes.LPCWSTR)
_MapViewOfFileEx = _bind(
    _kernel32,
    "MapViewOfFileEx",
    ctypes.c_void_p,
    _HANDLE,
    _DWORD,
    _DWORD,
    _DWORD,
    _SIZE,
    ctypes.c_void_p,
)
_UnmapViewOfFile = _bind(_kernel32, "UnmapViewOfFile", _BOOL, ctypes.c_void_p)
_FlushViewOfFile = _bind(_kernel32, "FlushViewOfFile", _BOOL, ctypes.c_void_p, _SIZE)
_VirtualQuery = _bind(
    _kernel32,
    "VirtualQuery",
    _SIZE,
    ctypes.c_void_p,
    ctypes.POINTER(_MemoryBasicInformation),
    _SIZE,
)
_VirtualFree = _bind(_kernel32, "VirtualFree", _BOOL, ctypes.c_void_p, _SIZE, _DWORD)
_GetCurrentProcess = _bind(_kernel32, "GetCurrentProcess", _HANDLE)

# Placeholders (Windows 10 1803+) are exported by kernelbase.dll (the umbrella
# api-ms-win-core-memory-l1-1-6.dll forwards there), not by kernel32.dll.
try:
    _kernelbase = ctypes.WinDLL("kernelbase", use_last_error=True)
    _VirtualAlloc2: Any = _bind(
        _kernelbase,
        "VirtualAlloc2",
        ctypes.c_void_p,
        _HANDLE,
        ctypes.c_void_p,
        _SIZE,
        ctypes.c_ulong,
        ctypes.c_ulong,
        ctypes.c_void_p,
        ctypes.c_ulong,
    )
    _MapViewOfFile3: Any = _bind(
        _kernelbase,
        "MapViewOfFile3",
        ctypes.c_void_p,
        _HANDLE,
        _HANDLE,
        ctypes.c_void_p,
        ctypes.c_uint64,
        _SIZE,
        ctypes.c_ulong,
        ctypes.c_ulong,
        ctypes.c_void_p,
        ctypes.c_ulong,
    )
except (OSError, AttributeError):  # older Windows: mirror() reports it, nothing else needs them
    _VirtualAlloc2 = _MapViewOfFile3 = None


_SIZE_MAX = 2 ** (8 * ctypes.sizeof(_SIZE)) - 1


def _check_size(n: int, call: str) -> None:
    """ctypes truncates an int that overflows SIZE_T without a word: on 32-bit Python a
    5 GiB request would map 1 GiB while the map claims 5. Refuse it as out of memory."""
    if n > _SIZE_MAX:
        raise OsCallError(ERROR_NOT_ENOUGH_MEMORY, call)


def _split(n: int) -> tuple[int, int]:
    """A 64-bit size or offset as the (high, low) DWORD pair the API takes."""
    return n >> 32, n & 0xFFFFFFFF


def _fail(call: str) -> OsCallError:
    """The error of the foreign call that just failed (read before any other call)."""
    return OsCallError(ctypes.get_last_error(), call)


def _handle(h: int | None, call: str) -> int:
    """A handle result, or the call's error: NULL means failure."""
    if not h:
        raise _fail(call)
    return h


class WindowsBackend:
    """Win32 primitives (see the module docstring; UNTESTED on Windows)."""

    name: ClassVar[str] = "windows"
    NOT_FOUND: ClassVar[frozenset[int]] = frozenset({ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND})
    # ERROR_FILE_TOO_LARGE is the counterpart of POSIX EFBIG, which Linux counts too.
    DISK_FULL: ClassVar[frozenset[int]] = frozenset(
        {ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL, ERROR_FILE_TOO_LARGE}
    )
    # ERROR_INVALID_ADDRESS: a requested address (or part of the range) is in use.
    OUT_OF_MEM: ClassVar[frozenset[int]] = frozenset(
        {ERROR_NOT_ENOUGH_MEMORY, ERROR_OUTOFMEMORY, ERROR_INVALID_ADDRESS, ERROR_COMMITMENT_LIMIT}
    )
    # Object names are limited to MAX_PATH UTF-16 units with the NUL, of which the
    # "Local\" prefix takes 6: 253 units. A UTF-8 byte count <= 253 guarantees that
    # (no character takes fewer UTF-8 bytes than UTF-16 units).
    TAGNAME_MAX: ClassVar[int] = MAX_PATH - 1 - len(_TAG_PREFIX)
    # Handles that are not disk files (consoles, pipes, sockets): GetFileSizeEx fails
    # on them with ERROR_INVALID_FUNCTION, and so does this library, by rule. There are
    # no directories here: CreateFileW opens one only with FILE_FLAG_BACKUP_SEMANTICS.
    UNSIZED: ClassVar[dict[FileKind, int]] = {
        "fifo": ERROR_INVALID_FUNCTION,
        "char": ERROR_INVALID_FUNCTION,
        "other": ERROR_INVALID_FUNCTION,
    }
    UNMAPPABLE: ClassVar[dict[FileKind, int]] = {
        "fifo": ERROR_INVALID_FUNCTION,
        "char": ERROR_INVALID_FUNCTION,
        "other": ERROR_INVALID_FUNCTION,
    }
    FOREIGN: ClassVar[int] = ERROR_ACCESS_DENIED
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
        info = _SystemInfo()
        _GetSystemInfo(ctypes.byref(info))
        self._pagesize = int(info.dwAllocationGranularity)
        self._process: int = _GetCurrentProcess()  # a constant pseudo-handle; never closed

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
            GENERIC_READ | (GENERIC_WRITE if write else 0) | (GENERIC_EXECUTE if execute else 0)
        )
        h: int | None = _CreateFileW(
            path,
            rights,
            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
            None,
            OPEN_ALWAYS if write else OPEN_EXISTING,
            FILE_ATTRIBUTE_NORMAL,
            None,
        )
        if h is None or h == INVALID_HANDLE_VALUE:
            raise _fail("CreateFileW")
        return h, write and ctypes.get_last_error() != ERROR_ALREADY_EXISTS

    def open_tag(self, tagname: str, write: bool, shared: bool) -> tuple[OsFile, bool]:
        # SHM_FILES is False: the public layer passes tagnames to map() instead.
        raise NotImplementedError("Windows tagnames name sections: see WindowsBackend.map")

    def not_private(self, f: OsFile) -> str | None:
        # Only for tagname files (SHM_FILES). Sections are named in the session's own
        # Local\ namespace, where by default only that session's user and administrators
        # can create names.
        raise NotImplementedError("Windows tagnames name sections: see WindowsBackend.map")

    def _file_kind(self, f: OsFile) -> FileKind:
        kind = _GetFileType(f)
        if kind == FILE_TYPE_DISK:
            return "regular"
        if kind == FILE_TYPE_CHAR:
            return "char"
        if kind == FILE_TYPE_PIPE:  # anonymous and named pipes, and sockets
            return "fifo"
        if kind == FILE_TYPE_UNKNOWN and ctypes.get_last_error():
            raise _fail("GetFileType")
        return "other"

    def file_kind_size(self, f: OsFile) -> tuple[FileKind, int | None]:
        return self._file_kind(f), None  # GetFileType tells no size

    def tag_size(self, tagname: str) -> int:
        """The size of an existing named section, in whole pages (see the module
        docstring); a missing one fails with ERROR_FILE_NOT_FOUND (NOT_FOUND)."""
        section = _handle(
            _OpenFileMappingW(FILE_MAP_READ, False, _TAG_PREFIX + tagname), "OpenFileMappingW"
        )
        try:
            view: int | None = _MapViewOfFileEx(section, FILE_MAP_READ, 0, 0, 0, None)
            if not view:
                raise _fail("MapViewOfFileEx")
            info = _MemoryBasicInformation()
            queried = _VirtualQuery(view, ctypes.byref(info), ctypes.sizeof(info))
            err = ctypes.get_last_error()
            _UnmapViewOfFile(view)
            if not queried:
                raise OsCallError(err, "VirtualQuery")
            return int(info.RegionSize)
        finally:
            _CloseHandle(section)

    def unlink_tag(self, tagname: str) -> None:
        """Nothing to remove: a named section vanishes with its last view or handle."""

    def remove_path(self, path: str) -> None:
        # Best effort: the failure that led here is the one to report.
        _DeleteFileW(path)

    def from_fd(self, fd: int) -> OsFile:
        try:
            return msvcrt.get_osfhandle(fd)
        except OSError:  # EBADF from the C runtime: not an open descriptor
            raise OsCallError(ERROR_INVALID_HANDLE, "_get_osfhandle") from None

    def close(self, f: OsFile) -> None:
        if not _CloseHandle(f):
            raise _fail("CloseHandle")

    def file_size(self, f: OsFile) -> int:
        size = ctypes.c_int64()
        if not _GetFileSizeEx(f, ctypes.byref(size)):
            raise _fail("GetFileSizeEx")
        return size.value

    def truncate(self, f: OsFile, size: int) -> None:
        # FileEndOfFileInfo sets the size like SetFilePointerEx + SetEndOfFile would,
        # without moving the file pointer of a handle the caller may share with us.
        end = ctypes.c_int64(size)  # FILE_END_OF_FILE_INFO is one LARGE_INTEGER
        if not _SetFileInformationByHandle(
            f, FILE_END_OF_FILE_INFO_CLASS, ctypes.byref(end), ctypes.sizeof(end)
        ):
            raise _fail("SetFileInformationByHandle(FileEndOfFileInfo)")

    def unmap_copies(self, addr: int, size: int, times: int) -> None:
        # Each copy is a view of its own, released by its own call.
        for i in range(times):
            self.unmap(addr + i * size, size)

    def reserve(self, f: OsFile, start: int, end: int) -> None:
        """Allocate ``end`` bytes of clusters, then move the end of file (the new range
        reads as zeros). A full disk fails the allocation with ERROR_DISK_FULL; a file
        system that cannot set allocation sizes gets a plain resize, which on NTFS
        still allocates a non-sparse file's clusters."""
        alloc = ctypes.c_int64(end)  # FILE_ALLOCATION_INFO is one LARGE_INTEGER
        if not _SetFileInformationByHandle(
            f, FILE_ALLOCATION_INFO_CLASS, ctypes.byref(alloc), ctypes.sizeof(alloc)
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
        protect, view, opening = _ACCESS[access]
        _check_size(size, "MapViewOfFileEx")
        if tagname is not None:
            name = _TAG_PREFIX + tagname
            if access in _CREATES:
                # An existing section is opened as it is (ERROR_ALREADY_EXISTS), never resized.
                section = _handle(
                    _CreateFileMappingW(
                        INVALID_HANDLE_VALUE, None, protect, *_split(offset + size), name
                    ),
                    "CreateFileMappingW",
                )
            else:
                section = _handle(_OpenFileMappingW(opening, False, name), "OpenFileMappingW")
        elif f is None:
            section = _handle(
                _CreateFileMappingW(INVALID_HANDLE_VALUE, None, protect, *_split(size), None),
                "CreateFileMappingW",
            )
        else:
            # Maximum size 0: the file's current size. The public layer has already grown
            # the file; a larger maximum would silently grow it again (unreserved).
            section = _handle(
                _CreateFileMappingW(f, None, protect, 0, 0, None), "CreateFileMappingW"
            )
        try:
            got: int | None = _MapViewOfFileEx(section, view, *_split(offset), size, addr)
            if not got:
                raise _fail("MapViewOfFileEx")
            return got
        finally:
            _CloseHandle(section)  # the view keeps the section alive

    def unmap(self, addr: int, size: int) -> None:
        # A view is released whole; its size is implied.
        if not _UnmapViewOfFile(addr):
            raise _fail("UnmapViewOfFile")

    def flush(self, addr: int, size: int, async_: bool, f: OsFile | None) -> None:
        """FlushViewOfFile starts writing the dirty pages and returns (async); a
        synchronous flush then waits for the file's data with FlushFileBuffers.

        A handle opened without write access cannot be flushed (ERROR_ACCESS_DENIED)
        and has nothing to flush, since its views cannot dirty the file. A ``size`` of 0
        makes FlushViewOfFile flush to the end of the view: more than asked, never less."""
        if not _FlushViewOfFile(addr, size):
            raise _fail("FlushViewOfFile")
        if not async_ and f is not None and not _FlushFileBuffers(f):
            err = ctypes.get_last_error()
            if err != ERROR_ACCESS_DENIED:
                raise OsCallError(err, "FlushFileBuffers")

    def mirror(self, f: OsFile, size: int, times: int, addr: int | None) -> int:
        """Reserve one placeholder over all copies (at ``addr`` if given: a range in use
        fails with ERROR_INVALID_ADDRESS), split it per copy, and replace each piece by a
        read+write shared view of the file's first ``size`` bytes. On failure every piece
        (view or placeholder) is released."""
        _check_size(size * times, "VirtualAlloc2")
        if _VirtualAlloc2 is None or _MapViewOfFile3 is None:
            raise OsCallError(
                ERROR_PROC_NOT_FOUND,
                "VirtualAlloc2/MapViewOfFile3 in "
                "kernelbase.dll (race-free mirrors need Windows 10 1803+)",
            )
        section = _handle(
            _CreateFileMappingW(f, None, PAGE_READWRITE, 0, 0, None), "CreateFileMappingW"
        )
        try:
            base: int | None = _VirtualAlloc2(
                self._process,
                addr,
                size * times,
                MEM_RESERVE | MEM_RESERVE_PLACEHOLDER,
                PAGE_NOACCESS,
                None,
                0,
            )
            if not base:
                raise _fail("VirtualAlloc2")
            pieces = [base]  # placeholder starts; the first `mapped` are views by now
            mapped = 0
            try:
                for i in range(1, times):  # split the rest off the last piece
                    if not _VirtualFree(pieces[-1], size, MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER):
                        raise _fail("VirtualFree(MEM_PRESERVE_PLACEHOLDER)")
                    pieces.append(base + i * size)
                for at in pieces:
                    if (
                        _MapViewOfFile3(
                            section,
                            self._process,
                            at,
                            0,
                            size,
                            MEM_REPLACE_PLACEHOLDER,
                            PAGE_READWRITE,
                            None,
                            0,
                        )
                        != at
                    ):
                        raise _fail("MapViewOfFile3")
                    mapped += 1
            except OsCallError:
                for i, at in enumerate(pieces):
                    if i < mapped:
                        _UnmapViewOfFile(at)
                    else:
                        _VirtualFree(at, 0, MEM_RELEASE)
                raise
            return base
        finally:
            _CloseHandle(section)  # the views keep the section alive


if TYPE_CHECKING:
    # mypy --platform win32 checks that the class implements the Protocol.
    _conforms: Backend = WindowsBackend()
