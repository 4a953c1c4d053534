"""Windows: the implementation's process through kernel32 and ntdll (its regions by
``VirtualQueryEx``, its handles from the system's handle table, its memory by
``ReadProcessMemory``), tagnames as named sections in the session's ``Local\\``
namespace (``OpenFileMappingW``), crashes by exception code."""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path

from mmapspec.adapters.interface import ImplementationCrashed
from mmapspec.spec.support.platform_common import ProcMapsEntry

assert sys.platform == "win32", "the Windows view is for Windows only"

from mmapspec.spec.support import platform_windows_api as api  # noqa: E402 (for mypy)


def _error(call: str) -> OSError:
    err = ctypes.get_last_error()
    return OSError(None, f"{call}: {ctypes.FormatError(err)}", None, err)


def _open_process(pid: int) -> int:
    handle = api.k32.OpenProcess(api.PROCESS_QUERY_INFORMATION | api.PROCESS_VM_READ, False, pid)
    if not handle:
        raise _error(f"OpenProcess({pid})")
    return int(handle)


# ----------------------------------------------------------------------------- mappings


def mappings_unseen(pid: int) -> str | None:
    try:
        api.k32.CloseHandle(_open_process(pid))
    except OSError as exc:
        return f"process {pid} cannot be queried for its memory regions: {exc}"
    return None


def mappings_source(pid: int) -> str:
    return f"VirtualQueryEx of process {pid}"


def _dos_devices() -> dict[str, str]:
    """NT device names (``\\Device\\HarddiskVolume1``) to drive letters (``C:``)."""
    found = {}
    buf = ctypes.create_unicode_buffer(1024)
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if api.k32.QueryDosDeviceW(f"{letter}:", buf, len(buf)):
            found[buf.value] = f"{letter}:"
    return found


def _dos_path(nt_path: str, devices: dict[str, str]) -> str:
    """``\\Device\\HarddiskVolume1\\x\\f.bin`` (Windows) or ``\\??\\C:\\x\\f.bin`` (Wine)
    as ``C:\\x\\f.bin``, normalised as :func:`mapped_name` spells a path."""
    if nt_path.startswith("\\??\\"):
        return os.path.normcase(nt_path[4:])
    for device, drive in devices.items():
        if nt_path.startswith(device + "\\"):
            return os.path.normcase(drive + nt_path[len(device) :])
    return os.path.normcase(nt_path)


def _perms(info: api.MemoryBasicInformation) -> str:
    """The region's permissions in /proc's spelling: reserved address space is
    ``---p``; a view mapped copy-on-write (its allocation's protection) is private."""
    if info.State == api.MEM_RESERVE:
        return "---p"
    protect = info.Protect & 0xFF
    rwx = "---" if info.Protect & api.PAGE_GUARD else api.PERMS.get(protect, "---")
    private = info.Type == api.MEM_PRIVATE or (info.AllocationProtect & 0xFF) in api.COPY_ON_WRITE
    return rwx + ("p" if private else "s")


def mappings(pid: int) -> list[ProcMapsEntry]:
    process = _open_process(pid)
    try:
        devices = _dos_devices()
        out = []
        info = api.MemoryBasicInformation()
        name = ctypes.create_unicode_buffer(1024)
        addr = 0
        while api.k32.VirtualQueryEx(process, addr, ctypes.byref(info), ctypes.sizeof(info)):
            base = info.BaseAddress or 0
            end = base + info.RegionSize
            if info.State != api.MEM_FREE:
                path = ""
                if info.Type != api.MEM_PRIVATE and api.k32.K32GetMappedFileNameW(
                    process, base, name, len(name)
                ):
                    path = _dos_path(name.value, devices)
                out.append(ProcMapsEntry(base, end, _perms(info), path))
            if end <= addr:
                break
            addr = end
        return out
    finally:
        api.k32.CloseHandle(process)


def mapped_name(path: Path) -> str:
    return os.path.normcase(str(path.resolve()))


def read_mem(pid: int, addr: int, length: int) -> bytes | None:
    try:
        process = _open_process(pid)
    except OSError:
        return None
    try:
        buf = ctypes.create_string_buffer(length)
        done = ctypes.c_size_t()
        if not api.k32.ReadProcessMemory(process, addr, buf, length, ctypes.byref(done)):
            return None
        return buf.raw[: done.value]
    finally:
        api.k32.CloseHandle(process)


# ----------------------------------------------------------------------------- handles


def _handle_table() -> ctypes.Array[api.HandleEntry]:
    """Every handle of every process (``NtQuerySystemInformation``; the documented
    ``GetProcessHandleCount`` gives a count only, and Wine answers 0 there)."""
    size = 1 << 20
    while True:
        buf = ctypes.create_string_buffer(size)
        needed = ctypes.c_ulong()
        status = api.ntdll.NtQuerySystemInformation(
            api.SYSTEM_EXTENDED_HANDLE_INFORMATION, buf, size, ctypes.byref(needed)
        )
        if status & 0xFFFFFFFF == api.STATUS_INFO_LENGTH_MISMATCH:
            size = max(2 * size, needed.value + (1 << 16))
            continue
        if status != 0:
            raise OSError(None, f"NtQuerySystemInformation: status {status & 0xFFFFFFFF:#x}")
        count = ctypes.c_size_t.from_buffer(buf).value
        header = 2 * ctypes.sizeof(ctypes.c_size_t)  # NumberOfHandles, Reserved
        table = (api.HandleEntry * count).from_buffer_copy(buf, header)
        return table


