"""Minimal probes of the Win32 calls the reference's Windows backend relies on.

Standalone (ctypes only, no mmapspec): run it with a Windows Python, on Windows or
under Wine, and each probe prints one line, ``name: what it found``::

    python.exe tools/win_probes.py            # every probe
    python.exe tools/win_probes.py placeholder_reserve tagname_name_after_close

What they settle (the Wine expectations cite them by name):

* ``placeholder_*``: whether ``VirtualAlloc2`` reserves a placeholder
  (``MEM_RESERVE | MEM_RESERVE_PLACEHOLDER``, as the backend calls it) with the
  process as NULL or ``GetCurrentProcess()``, with an address-requirements extended
  parameter, at a free 64 KiB-aligned address, next to the same call with
  ``MEM_RESERVE`` alone: if only the placeholder calls fail, the system has no
  placeholders (the call itself is right), and mirrors take the search-and-map way.
* ``placeholder_split`` and ``placeholder_replace``: ``VirtualFree(MEM_RELEASE |
  MEM_PRESERVE_PLACEHOLDER)`` and ``MapViewOfFile3(MEM_REPLACE_PLACEHOLDER)`` on a
  placeholder, where one can be made.
* ``mapviewoffile3_alone``: ``MapViewOfFile3`` with no placeholder (flags 0 at no
  address; and ``MEM_REPLACE_PLACEHOLDER`` at no address, which has nothing to replace),
  and ``VirtualFree(MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER)`` of a plain reservation:
  whether the functions work apart from placeholders.
* ``tagname_name_after_close``: a named section's name goes with its last handle,
  even while a view of it lives (why the backend keeps a tagname's handle).
* ``view_never_replaces``: ``MapViewOfFileEx`` at an address in use fails
  (ERROR_INVALID_ADDRESS) instead of replacing the mapping there (what makes the
  search-and-map mirror safe).
* ``tagname_region_size``: what ``VirtualQuery`` reports for a view of a 100-byte
  named section (the reference's default size of an existing tagname).
* ``view_beyond_address_space``: ``MapViewOfFileEx`` at addresses above
  ``lpMaximumApplicationAddress`` (Windows fails it; what the view then is, if not).
* ``huge_pagefile_section``: the error of ``CreateFileMappingW`` for a 2**63-byte
  pagefile section (out of memory or commitment limit is ``'out_of_mem'``).
* ``symlink_loop_open``: the error of ``CreateFileW`` on a symbolic link to itself.
* ``section_execute_access``: the rights an executable view needs of a handle from
  ``OpenFileMappingW``: ``FILE_MAP_EXECUTE`` alone, or with ``SECTION_MAP_EXECUTE``; and
  an executable view of a section created without execute protection.
"""

from __future__ import annotations

import ctypes
import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any

MEM_COMMIT, MEM_RESERVE, MEM_RELEASE = 0x1000, 0x2000, 0x8000
MEM_RESERVE_PLACEHOLDER, MEM_PRESERVE_PLACEHOLDER, MEM_REPLACE_PLACEHOLDER = 0x40000, 0x2, 0x4000
PAGE_NOACCESS, PAGE_READWRITE = 0x01, 0x04
FILE_MAP_WRITE, FILE_MAP_READ = 0x2, 0x4
MEM_EXTENDED_PARAMETER_ADDRESS_REQUIREMENTS = 1
GRANULARITY = 1 << 16
VP, SIZE, DWORD = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint32
INVALID_HANDLE_VALUE = ctypes.c_void_p(-1).value


class AddressRequirements(ctypes.Structure):
    """MEM_ADDRESS_REQUIREMENTS (winnt.h)."""

    _fields_ = [("Lowest", VP), ("Highest", VP), ("Alignment", SIZE)]


class ExtendedParameter(ctypes.Structure):
    """MEM_EXTENDED_PARAMETER (winnt.h): a 64-bit type field, then a pointer-sized union."""

    _fields_ = [("Type", ctypes.c_uint64), ("Pointer", VP)]


def _bind(dll: Any, name: str, restype: Any, *argtypes: Any) -> Any:
    fn = getattr(dll, name, None)
    if fn is not None:
        fn.restype, fn.argtypes = restype, list(argtypes)
    return fn


