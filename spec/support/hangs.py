"""Hangs found in milliseconds: what Linux says a process is blocked on, and a call run
where it can be watched and abandoned.

A call that has not answered after a short while is not yet a hang: it may be slow.
But the OS can say what the process waits for. ``/proc/PID/wchan`` names the kernel
function it sleeps in (``wait_for_partner`` in ``fifo_open``: opening a FIFO that has
no writer), ``/proc/PID/stack`` the whole kernel stack (readable by root), and
``/proc/PID/syscall`` the system call and its arguments. A process asleep in one of
the FIFO's waits is hanging now: nothing but another process opening the FIFO will
wake it. Where none of these files can be read, the OS cannot say, and only the
long deadline is left.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import platform
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

FIFO_WAITS = frozenset(
    {
        "wait_for_partner",
        "fifo_open",
        "pipe_read",
        "pipe_write",
        "pipe_wait",
        "pipe_wait_readable",
        "pipe_wait_writable",
        "fifo_pipe_read",
        "fifo_pipe_write",
        "anon_pipe_read",
        "anon_pipe_write",
    }
)
"""Kernel functions a process sleeps in while it waits on a FIFO (or a pipe): opening
one with no partner, reading one with no writer, writing one nobody reads (Linux 6.x
names the reads and writes of FIFOs and of anonymous pipes apart)."""

SYSCALL_NAMES: dict[str, dict[int, str]] = {
    "x86_64": {0: "read", 1: "write", 2: "open", 257: "openat", 437: "openat2"},
    "aarch64": {63: "read", 64: "write", 56: "openat", 437: "openat2"},
}
"""The system calls a FIFO hang is seen in, by number, per machine (they differ)."""

FIRST_LOOK = 0.1
"""Seconds a call runs before the OS is asked what the process is blocked on: a map
that answers takes microseconds to milliseconds."""
LOOK_EVERY = 0.02
"""Seconds between two looks; a hang must be seen twice in a row (the process may be
passing through a wait on its way to the answer)."""


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text()
    except OSError:
        return None


@dataclasses.dataclass(frozen=True)
class Blocked:
    """What the OS says about a process that waits."""

    wait: str
    """The kernel function it sleeps in (from wchan or the kernel stack)."""
    syscall: str | None
    """The system call it is in, with its number, where /proc/PID/syscall tells."""
    idle: bool
    """Reading its standard input: a harness waiting for its next request, not a hang."""

    def __str__(self) -> str:
        inside = f" in {self.syscall}" if self.syscall else ""
        return f"blocked{inside}, asleep in the kernel's {self.wait} (waiting on a FIFO)"


def _syscall(text: str | None) -> tuple[str | None, bool]:
    """The system call a process is in (name and number), and whether it reads fd 0,
    from its /proc/PID/syscall (``text``; None where that cannot be read)."""
    if not text or not text[0].isdigit():  # "running", or "-1 ..." outside a syscall
        return None, False
    fields = text.split()
    number, first = int(fields[0]), int(fields[1], 16) if len(fields) > 1 else -1
    name = SYSCALL_NAMES.get(platform.machine(), {}).get(number)
    return (f"{name or 'syscall'} (#{number})", name == "read" and first == 0)


def fifo_wait(pid: int) -> Blocked | None | bool:
    """A :class:`Blocked` if ``pid`` sleeps in one of the kernel's FIFO waits; False if
    the OS says it does not; None if the OS cannot say (no /proc, unreadable files)."""
    wchan = _read(f"/proc/{pid}/wchan")
    stack = _read(f"/proc/{pid}/stack")
    frames = [line.split()[1].split("+")[0] for line in (stack or "").splitlines() if " " in line]
    known = [w for w in (wchan, *frames) if w and w.strip() not in ("", "0")]
    if not known:
        return None
    wait = next((w.strip() for w in known if w.strip() in FIFO_WAITS), None)
    text = _read(f"/proc/{pid}/syscall")  # read once: the process may wake meanwhile
    if wait is None or (text is not None and not text[:1].isdigit()):
        # Not asleep in a FIFO wait; or it was, and has woken since wchan was read
        # (on a loaded machine the answer to a request can arrive between the two
        # reads): a process that hangs on a FIFO is inside the system call.
        return False
    syscall, idle = _syscall(text)
    return Blocked(wait, syscall, idle)


@dataclasses.dataclass
class Watched:
    """How a watched call ended: its result or exception, or the hang the OS reported."""

    result: Any = None
    error: BaseException | None = None
    hang: Blocked | None = None
    seconds: float = 0.0


def watch_call(pid: int, call: Callable[[], Any], deadline: float) -> Watched:
    """Run ``call`` (which makes process ``pid`` do something) in a thread and watch
    ``pid``. If it has not answered after :data:`FIRST_LOOK` and the OS twice reports
    it asleep in a FIFO wait (not reading its standard input), that is a hang: ``pid``
    is killed (which ends ``call``) and the hang returned. Otherwise ``call`` runs up to
    ``deadline`` seconds, the last resort where the OS cannot say; it must enforce that
    deadline itself (a pipe adapter's per-call timeout)."""
    out = Watched()
    started = time.monotonic()

    def run() -> None:
        try:
            out.result = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            out.error = exc

    worker = threading.Thread(target=run, name="mmapspec-watched-call", daemon=True)
    worker.start()
    worker.join(FIRST_LOOK)
    seen: Blocked | None = None
    while worker.is_alive() and time.monotonic() - started < deadline:
        now = fifo_wait(pid)
        if isinstance(now, Blocked) and not now.idle:
            if seen is not None and worker.is_alive():
                out.hang = now
                _kill(pid)
                break
            seen = now
        else:
            seen = None
        worker.join(LOOK_EVERY)
    worker.join(deadline)
    out.seconds = time.monotonic() - started
    return out


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))  # Windows: TerminateProcess
