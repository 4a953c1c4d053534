"""macOS and the other POSIX systems without /proc: tagnames through POSIX shared
memory (``shm_open``), crashes by signal; the process's mappings and descriptors are
not shown, so checks of them skip and say why."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

from mmapspec.adapters.interface import ImplementationCrashed
from mmapspec.spec.support.platform_common import ProcMapsEntry

assert sys.platform != "win32", "the POSIX view is for POSIX systems only"

_NO_PROC = (
    f"{sys.platform} has no /proc: a process's mappings and descriptors are checked on "
    "Linux and Windows only"
)

# ----------------------------------------------------------------------------- mappings


def mappings_unseen(pid: int) -> str | None:
    return _NO_PROC


def mappings_source(pid: int) -> str:
    return "(none)"


def mappings(pid: int) -> list[ProcMapsEntry]:
    raise NotImplementedError(_NO_PROC)


def mapped_name(path: Path) -> str:
    return str(path.resolve())


def read_mem(pid: int, addr: int, length: int) -> bytes | None:
    return None


# ----------------------------------------------------------------------------- descriptors


def descriptors_unseen(pid: int) -> str | None:
    return _NO_PROC


def open_descriptors(pid: int) -> set[tuple[int, str]]:
    raise NotImplementedError(_NO_PROC)


def descriptors_to(pid: int, path: Path) -> list[str]:
    raise NotImplementedError(_NO_PROC)


# ----------------------------------------------------------------------------- tagnames


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    # shm_open is variadic; without O_CREAT no mode follows, and none is passed (a
    # variadic argument declared as a fixed one goes astray on arm64 macOS).
    libc.shm_open.argtypes = [ctypes.c_char_p, ctypes.c_int]
    libc.shm_open.restype = ctypes.c_int
    libc.shm_unlink.argtypes = [ctypes.c_char_p]
    libc.shm_unlink.restype = ctypes.c_int
    return libc


def _open(name: str) -> int | None:
    """A read-only descriptor of the tagname's object, or None where there is none."""
    fd = int(_libc().shm_open(f"/{name}".encode(), os.O_RDONLY))
    if fd >= 0:
        return fd
    err = ctypes.get_errno()
    if err == 2:  # ENOENT
        return None
    raise OSError(err, f"shm_open of {name!r}: {os.strerror(err)}")


def tagname_path(name: str) -> str | None:
    return None  # POSIX shared memory has no path here


def tagname_unseen() -> str | None:
    return None


def tagname_exists(name: str) -> bool:
    fd = _open(name)
    if fd is None:
        return False
    os.close(fd)
    return True


def tagname_bytes(name: str, length: int) -> bytes | None:
    import mmap

    fd = _open(name)
    if fd is None:
        return None
    try:
        size = min(length, os.fstat(fd).st_size)
        if size == 0:
            return b""
        with mmap.mmap(fd, size, prot=mmap.PROT_READ) as m:
            return bytes(m[:size])
    finally:
        os.close(fd)


def tagname_mode_unseen() -> str | None:
    return None


def tagname_mode(name: str) -> int:
    fd = _open(name)
    if fd is None:
        raise AssertionError(f"no shared memory object for tagname {name!r}")
    try:
        return os.fstat(fd).st_mode & 0o777
    finally:
        os.close(fd)


def tagnames_unplantable() -> str | None:
    return (
        f"{sys.platform} shows POSIX shared memory in no directory: no FIFO or other "
        "user's object can be planted under a tagname through the file system"
    )


def tagnames_are_kept() -> str | None:
    return None


def remove_tagname(name: str) -> None:
    _libc().shm_unlink(f"/{name}".encode())


def remove_tagnames_by_prefix(prefix: str) -> list[str]:
    return []  # POSIX shared memory cannot be listed here


# ----------------------------------------------------------------------------- the rest

memory_faults = "SIGSEGV or SIGBUS"


def is_memory_fault(crash: ImplementationCrashed) -> bool:
    return crash.signal in (signal.SIGSEGV, signal.SIGBUS)


def cachestat_possible() -> bool:
    return False


def may_mount_tmpfs() -> bool:
    return False


def file_size_limit_unavailable() -> str | None:
    return (
        f"no full disk to be had on {sys.platform}: no tmpfs can be mounted, and no "
        "file-size limit can be set on another process (prlimit is Linux's)"
    )


def limit_file_size(pid: int, limit: int) -> None:
    raise NotImplementedError(file_size_limit_unavailable())


def syscall_trace_unavailable() -> str | None:
    return (
        f"strace runs on Linux only: the mirror's system calls are not followed on {sys.platform}"
    )