def _api() -> dict[str, Any]:
    k32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    kb = ctypes.WinDLL("kernelbase", use_last_error=True)  # type: ignore[attr-defined]
    return {
        "VirtualAlloc": _bind(k32, "VirtualAlloc", VP, VP, SIZE, DWORD, DWORD),
        "VirtualFree": _bind(k32, "VirtualFree", ctypes.c_int, VP, SIZE, DWORD),
        "VirtualQuery": _bind(k32, "VirtualQuery", SIZE, VP, VP, SIZE),
        "GetCurrentProcess": _bind(k32, "GetCurrentProcess", VP),
        "CreateFileMappingW": _bind(
            k32, "CreateFileMappingW", VP, VP, VP, DWORD, DWORD, DWORD, ctypes.c_wchar_p
        ),
        "OpenFileMappingW": _bind(
            k32, "OpenFileMappingW", VP, DWORD, ctypes.c_int, ctypes.c_wchar_p
        ),
        "MapViewOfFileEx": _bind(k32, "MapViewOfFileEx", VP, VP, DWORD, DWORD, DWORD, SIZE, VP),
        "UnmapViewOfFile": _bind(k32, "UnmapViewOfFile", ctypes.c_int, VP),
        "CloseHandle": _bind(k32, "CloseHandle", ctypes.c_int, VP),
        "CreateFileW": _bind(
            k32, "CreateFileW", VP, ctypes.c_wchar_p, DWORD, DWORD, VP, DWORD, DWORD, VP
        ),
        "VirtualAlloc2": _bind(kb, "VirtualAlloc2", VP, VP, VP, SIZE, DWORD, DWORD, VP, DWORD),
        "MapViewOfFile3": _bind(
            kb, "MapViewOfFile3", VP, VP, VP, VP, ctypes.c_uint64, SIZE, DWORD, DWORD, VP, DWORD
        ),
    }


W: dict[str, Any] = _api() if sys.platform == "win32" else {}


def _err() -> int:
    return ctypes.get_last_error()  # type: ignore[attr-defined]


def _outcome(addr: int | None) -> str:
    """What an allocation returned: the address (then released), or the error."""
    if addr:
        W["VirtualFree"](addr, 0, MEM_RELEASE)
        return f"ok at {addr:#x}"
    return f"fails, error {_err()}"


def _va2(process: int | None, addr: int | None, flags: int, ext: Any = None, n: int = 0) -> str:
    if W["VirtualAlloc2"] is None:
        return "VirtualAlloc2 is not exported by kernelbase.dll"
    return _outcome(W["VirtualAlloc2"](process, addr, GRANULARITY, flags, PAGE_NOACCESS, ext, n))


def _free_address() -> int:
    """A 64 KiB-aligned address that is free right now (reserved, then released)."""
    addr: int = W["VirtualAlloc"](None, 2 * GRANULARITY, MEM_RESERVE, PAGE_NOACCESS)
    W["VirtualFree"](addr, 0, MEM_RELEASE)
    return addr


def _placeholder() -> int | None:
    """A placeholder of two granules, or None where the system makes none."""
    fn = W["VirtualAlloc2"]
    if fn is None:
        return None
    flags = MEM_RESERVE | MEM_RESERVE_PLACEHOLDER
    got: int | None = fn(W["GetCurrentProcess"](), None, 2 * GRANULARITY, flags, 1, None, 0)
    return got


def _section(size: int, name: str | None = None) -> int:
    section: int = W["CreateFileMappingW"](
        INVALID_HANDLE_VALUE, None, PAGE_READWRITE, 0, size, name
    )
    return section


def placeholder_reserve() -> str:
    flags = MEM_RESERVE | MEM_RESERVE_PLACEHOLDER
    proc = W["GetCurrentProcess"]()
    return (
        f"MEM_RESERVE alone {_va2(proc, None, MEM_RESERVE)}; with MEM_RESERVE_PLACEHOLDER: "
        f"GetCurrentProcess() {_va2(proc, None, flags)}, NULL process {_va2(None, None, flags)}"
    )


def placeholder_extended() -> str:
    req = AddressRequirements(None, None, GRANULARITY)
    ext = ExtendedParameter(MEM_EXTENDED_PARAMETER_ADDRESS_REQUIREMENTS, ctypes.addressof(req))
    flags = MEM_RESERVE | MEM_RESERVE_PLACEHOLDER
    proc = W["GetCurrentProcess"]()
    return (
        f"with an address-requirements parameter (alignment 64 KiB): MEM_RESERVE alone "
        f"{_va2(proc, None, MEM_RESERVE, ctypes.byref(ext), 1)}; with MEM_RESERVE_PLACEHOLDER "
        f"{_va2(proc, None, flags, ctypes.byref(ext), 1)}"
    )


def placeholder_at_address() -> str:
    flags = MEM_RESERVE | MEM_RESERVE_PLACEHOLDER
    at = _free_address()
    return f"at the free 64 KiB-aligned {at:#x}: {_va2(W['GetCurrentProcess'](), at, flags)}"


