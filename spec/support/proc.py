"""What the OS says about the implementation's process: its mappings (Linux's
/proc/PID/maps, Windows' ``VirtualQueryEx``), its descriptors (/proc/PID/fd; Windows
handles) and its memory (/proc/PID/mem; ``ReadProcessMemory``). Each OS's way is in
:mod:`.platforms`; tests skip, saying why, where the OS cannot tell."""

from __future__ import annotations

from pathlib import Path

import pytest
from mmapspec.spec.support.platform_common import ProcMapsEntry
from mmapspec.spec.support.platforms import current

__all__ = [
    "ProcMapsEntry",
    "assert_no_new_fds",
    "backing_file",
    "fds_to",
    "is_anonymous",
    "mapped_bytes_in",
    "mapped_name",
    "mappings_shown",
    "mappings_source",
    "open_fds",
    "overlaps",
    "proc_maps",
    "proc_maps_entry_at",
    "read_mem",
    "require_fds",
    "require_proc",
]

# ----------------------------------------------------------------------------- mappings


def require_proc(pid: int) -> None:
    """Skip (saying why) where the OS does not show a process's mappings."""
    why = current.mappings_unseen(pid)
    if why is not None:
        pytest.skip(f"the OS's own view of mappings cannot be had: {why}")


def mappings_shown(pid: int) -> bool:
    """Whether the OS shows the process's mappings (checks that only add to a clause's
    judgement are made where it does, and left out quietly where not)."""
    return current.mappings_unseen(pid) is None


def mappings_source(pid: int) -> str:
    """Where the mappings come from, as a message names it (``/proc/PID/maps``)."""
    return current.mappings_source(pid)


def proc_maps(pid: int) -> list[ProcMapsEntry]:
    """Every mapping of the process, in address order."""
    return current.mappings(pid)


def proc_maps_entry_at(pid: int, addr: int) -> ProcMapsEntry | None:
    """The mapping whose range holds ``addr``, if any."""
    return next((r for r in proc_maps(pid) if r.start <= addr < r.end), None)


def mapped_bytes_in(pid: int, lo: int, hi: int) -> int:
    """How many bytes of [lo, hi) the process has mapped (or reserved)."""
    return sum(max(0, min(hi, r.end) - max(lo, r.start)) for r in proc_maps(pid))


def mapped_name(path: Path) -> str:
    """``path`` as a mapping's ``path`` spells it, to compare the two."""
    return current.mapped_name(path)


def backing_file(entry: ProcMapsEntry) -> str:
    """The file behind a mapping, as the test named it (the kernel appends " (deleted)"
    to files removed while mapped)."""
    return entry.path.removesuffix(" (deleted)")


def is_anonymous(entry: ProcMapsEntry) -> bool:
    """Memory of no file: private anonymous memory has no path; shared anonymous memory
    shows as "/dev/zero (deleted)"; named anonymous memory as "[anon:NAME]"."""
    return entry.path in ("", "/dev/zero (deleted)") or entry.path.startswith(
        ("[anon:", "[anon_shmem:")
    )


def overlaps(entry: ProcMapsEntry, lo: int, hi: int) -> bool:
    return entry.start < hi and lo < entry.end


def read_mem(pid: int, addr: int, length: int) -> bytes | None:
    """Bytes of another (or this) process's memory, or None where they cannot be read."""
    return current.read_mem(pid, addr, length)


# ----------------------------------------------------------------------------- descriptors


def require_fds(pid: int) -> None:
    """Skip (saying why) where the OS does not list a process's descriptors (handles)."""
    why = current.descriptors_unseen(pid)
    if why is not None:
        pytest.skip(f"the descriptors of a process cannot be listed: {why}")


def open_fds(pid: int) -> set[tuple[int, str]]:
    """The process's open descriptors (Windows: handles), each with what it refers to."""
    return current.open_descriptors(pid)


def assert_no_new_fds(before: set[tuple[int, str]], after: set[tuple[int, str]], what: str) -> None:
    new = sorted(after - before)
    assert not new, f"{what} left {len(new)} descriptor(s) open: " + ", ".join(
        f"{fd} -> {target}" for fd, target in new
    )


def fds_to(pid: int, path: Path) -> list[str]:
    """What of the process holds ``path`` open (Linux: its descriptors on it; Windows,
    where no more can be told: anything at all holding it open)."""
    return current.descriptors_to(pid, path)
