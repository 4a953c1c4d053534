"""The mmap and munmap calls of a process as strace sees them, and the one pattern in
them the mirror's safety clause looks for: MAP_FIXED into a hole the process made."""

from __future__ import annotations

import contextlib
import dataclasses
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mmapspec.spec.support.platforms import current

_CALL = re.compile(r"^(?:\[pid\s+(\d+)\]\s+|(\d+)\s+)?(.*)$")
_RESUMED = re.compile(r"^<\.\.\. (mmap|munmap) resumed>(.*)$")
_MMAP = re.compile(r"^mmap\(([^,]+), (\d+), ([^,]+), ([^,]+), (-?\d+), (\w+)\)\s*=\s*(\S+)")
_MUNMAP = re.compile(r"^munmap\(([^,]+), (\d+)\)\s*=\s*(\S+)")


@dataclasses.dataclass(frozen=True)
class Syscall:
    """One mmap or munmap call in strace's log: where, how long, its flags, whether it worked."""

    name: str
    addr: int
    length: int
    flags: frozenset[str]
    ok: bool
    line: str


def _int(text: str) -> int:
    return 0 if text == "NULL" else int(text, 0)


def parse_strace(text: str) -> list[Syscall]:
    """The mmap and munmap calls of an ``strace -f -e trace=mmap,munmap`` log, in order;
    a call another thread interrupted (``<unfinished ...>``) is joined with its end."""
    pending: dict[str, str] = {}
    calls = []
    for raw in text.splitlines():
        m = _CALL.match(raw)
        if m is None:
            continue
        who, line = m.group(1) or m.group(2) or "", m.group(3)
        if line.endswith("<unfinished ...>"):
            pending[who] = line.removesuffix("<unfinished ...>").rstrip()
            continue
        resumed = _RESUMED.match(line)
        if resumed:
            line = pending.pop(who, "") + resumed.group(2)
        if mm := _MMAP.match(line):
            ok = not mm.group(7).startswith("-")
            calls.append(
                Syscall(
                    "mmap",
                    _int(mm.group(7)) if ok else _int(mm.group(1)),
                    int(mm.group(2)),
                    frozenset(mm.group(4).split("|")),
                    ok,
                    line,
                )
            )
        elif mu := _MUNMAP.match(line):
            calls.append(
                Syscall(
                    "munmap",
                    _int(mu.group(1)),
                    int(mu.group(2)),
                    frozenset(),
                    mu.group(3) == "0",
                    line,
                )
            )
    return calls


def fixed_into_holes(calls: list[Syscall], page_size: int) -> list[str]:
    """The mmap calls with MAP_FIXED (not NOREPLACE) that landed on a range the process
    had unmapped before and not mapped again since: there, another thread's mapping
    made in between would have been replaced silently."""
    holes: list[tuple[int, int]] = []
    found = []

    def carve(lo: int, hi: int) -> None:
        kept = []
        for a, b in holes:
            if b <= lo or hi <= a:
                kept.append((a, b))
                continue
            if a < lo:
                kept.append((a, lo))
            if hi < b:
                kept.append((hi, b))
        holes[:] = kept

    for c in calls:
        if not c.ok:
            continue
        hi = c.addr + -(-c.length // page_size) * page_size
        if c.name == "munmap":
            carve(c.addr, hi)
            holes.append((c.addr, hi))
            continue
        fixed = "MAP_FIXED" in c.flags and "MAP_FIXED_NOREPLACE" not in c.flags
        if fixed and any(a < hi and c.addr < b for a, b in holes):
            found.append(c.line)
        carve(c.addr, hi)
    return found


def require_strace() -> str:
    """strace's path, or a skip saying why there is none (not Linux, not installed)."""
    unavailable = current.syscall_trace_unavailable()
    if unavailable is not None:
        pytest.skip(unavailable)
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip(
            "strace is not installed: the mirror's mmap and munmap calls cannot be "
            "observed (Debian: apt-get install strace; .ci/install-system)"
        )
    return strace


@contextlib.contextmanager
def traced(pid: int, log: Path) -> Iterator[None]:
    """strace attached to ``pid`` (every thread) for the block; its log is complete
    once the block has exited. Skips, saying why, where there is no strace."""
    strace = require_strace()
    proc = subprocess.Popen(
        [strace, "-f", "-qq", "-e", "trace=mmap,munmap", "-o", str(log), "-p", str(pid)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # strace reports the attach on stderr (even with -qq, an error); wait for the
        # tracee to show a tracer before letting the block run.
        deadline = time.monotonic() + 30
        while _tracer(pid) == 0:
            if proc.poll() is not None or time.monotonic() > deadline:
                why = proc.stderr.read().strip() if proc.stderr else ""
                pytest.skip(f"strace cannot attach to process {pid}: {why or 'no reason given'}")
            time.sleep(0.01)
        yield
    finally:
        if proc.poll() is None:
            proc.send_signal(2)  # SIGINT: strace detaches and writes out its log
        proc.wait(timeout=30)
        if proc.stderr:
            proc.stderr.close()


def _tracer(pid: int) -> int:
    """The pid tracing ``pid`` (0: none), from /proc/PID/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("TracerPid:"):
            return int(line.split()[1])
    return 0
