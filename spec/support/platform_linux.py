"""Linux: the implementation's process through /proc (its mappings, descriptors and
memory), tagnames as the files /dev/shm/NAME, crashes by signal."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path

from mmapspec.adapters.interface import ImplementationCrashed
from mmapspec.spec.support.platform_common import ProcMapsEntry

assert sys.platform.startswith("linux"), "the Linux view is for Linux only"

# ----------------------------------------------------------------------------- mappings


def mappings_unseen(pid: int) -> str | None:
    if Path(f"/proc/{pid}/maps").exists():
        return None
    return f"no /proc/{pid}/maps: /proc is not mounted here"


def mappings_source(pid: int) -> str:
    return f"/proc/{pid}/maps"


def mappings(pid: int) -> list[ProcMapsEntry]:
    out = []
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        lo, hi = (int(x, 16) for x in fields[0].split("-"))
        out.append(ProcMapsEntry(lo, hi, fields[1], fields[5] if len(fields) > 5 else ""))
    return out


def mapped_name(path: Path) -> str:
    return str(path.resolve())


def read_mem(pid: int, addr: int, length: int) -> bytes | None:
    try:
        with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
            mem.seek(addr)
            return mem.read(length)
    except OSError:
        return None


# ----------------------------------------------------------------------------- descriptors


def descriptors_unseen(pid: int) -> str | None:
    if Path(f"/proc/{pid}/fd").is_dir():
        return None
    return f"no /proc/{pid}/fd: /proc is not mounted here"


def open_descriptors(pid: int) -> set[tuple[int, str]]:
    found = set()
    for entry in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):  # closed while we looked
            found.add((int(entry.name), os.readlink(entry)))
    return found


def descriptors_to(pid: int, path: Path) -> list[str]:
    target = str(path.resolve())
    return sorted(str(fd) for fd, refers_to in open_descriptors(pid) if refers_to == target)


# ----------------------------------------------------------------------------- tagnames

SHM = Path("/dev/shm")


def tagname_path(name: str) -> str | None:
    return f"/dev/shm/{name}"


def tagname_unseen() -> str | None:
    return None if SHM.is_dir() else "no /dev/shm: shared memory is not mounted here"


def tagname_exists(name: str) -> bool:
    return (SHM / name).exists()


def tagname_bytes(name: str, length: int) -> bytes | None:
    try:
        with open(SHM / name, "rb") as f:
            return f.read(length)
    except FileNotFoundError:
        return None


def tagname_mode_unseen() -> str | None:
    return tagname_unseen()


def tagname_mode(name: str) -> int:
    return os.stat(SHM / name).st_mode & 0o777


def tagnames_unplantable() -> str | None:
    """Why no one can plant an object (a FIFO, another user's file) under a tagname
    here, or None: /dev/shm is a directory every user may write to."""
    return tagname_unseen()


def tagnames_are_kept() -> str | None:
    """Why a tagname's memory is not kept once its last map is freed, or None: here
    it is the file /dev/shm/NAME, kept until removed."""
    return None


def remove_tagname(name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(SHM / name)


def remove_tagnames_by_prefix(prefix: str) -> list[str]:
    removed: list[str] = []
    if not prefix or not SHM.is_dir():
        return removed
    for entry in SHM.iterdir():
        if entry.name.startswith(prefix):
            # Another user's object, or a folder, under the run's prefix is not ours
            # to remove: it is left, and the run goes on to its report.
            with contextlib.suppress(OSError):
                entry.unlink()
                removed.append(entry.name)
    return removed


# ----------------------------------------------------------------------------- the rest

memory_faults = "SIGSEGV or SIGBUS"


def is_memory_fault(crash: ImplementationCrashed) -> bool:
    return crash.signal in (signal.SIGSEGV, signal.SIGBUS)


def cachestat_possible() -> bool:
    return True


def may_mount_tmpfs() -> bool:
    return os.geteuid() == 0


def file_size_limit_unavailable() -> str | None:
    return None


def limit_file_size(pid: int, limit: int) -> None:
    import resource

    resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, limit))


def syscall_trace_unavailable() -> str | None:
    return None