def descriptors_unseen(pid: int) -> str | None:
    try:
        _handle_table()
    except OSError as exc:
        return f"the system's handle table cannot be read: {exc}"
    return None


def open_descriptors(pid: int) -> set[tuple[int, str]]:
    """The process's handles, each with its kind of object and its access."""
    return {
        (
            int(e.HandleValue),
            f"an object of type {e.ObjectTypeIndex}, access {e.GrantedAccess:#x}",
        )
        for e in _handle_table()
        if e.UniqueProcessId == pid
    }


def descriptors_to(pid: int, path: Path) -> list[str]:
    """Whether anything holds ``path`` open (a handle, or a section of a mapping): an
    exclusive open fails with api.ERROR_SHARING_VIOLATION while it does. Windows tells no
    more (which process, which handle), so this answers for every process."""
    handle = api.k32.CreateFileW(
        str(path), api.GENERIC_READ, 0, None, api.OPEN_EXISTING, 0x80, None
    )
    if handle is None or handle == api.INVALID_HANDLE_VALUE:
        if ctypes.get_last_error() == api.ERROR_SHARING_VIOLATION:
            return ["a handle or a mapping (an exclusive open fails: sharing violation)"]
        raise _error(f"CreateFileW({str(path)!r})")
    api.k32.CloseHandle(handle)
    return []


# ----------------------------------------------------------------------------- tagnames


def _section(name: str) -> int | None:
    """A read handle of the tagname's section (``Local\\NAME``), or None: there is none."""
    handle = api.k32.OpenFileMappingW(api.FILE_MAP_READ, False, "Local\\" + name)
    if handle:
        return int(handle)
    if ctypes.get_last_error() == api.ERROR_FILE_NOT_FOUND:
        return None
    raise _error(f"OpenFileMappingW('Local\\{name}')")


def tagname_path(name: str) -> str | None:
    return None  # a named section, not a file


def tagname_unseen() -> str | None:
    return None


def tagname_exists(name: str) -> bool:
    section = _section(name)
    if section is None:
        return False
    api.k32.CloseHandle(section)
    return True


def tagname_bytes(name: str, length: int) -> bytes | None:
    section = _section(name)
    if section is None:
        return None
    try:
        view = api.k32.MapViewOfFile(section, api.FILE_MAP_READ, 0, 0, length)
        if not view:
            raise _error(f"MapViewOfFile of 'Local\\{name}'")
        try:
            return ctypes.string_at(view, length)
        finally:
            api.k32.UnmapViewOfFile(view)
    finally:
        api.k32.CloseHandle(section)


def tagname_mode_unseen() -> str | None:
    return (
        "Windows guards a tagname's named section with an access-control list, not mode "
        "bits: the owner-only mode is checked on Linux and macOS"
    )


def tagname_mode(name: str) -> int:
    raise NotImplementedError(tagname_mode_unseen())


def tagnames_unplantable() -> str | None:
    return (
        "on Windows a tagname names a section object, not a file: no FIFO or other "
        "user's file can be planted under it"
    )


def tagnames_are_kept() -> str | None:
    return (
        "on Windows a tagname makes no file (the document: 'not so on Windows'): its "
        "memory lives while a map or handle of it does, and there is nothing to remove"
    )


def remove_tagname(name: str) -> None:
    """Nothing to remove: a named section goes with its last view or handle."""


def remove_tagnames_by_prefix(prefix: str) -> list[str]:
    return []


# ----------------------------------------------------------------------------- the rest

_ACCESS_VIOLATION = 0xC0000005
_IN_PAGE_ERROR = 0xC0000006
memory_faults = "an access violation (0xC0000005) or an in-page error (0xC0000006)"


def is_memory_fault(crash: ImplementationCrashed) -> bool:
    code = crash.exitcode
    return code is not None and code & 0xFFFFFFFF in (_ACCESS_VIOLATION, _IN_PAGE_ERROR)


def cachestat_possible() -> bool:
    return False


def may_mount_tmpfs() -> bool:
    return False


def file_size_limit_unavailable() -> str | None:
    return (
        "no full disk to be had on Windows: no small filesystem can be mounted, and "
        "Windows has no per-process file-size limit"
    )


def limit_file_size(pid: int, limit: int) -> None:
    raise NotImplementedError(file_size_limit_unavailable())


def syscall_trace_unavailable() -> str | None:
    return (
        "strace runs on Linux only: the mirror's mmap calls are followed on Linux; Windows "
        "mirrors are judged by their results and by VirtualQueryEx"
    )
