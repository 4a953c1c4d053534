"""Windows backend. UNTESTED: written against the Win32 documentation, never run here.

Files are HANDLEs (``CreateFileW``); a map is a section (``CreateFileMappingW``)
and a view (``MapViewOfFileEx``). The section handle is closed right after
mapping (the view keeps it alive); the file handle is kept for
``FlushFileBuffers``. ``MapViewOfFileEx`` at a requested address fails with
ERROR_INVALID_ADDRESS when the range is in use, so nothing is ever replaced.
Offsets and addresses align to the allocation granularity (64 KiB), which is
therefore what ``pagesize()`` reports. Tagnames name sections in the session
namespace (no files: ``unlink`` has nothing to do). Mirrors use placeholders
(Windows 10 1803+): ``VirtualAlloc2`` reserves the range, ``VirtualFree`` with
MEM_PRESERVE_PLACEHOLDER splits it per copy, and ``MapViewOfFile3`` with
MEM_REPLACE_PLACEHOLDER maps each copy into its piece, race-free.
"""

from __future__ import annotations

import ctypes
import msvcrt  # type: ignore[import-not-found,unused-ignore]
from ctypes import wintypes
from typing import Any, ClassVar

from .base import OsCallError, OsFile

GENERIC_READ = 0x80000000
GENERIC_WRITE = 0x40000000
GENERIC_EXECUTE = 0x20000000
FILE_SHARE_ALL = 0x1 | 0x2 | 0x4  # read, write, delete
CREATE_NEW = 1
OPEN_EXISTING = 3
FILE_ATTRIBUTE_NORMAL = 0x80
FILE_ALLOCATION_INFO_CLASS = 5  # FileAllocationInfo
FILE_END_OF_FILE_INFO_CLASS = 6  # FileEndOfFileInfo
PAGE_NOACCESS = 0x01
PAGE_READONLY = 0x02
PAGE_READWRITE = 0x04
PAGE_WRITECOPY = 0x08
PAGE_EXECUTE_READ = 0x20
PAGE_EXECUTE_READWRITE = 0x40
PAGE_EXECUTE_WRITECOPY = 0x80
FILE_MAP_COPY = 0x1
FILE_MAP_WRITE = 0x2
FILE_MAP_READ = 0x4
FILE_MAP_EXECUTE = 0x20
MEM_RESERVE = 0x2000
MEM_RELEASE = 0x8000
MEM_RESERVE_PLACEHOLDER = 0x40000
MEM_REPLACE_PLACEHOLDER = 0x4000
MEM_PRESERVE_PLACEHOLDER = 0x2
ERROR_FILE_NOT_FOUND = 2
ERROR_PATH_NOT_FOUND = 3
ERROR_INVALID_HANDLE = 6
ERROR_NOT_ENOUGH_MEMORY = 8
ERROR_OUTOFMEMORY = 14
ERROR_HANDLE_DISK_FULL = 39
ERROR_NOT_SUPPORTED = 50
ERROR_FILE_EXISTS = 80
ERROR_DISK_FULL = 112
ERROR_FILE_TOO_LARGE = 223
ERROR_INVALID_ADDRESS = 487
ERROR_COMMITMENT_LIMIT = 1455
INVALID_HANDLE_VALUE = 2**64 - 1 if ctypes.sizeof(ctypes.c_void_p) == 8 else 2**32 - 1

# access -> (section protection, view access, file handle rights)
_ACCESS: dict[str, tuple[int, int, int]] = {
    "": (PAGE_READONLY, FILE_MAP_READ, GENERIC_READ),
    "w": (PAGE_READWRITE, FILE_MAP_WRITE, GENERIC_READ | GENERIC_WRITE),
    "c": (PAGE_WRITECOPY, FILE_MAP_COPY, GENERIC_READ),
    "x": (PAGE_EXECUTE_READ, FILE_MAP_READ | FILE_MAP_EXECUTE, GENERIC_READ | GENERIC_EXECUTE),
    "wx": (PAGE_EXECUTE_READWRITE, FILE_MAP_WRITE | FILE_MAP_EXECUTE,
           GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE),
    "cx": (PAGE_EXECUTE_WRITECOPY, FILE_MAP_COPY | FILE_MAP_EXECUTE,
           GENERIC_READ | GENERIC_EXECUTE),
}