def placeholder_split() -> str:
    base = _placeholder()
    if not base:
        return f"not run: no placeholder to split (VirtualAlloc2 error {_err()})"
    ok = W["VirtualFree"](base, GRANULARITY, MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER)
    found = "splits" if ok else f"fails, error {_err()}"
    W["VirtualFree"](base, 0, MEM_RELEASE)
    W["VirtualFree"](base + GRANULARITY, 0, MEM_RELEASE)
    return f"VirtualFree(MEM_RELEASE|MEM_PRESERVE_PLACEHOLDER) of the first half {found}"


def placeholder_replace() -> str:
    base = _placeholder()
    if not base:
        return f"not run: no placeholder to replace (VirtualAlloc2 error {_err()})"
    W["VirtualFree"](base, GRANULARITY, MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER)
    section = _section(GRANULARITY)
    proc = W["GetCurrentProcess"]()
    views = [
        W["MapViewOfFile3"](
            section, proc, at, 0, GRANULARITY, MEM_REPLACE_PLACEHOLDER, PAGE_READWRITE, None, 0
        )
        for at in (base, base + GRANULARITY)
    ]
    err = _err()
    if all(views):
        ctypes.memmove(views[0], b"mirror", 6)
        seen = ctypes.string_at(views[1], 6)
        found = f"both views mapped, the second reads {seen!r} written through the first"
    else:
        found = f"fails, error {err} (views {views})"
    for at, view in zip((base, base + GRANULARITY), views, strict=True):
        if view:
            W["UnmapViewOfFile"](view)
        else:
            W["VirtualFree"](at, 0, MEM_RELEASE)
    W["CloseHandle"](section)
    return f"MapViewOfFile3(MEM_REPLACE_PLACEHOLDER) over a split placeholder: {found}"


def mapviewoffile3_alone() -> str:
    if W["MapViewOfFile3"] is None:
        return "MapViewOfFile3 is not exported by kernelbase.dll"
    section = _section(GRANULARITY)
    proc = W["GetCurrentProcess"]()
    found = []
    for flags, what in ((0, "flags 0"), (MEM_REPLACE_PLACEHOLDER, "MEM_REPLACE_PLACEHOLDER")):
        view = W["MapViewOfFile3"](
            section, proc, None, 0, GRANULARITY, flags, PAGE_READWRITE, None, 0
        )
        found.append(
            f"{what} at no address " + (f"maps at {view:#x}" if view else f"fails, error {_err()}")
        )
        if view:
            W["UnmapViewOfFile"](view)
    W["CloseHandle"](section)
    plain = W["VirtualAlloc"](None, 2 * GRANULARITY, MEM_RESERVE, PAGE_NOACCESS)
    ok = W["VirtualFree"](plain, GRANULARITY, MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER)
    found.append(
        "VirtualFree(MEM_RELEASE|MEM_PRESERVE_PLACEHOLDER) of half a plain reservation "
        + ("splits it" if ok else f"fails, error {_err()}")
    )
    W["VirtualFree"](plain, 0, MEM_RELEASE)
    return "MapViewOfFile3 with no placeholder: " + "; ".join(found)


def tagname_name_after_close() -> str:
    name = "Local\\mmapspec-probe-name-after-close"
    section = _section(GRANULARITY, name)
    view = W["MapViewOfFileEx"](section, FILE_MAP_WRITE, 0, 0, GRANULARITY, None)
    W["CloseHandle"](section)
    again = W["OpenFileMappingW"](FILE_MAP_READ, 0, name)
    found = "opens (the view keeps the name)" if again else f"fails, error {_err()}"
    if again:
        W["CloseHandle"](again)
    W["UnmapViewOfFile"](view)
    return f"OpenFileMappingW of a name whose only handle is closed while a view lives: {found}"


def view_never_replaces() -> str:
    section = _section(GRANULARITY)
    first = W["MapViewOfFileEx"](section, FILE_MAP_WRITE, 0, 0, GRANULARITY, None)
    second = W["MapViewOfFileEx"](section, FILE_MAP_WRITE, 0, 0, GRANULARITY, first)
    found = f"fails, error {_err()}" if not second else f"MAPPED at {second:#x}"
    for view in (first, second):
        if view:
            W["UnmapViewOfFile"](view)
    W["CloseHandle"](section)
    return f"MapViewOfFileEx at the address of a live view: {found}"


def tagname_region_size() -> str:
    section = _section(100, "Local\\mmapspec-probe-region-size")
    view = W["MapViewOfFileEx"](section, FILE_MAP_READ, 0, 0, 0, None)
    info = (ctypes.c_byte * 64)()  # MEMORY_BASIC_INFORMATION: RegionSize at offset 24 on x64
    W["VirtualQuery"](view, info, ctypes.sizeof(info))
    region = ctypes.c_size_t.from_buffer(info, 3 * ctypes.sizeof(VP)).value
    W["UnmapViewOfFile"](view)
    W["CloseHandle"](section)
    return f"VirtualQuery of a view of a 100-byte named section: RegionSize {region}"


