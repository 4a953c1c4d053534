"""What Linux says about the implementation's process through /proc: its mappings
(/proc/PID/maps), its descriptors (/proc/PID/fd) and its memory (/proc/PID/mem).
Tests skip, saying why, where the OS has no /proc."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from pathlib import Path

import pytest

# ----------------------------------------------------------------------------- /proc/PID/maps


@dataclasses.dataclass(frozen=True)
class ProcMapsEntry:
    """One line of /proc/PID/maps: a range of addresses, its permissions and its file."""

    start: int
    end: int
    perms: str
    path: str


def require_proc(pid: int) -> None:
    """Skip (saying why) where the OS does not report mappings through /proc."""
    if not Path(f"/proc/{pid}/maps").exists():
        pytest.skip(f"no /proc/{pid}/maps: the OS's own view of mappings is checked on Linux only")


def proc_maps(pid: int) -> list[ProcMapsEntry]:
    """Every line of /proc/PID/maps, in order."""
    out = []
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        lo, hi = (int(x, 16) for x in fields[0].split("-"))
        out.append(ProcMapsEntry(lo, hi, fields[1], fields[5] if len(fields) > 5 else ""))
    return out


def proc_maps_entry_at(pid: int, addr: int) -> ProcMapsEntry | None:
    """The line of /proc/PID/maps whose range holds ``addr``, if any."""
    return next((r for r in proc_maps(pid) if r.start <= addr < r.end), None)


def mapped_bytes_in(pid: int, lo: int, hi: int) -> int:
    """How many bytes of [lo, hi) the process has mapped."""
    return sum(max(0, min(hi, r.end) - max(lo, r.start)) for r in proc_maps(pid))


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


# ----------------------------------------------------------------------------- /proc/PID/mem


def read_mem(pid: int, addr: int, length: int) -> bytes | None:
    """Bytes of another (or this) process's memory, or None where they cannot be read."""
    try:
        with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
            mem.seek(addr)
            return mem.read(length)
    except OSError:
        return None


# ----------------------------------------------------------------------------- /proc/PID/fd


def require_fds(pid: int) -> None:
    """Skip (saying why) where the OS does not list a process's descriptors in /proc."""
    if not Path(f"/proc/{pid}/fd").is_dir():
        pytest.skip(f"no /proc/{pid}/fd: the descriptors of a process are checked on Linux only")


def open_fds(pid: int) -> set[tuple[int, str]]:
    """The process's open descriptors, each with what it refers to."""
    found = set()
    for entry in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):  # closed while we looked
            found.add((int(entry.name), os.readlink(entry)))
    return found


def assert_no_new_fds(before: set[tuple[int, str]], after: set[tuple[int, str]], what: str) -> None:
    new = sorted(after - before)
    assert not new, f"{what} left {len(new)} descriptor(s) open: " + ", ".join(
        f"{fd} -> {target}" for fd, target in new
    )


def fds_to(pid: int, path: Path) -> list[str]:
    """The process's descriptors open on ``path``."""
    target = str(path.resolve())
    return sorted(str(fd) for fd, refers_to in open_fds(pid) if refers_to == target)