class _SYSTEM_INFO(ctypes.Structure):
    _fields_ = [("wProcessorArchitecture", wintypes.WORD), ("wReserved", wintypes.WORD),
                ("dwPageSize", wintypes.DWORD), ("lpMinimumApplicationAddress", ctypes.c_void_p),
                ("lpMaximumApplicationAddress", ctypes.c_void_p),
                ("dwActiveProcessorMask", ctypes.c_size_t),
                ("dwNumberOfProcessors", wintypes.DWORD),
                ("dwProcessorType", wintypes.DWORD), ("dwAllocationGranularity", wintypes.DWORD),
                ("wProcessorLevel", wintypes.WORD), ("wProcessorRevision", wintypes.WORD)]


class _MEMORY_BASIC_INFORMATION(ctypes.Structure):
    _fields_ = [("BaseAddress", ctypes.c_void_p), ("AllocationBase", ctypes.c_void_p),
                ("AllocationProtect", wintypes.DWORD), ("PartitionId", wintypes.WORD),
                ("RegionSize", ctypes.c_size_t), ("State", wintypes.DWORD),
                ("Protect", wintypes.DWORD), ("Type", wintypes.DWORD)]


def _proto(dll: Any, name: str, restype: Any, *argtypes: Any) -> Any:
    fn = getattr(dll, name)
    fn.argtypes = list(argtypes)
    fn.restype = restype
    return fn


_H = ctypes.c_void_p
_k32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]
_CreateFileW = _proto(_k32, "CreateFileW", _H, wintypes.LPCWSTR, wintypes.DWORD, wintypes.DWORD,
                      ctypes.c_void_p, wintypes.DWORD, wintypes.DWORD, _H)
_CloseHandle = _proto(_k32, "CloseHandle", wintypes.BOOL, _H)
_DeleteFileW = _proto(_k32, "DeleteFileW", wintypes.BOOL, wintypes.LPCWSTR)
_GetFileSizeEx = _proto(_k32, "GetFileSizeEx", wintypes.BOOL, _H, ctypes.POINTER(ctypes.c_int64))
_SetFileInformationByHandle = _proto(_k32, "SetFileInformationByHandle", wintypes.BOOL, _H,
                                     ctypes.c_int, ctypes.c_void_p, wintypes.DWORD)
_CreateFileMappingW = _proto(_k32, "CreateFileMappingW", _H, _H, ctypes.c_void_p, wintypes.DWORD,
                             wintypes.DWORD, wintypes.DWORD, wintypes.LPCWSTR)
_OpenFileMappingW = _proto(_k32, "OpenFileMappingW", _H, wintypes.DWORD, wintypes.BOOL,
                           wintypes.LPCWSTR)
_MapViewOfFileEx = _proto(_k32, "MapViewOfFileEx", ctypes.c_void_p, _H, wintypes.DWORD,
                          wintypes.DWORD, wintypes.DWORD, ctypes.c_size_t, ctypes.c_void_p)
_UnmapViewOfFile = _proto(_k32, "UnmapViewOfFile", wintypes.BOOL, ctypes.c_void_p)
_FlushViewOfFile = _proto(_k32, "FlushViewOfFile", wintypes.BOOL, ctypes.c_void_p, ctypes.c_size_t)
_FlushFileBuffers = _proto(_k32, "FlushFileBuffers", wintypes.BOOL, _H)
_VirtualQuery = _proto(_k32, "VirtualQuery", ctypes.c_size_t, ctypes.c_void_p,
                       ctypes.POINTER(_MEMORY_BASIC_INFORMATION), ctypes.c_size_t)
_VirtualFree = _proto(_k32, "VirtualFree", wintypes.BOOL, ctypes.c_void_p, ctypes.c_size_t,
                      wintypes.DWORD)
_GetCurrentProcess = _proto(_k32, "GetCurrentProcess", _H)
_GetSystemInfo = _proto(_k32, "GetSystemInfo", None, ctypes.POINTER(_SYSTEM_INFO))


def _err(call: str) -> OsCallError:
    return OsCallError(ctypes.get_last_error(), call)  # type: ignore[attr-defined,unused-ignore]


def _hi_lo(n: int) -> tuple[int, int]:
    return (n >> 32) & 0xFFFFFFFF, n & 0xFFFFFFFF