def view_beyond_address_space() -> str:
    section = _section(GRANULARITY)
    found = []
    for at in (1 << 47, 1 << 62):
        view = W["MapViewOfFileEx"](section, FILE_MAP_WRITE, 0, 0, GRANULARITY, at)
        if not view:
            found.append(f"at {at:#x} fails, error {_err()}")
            continue
        info = (ctypes.c_byte * 64)()
        queried = W["VirtualQuery"](view, info, ctypes.sizeof(info))
        what = "queries" if queried else f"VirtualQuery fails, error {_err()}"
        unmapped = W["UnmapViewOfFile"](view)
        what += "; unmaps" if unmapped else f"; UnmapViewOfFile fails, error {_err()}"
        found.append(f"at {at:#x} RETURNS {view:#x} ({what})")
    W["CloseHandle"](section)
    return "MapViewOfFileEx above the user address space: " + "; ".join(found)


def huge_pagefile_section() -> str:
    section = W["CreateFileMappingW"](INVALID_HANDLE_VALUE, None, PAGE_READWRITE, 1 << 31, 0, None)
    if section:
        W["CloseHandle"](section)
        return "CreateFileMappingW of 2**63 pagefile bytes SUCCEEDS"
    return f"CreateFileMappingW of 2**63 pagefile bytes fails, error {_err()}"


def symlink_loop_open() -> str:
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as d:
        loop = os.path.join(d, "loop")
        try:
            os.symlink("loop", loop)
        except OSError as e:
            return f"not run: cannot make a symbolic link here ({e})"
        h = W["CreateFileW"](
            loop, 0x80000000, 7, None, 3, 0x80, None
        )  # GENERIC_READ, OPEN_EXISTING
        found = f"fails, error {_err()}" if h in (None, INVALID_HANDLE_VALUE) else "OPENS"
        if h not in (None, INVALID_HANDLE_VALUE):
            W["CloseHandle"](h)
        try:
            os.unlink(loop)
        except OSError as e:
            found += f"; removing the link fails too, error {e.winerror}"
    return f"CreateFileW of a symbolic link to itself: {found}"


def _executable_view(protect: int, desired: int) -> str:
    name = f"Local\\mmapspec-probe-exec-{protect:x}-{desired:x}"
    section = W["CreateFileMappingW"](INVALID_HANDLE_VALUE, None, protect, 0, GRANULARITY, name)
    opened = W["OpenFileMappingW"](desired, 0, name)
    view = W["MapViewOfFileEx"](opened, FILE_MAP_READ | 0x20, 0, 0, 0, None) if opened else None
    found = "maps" if view else f"fails, error {_err()}"
    if view:
        W["UnmapViewOfFile"](view)
    for h in (opened, section):
        if h:
            W["CloseHandle"](h)
    return found


def section_execute_access() -> str:
    rwx, rw, read_exec, section_exec = 0x40, PAGE_READWRITE, FILE_MAP_READ | 0x20, 0x8
    return (
        "READ|EXECUTE view of an opened PAGE_EXECUTE_READWRITE section: handle with "
        f"FILE_MAP_READ|FILE_MAP_EXECUTE {_executable_view(rwx, read_exec)}; with "
        f"SECTION_MAP_EXECUTE too {_executable_view(rwx, read_exec | section_exec)}; "
        "of a PAGE_READWRITE section, with SECTION_MAP_EXECUTE "
        f"{_executable_view(rw, read_exec | section_exec)}"
    )


PROBES: dict[str, Callable[[], str]] = {
    f.__name__: f
    for f in (
        placeholder_reserve,
        placeholder_extended,
        placeholder_at_address,
        placeholder_split,
        placeholder_replace,
        mapviewoffile3_alone,
        tagname_name_after_close,
        view_never_replaces,
        tagname_region_size,
        view_beyond_address_space,
        huge_pagefile_section,
        symlink_loop_open,
        section_execute_access,
    )
}


def main(names: list[str]) -> int:
    if sys.platform != "win32":
        print("win_probes: these probe the Win32 API: run them with a Windows Python")
        return 2
    wine = getattr(ctypes.WinDLL("ntdll"), "wine_get_version", None)  # type: ignore[attr-defined]
    if wine is not None:
        wine.restype = ctypes.c_char_p
        print(f"system: Wine {wine().decode()}")
    for name in names or list(PROBES):
        print(f"{name}: {PROBES[name]()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
