"""The Win32 API as the Windows backend calls it, through ctypes: the constants of
the Windows SDK headers, the structures it reads, the foreign functions with their
prototypes (bound once, at import), and small helpers for calling them.

Run under Wine 8, NOT on real Windows here (see ``_windows.py``);
``tests/reference/test_windows_backend_static.py`` parses this file to compare the
constants, prototypes and structure layouts with the SDK. The logic that uses them is
in ``_windows.py`` and ``_win_mirror.py``.
"""

from __future__ import annotations

import ctypes
import sys
from ctypes import wintypes
from typing import Any

from .base import OsCallError

# mypy checks the rest of this module only with --platform win32; at runtime the
# Windows backend imports it on Windows only.
assert sys.platform == "win32", "the Win32 API is for Windows only"

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
# winnt.h: section access (what an executable view needs of an opened section's handle)
SECTION_MAP_EXECUTE = 0x0008
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
ERROR_INVALID_PARAMETER = 87
ERROR_HANDLE_DISK_FULL = 39
ERROR_DISK_FULL = 112
ERROR_PROC_NOT_FOUND = 127
ERROR_ALREADY_EXISTS = 183
ERROR_FILE_TOO_LARGE = 223
ERROR_INVALID_ADDRESS = 487
ERROR_COMMITMENT_LIMIT = 1455

HANDLE = ctypes.c_void_p
INVALID_HANDLE_VALUE: int = ctypes.c_void_p(-1).value or 0
"""``(HANDLE)-1`` as ctypes returns it for a c_void_p result (pointer-sized, unsigned)."""


# access -> (section protection, view access for MapViewOfFileEx,
#            desired access for OpenFileMappingW on an existing named section).
# An executable view of an opened section needs SECTION_MAP_EXECUTE on its handle, which
# FILE_MAP_EXECUTE (SECTION_MAP_EXECUTE_EXPLICIT) does not grant: both are asked for
# (under Wine 8 an 'x' view of a handle opened without it fails with ERROR_ACCESS_DENIED).
ACCESS_FLAGS: dict[str, tuple[int, int, int]] = {
    "": (PAGE_READONLY, FILE_MAP_READ, FILE_MAP_READ),
    "w": (PAGE_READWRITE, FILE_MAP_WRITE, FILE_MAP_READ | FILE_MAP_WRITE),
    "c": (PAGE_WRITECOPY, FILE_MAP_COPY, FILE_MAP_READ),
    "x": (
        PAGE_EXECUTE_READ,
        FILE_MAP_READ | FILE_MAP_EXECUTE,
        FILE_MAP_READ | FILE_MAP_EXECUTE | SECTION_MAP_EXECUTE,
    ),
    "wx": (
        PAGE_EXECUTE_READWRITE,
        FILE_MAP_WRITE | FILE_MAP_EXECUTE,
        FILE_MAP_READ | FILE_MAP_WRITE | FILE_MAP_EXECUTE | SECTION_MAP_EXECUTE,
    ),
    "cx": (
        PAGE_EXECUTE_WRITECOPY,
        FILE_MAP_COPY | FILE_MAP_EXECUTE,
        FILE_MAP_READ | FILE_MAP_EXECUTE | SECTION_MAP_EXECUTE,
    ),
}


class SYSTEM_INFO(ctypes.Structure):
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