class WindowsBackend:
    name: ClassVar[str] = "windows"
    NOT_FOUND: ClassVar[frozenset[int]] = frozenset({ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND})
    DISK_FULL: ClassVar[frozenset[int]] = frozenset(
        {ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL, ERROR_FILE_TOO_LARGE})
    OUT_OF_MEM: ClassVar[frozenset[int]] = frozenset(
        {ERROR_NOT_ENOUGH_MEMORY, ERROR_OUTOFMEMORY, ERROR_INVALID_ADDRESS, ERROR_COMMITMENT_LIMIT})
    TAGNAME_MAX: ClassVar[int] = 260  # MAX_PATH, the kernel object name limit
    SHM_FILES: ClassVar[bool] = False
    KEEPS_FILE: ClassVar[bool] = True

    def __init__(self) -> None:
        info = _SYSTEM_INFO()
        _GetSystemInfo(ctypes.byref(info))
        self._granularity = int(info.dwAllocationGranularity)
        self._placeholders: tuple[Any, Any] | None = None

    def pagesize(self) -> int:
        return self._granularity

    def strerror(self, err: int) -> str:
        return str(ctypes.FormatError(err)).strip()  # type: ignore[attr-defined,unused-ignore]

    # -- files ------------------------------------------------------------------

    def open_path(self, path: str, write: bool, execute: bool = False) -> tuple[OsFile, bool]:
        rights = (GENERIC_READ | (GENERIC_WRITE if write else 0)
                  | (GENERIC_EXECUTE if execute else 0))
        for disposition in (OPEN_EXISTING, CREATE_NEW, OPEN_EXISTING):
            h = _CreateFileW(path, rights, FILE_SHARE_ALL, None, disposition,
                             FILE_ATTRIBUTE_NORMAL, None)
            if h is not None and h != INVALID_HANDLE_VALUE:
                return int(h), disposition == CREATE_NEW
            err = ctypes.get_last_error()  # type: ignore[attr-defined,unused-ignore]
            if disposition == OPEN_EXISTING and not (write and err == ERROR_FILE_NOT_FOUND):
                break
            if disposition == CREATE_NEW and err != ERROR_FILE_EXISTS:
                break
        raise OsCallError(err, "CreateFileW")

    def open_tag(self, tagname: str, write: bool) -> tuple[OsFile, bool]:
        raise OsCallError(ERROR_NOT_SUPPORTED, "open_tag")  # tagnames name sections here

    def unlink_tag(self, tagname: str) -> None:
        pass  # sections vanish with their last handle: nothing on disk to remove

    def tag_size(self, tagname: str) -> int:
        """The size of an existing named section (rounded to pages by the OS)."""
        h = _OpenFileMappingW(FILE_MAP_READ, False, tagname)
        if not h:
            raise _err("OpenFileMappingW")
        try:
            view = _MapViewOfFileEx(h, FILE_MAP_READ, 0, 0, 0, None)
            if not view:
                raise _err("MapViewOfFileEx")
            mbi = _MEMORY_BASIC_INFORMATION()
            _VirtualQuery(view, ctypes.byref(mbi), ctypes.sizeof(mbi))
            _UnmapViewOfFile(view)
            return int(mbi.RegionSize)
        finally:
            _CloseHandle(h)

    def remove_path(self, path: str) -> None:
        _DeleteFileW(path)  # best effort: the original failure is what gets reported

    def from_fd(self, fd: int) -> OsFile:
        try:
            return int(msvcrt.get_osfhandle(fd))  # type: ignore[attr-defined,unused-ignore]
        except OSError:
            raise OsCallError(ERROR_INVALID_HANDLE, "_get_osfhandle") from None

    def close(self, f: OsFile) -> None:
        _CloseHandle(f)

    def file_size(self, f: OsFile) -> int:
        size = ctypes.c_int64()
        if not _GetFileSizeEx(f, ctypes.byref(size)):
            raise _err("GetFileSizeEx")
        return size.value

    def _set_info(self, f: OsFile, cls: int, value: int, call: str) -> None:
        v = ctypes.c_int64(value)
        if not _SetFileInformationByHandle(f, cls, ctypes.byref(v), ctypes.sizeof(v)):
            raise _err(call)

    def truncate(self, f: OsFile, size: int) -> None:
        self._set_info(f, FILE_END_OF_FILE_INFO_CLASS, size, "SetFileInformationByHandle(EOF)")

    def reserve(self, f: OsFile, start: int, end: int) -> None:
        # Allocation first: on a full disk it fails with ERROR_DISK_FULL up front.
        self._set_info(f, FILE_ALLOCATION_INFO_CLASS, end,
                       "SetFileInformationByHandle(allocation)")
        self.truncate(f, end)

    # -- mappings -----------------------------------------------------------------

    def map(self, f: OsFile | None, size: int, offset: int, access: str, addr: int | None,
            tagname: str | None) -> int:
        protect, view_access, _ = _ACCESS[access]
        if f is None and tagname is not None and access in ("", "x", "c", "cx"):
            section = _OpenFileMappingW(view_access, False, tagname)
        else:
            hi, lo = _hi_lo(offset + size if f is not None else size)
            section = _CreateFileMappingW(INVALID_HANDLE_VALUE if f is None else f, None,
                                          protect, hi, lo, tagname)
        if not section:
            raise _err("CreateFileMappingW")
        try:
            off_hi, off_lo = _hi_lo(offset if f is not None else 0)
            view = _MapViewOfFileEx(section, view_access, off_hi, off_lo, size, addr)
            if not view:
                raise _err("MapViewOfFileEx")
            return int(view)
        finally:
            _CloseHandle(section)  # the view keeps the section alive

    def unmap(self, addr: int, size: int) -> None:
        if not _UnmapViewOfFile(addr):
            raise _err("UnmapViewOfFile")

    def flush(self, addr: int, size: int, async_: bool, f: OsFile | None) -> None:
        if not _FlushViewOfFile(addr, size):
            raise _err("FlushViewOfFile")
        if not async_ and f is not None and not _FlushFileBuffers(f):
            raise _err("FlushFileBuffers")

    def _placeholder_api(self) -> tuple[Any, Any]:
        if self._placeholders is None:
            kb = ctypes.WinDLL(  # type: ignore[attr-defined,unused-ignore]
                "kernelbase", use_last_error=True)
            alloc2 = _proto(kb, "VirtualAlloc2", ctypes.c_void_p, _H, ctypes.c_void_p,
                            ctypes.c_size_t, wintypes.ULONG, wintypes.ULONG, ctypes.c_void_p,
                            wintypes.ULONG)
            view3 = _proto(kb, "MapViewOfFile3", ctypes.c_void_p, _H, _H, ctypes.c_void_p,
                           ctypes.c_uint64, ctypes.c_size_t, wintypes.ULONG, wintypes.ULONG,
                           ctypes.c_void_p, wintypes.ULONG)
            self._placeholders = (alloc2, view3)
        return self._placeholders

    def mirror(self, f: OsFile, size: int, times: int, addr: int | None) -> int:
        alloc2, view3 = self._placeholder_api()
        total = size * times
        base = alloc2(None, addr, total, MEM_RESERVE | MEM_RESERVE_PLACEHOLDER, PAGE_NOACCESS,
                      None, 0)
        if not base:
            raise _err("VirtualAlloc2")
        base = int(base)
        if addr is not None and base != addr:  # cannot happen per the docs; never trust it
            _VirtualFree(base, 0, MEM_RELEASE)
            raise OsCallError(ERROR_INVALID_ADDRESS, "VirtualAlloc2")
        mapped: list[int] = []
        try:
            for i in range(times - 1):  # split into one placeholder per copy
                if not _VirtualFree(base + i * size, size, MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER):
                    raise _err("VirtualFree(split)")
            section = _CreateFileMappingW(f, None, PAGE_READWRITE, *_hi_lo(size), None)
            if not section:
                raise _err("CreateFileMappingW")
            try:
                for i in range(times):
                    view = view3(section, _GetCurrentProcess(), base + i * size, 0, size,
                                 MEM_REPLACE_PLACEHOLDER, PAGE_READWRITE, None, 0)
                    if not view:
                        raise _err("MapViewOfFile3")
                    mapped.append(int(view))
            finally:
                _CloseHandle(section)
        except OsCallError:
            for view in mapped:
                _UnmapViewOfFile(view)
            for i in range(len(mapped), times):  # the placeholders not replaced
                _VirtualFree(base + i * size, 0, MEM_RELEASE)
            raise
        return base