class MEMORY_BASIC_INFORMATION(ctypes.Structure):
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
GetSystemInfo = _bind(_kernel32, "GetSystemInfo", None, ctypes.POINTER(SYSTEM_INFO))
CreateFileW = _bind(
    _kernel32,
    "CreateFileW",
    HANDLE,
    wintypes.LPCWSTR,
    _DWORD,
    _DWORD,
    ctypes.c_void_p,
    _DWORD,
    _DWORD,
    HANDLE,
)
DeleteFileW = _bind(_kernel32, "DeleteFileW", _BOOL, wintypes.LPCWSTR)
CloseHandle = _bind(_kernel32, "CloseHandle", _BOOL, HANDLE)
GetFileType = _bind(_kernel32, "GetFileType", _DWORD, HANDLE)
GetFileSizeEx = _bind(_kernel32, "GetFileSizeEx", _BOOL, HANDLE, ctypes.POINTER(ctypes.c_int64))
SetFileInformationByHandle = _bind(
    _kernel32, "SetFileInformationByHandle", _BOOL, HANDLE, ctypes.c_int, ctypes.c_void_p, _DWORD
)
FlushFileBuffers = _bind(_kernel32, "FlushFileBuffers", _BOOL, HANDLE)
CreateFileMappingW = _bind(
    _kernel32,
    "CreateFileMappingW",
    HANDLE,
    HANDLE,
    ctypes.c_void_p,
    _DWORD,
    _DWORD,
    _DWORD,
    wintypes.LPCWSTR,
)
OpenFileMappingW = _bind(_kernel32, "OpenFileMappingW", HANDLE, _DWORD, _BOOL, wintypes.LPCWSTR)
MapViewOfFileEx = _bind(
    _kernel32,
    "MapViewOfFileEx",
    ctypes.c_void_p,
    HANDLE,
    _DWORD,
    _DWORD,
    _DWORD,
    _SIZE,
    ctypes.c_void_p,
)
UnmapViewOfFile = _bind(_kernel32, "UnmapViewOfFile", _BOOL, ctypes.c_void_p)
FlushViewOfFile = _bind(_kernel32, "FlushViewOfFile", _BOOL, ctypes.c_void_p, _SIZE)
VirtualQuery = _bind(
    _kernel32,
    "VirtualQuery",
    _SIZE,
    ctypes.c_void_p,
    ctypes.POINTER(MEMORY_BASIC_INFORMATION),
    _SIZE,
)
VirtualAlloc = _bind(
    _kernel32, "VirtualAlloc", ctypes.c_void_p, ctypes.c_void_p, _SIZE, _DWORD, _DWORD
)
VirtualFree = _bind(_kernel32, "VirtualFree", _BOOL, ctypes.c_void_p, _SIZE, _DWORD)
GetCurrentProcess = _bind(_kernel32, "GetCurrentProcess", HANDLE)

# Placeholders (Windows 10 1803+) are exported by kernelbase.dll (the umbrella
# api-ms-win-core-memory-l1-1-6.dll forwards there), not by kernel32.dll.
try:
    _kernelbase = ctypes.WinDLL("kernelbase", use_last_error=True)
    VirtualAlloc2: Any = _bind(
        _kernelbase,
        "VirtualAlloc2",
        ctypes.c_void_p,
        HANDLE,
        ctypes.c_void_p,
        _SIZE,
        ctypes.c_ulong,
        ctypes.c_ulong,
        ctypes.c_void_p,
        ctypes.c_ulong,
    )
    MapViewOfFile3: Any = _bind(
        _kernelbase,
        "MapViewOfFile3",
        ctypes.c_void_p,
        HANDLE,
        HANDLE,
        ctypes.c_void_p,
        ctypes.c_uint64,
        _SIZE,
        ctypes.c_ulong,
        ctypes.c_ulong,
        ctypes.c_void_p,
        ctypes.c_ulong,
    )
except (OSError, AttributeError):  # older Windows: mirrors take the other way (_win_mirror)
    VirtualAlloc2 = MapViewOfFile3 = None


def split(n: int) -> tuple[int, int]:
    """A 64-bit size or offset as the (high, low) DWORD pair the API takes."""
    return n >> 32, n & 0xFFFFFFFF


def last_error(call: str) -> OsCallError:
    """The error of the foreign call that just failed (read before any other call)."""
    return OsCallError(ctypes.get_last_error(), call)


def handle(h: int | None, call: str) -> int:
    """A handle result, or the call's error: NULL means failure."""
    if not h:
        raise last_error(call)
    return h


def create_section(f: int, protect: int, max_size: int, name: str | None) -> int:
    """A section (file mapping object) of the file ``f`` or, with INVALID_HANDLE_VALUE,
    of the pagefile. ``max_size`` 0 means the file's current size."""
    section: int | None = CreateFileMappingW(f, None, protect, *split(max_size), name)
    return handle(section, "CreateFileMappingW")
