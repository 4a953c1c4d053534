"""The processes the runner started: the child as the OS gave it (the guard, on
POSIX) and its descendants. The runner observes, limits, traces and signals only
these; a pid a harness merely names is checked against them (``startup.handshake``).

On Linux the guard is a child subreaper (``PR_SET_CHILD_SUBREAPER``), so a harness's
process that calls ``setsid()`` and is orphaned stays the guard's descendant: it
leaves the process group, not the tree. Ending the tree stops every process in it
first (SIGSTOP, repeated until no new one appears), so that none can fork meanwhile,
then kills them all.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

ROUNDS = 50
"""Times the tree is walked for new processes while stopping it."""


def _proc_stats() -> dict[int, list[bytes]] | None:
    """Every process's /proc/PID/stat fields after ``(comm)`` (state, ppid, pgrp,
    session, ...), or None where there is no /proc (not Linux)."""
    proc = Path("/proc")
    if not (sys.platform.startswith("linux") and proc.is_dir()):
        return None
    found: dict[int, list[bytes]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_bytes()
        except OSError:
            continue  # gone meanwhile
        # pid (comm) state ppid ...: comm may hold spaces and parentheses.
        found[int(entry.name)] = stat[stat.rindex(b")") + 2 :].split()
    return found


def _sessions() -> dict[int, int]:
    """Every process's session (Linux; elsewhere none are known)."""
    stats = _proc_stats() or {}
    return {pid: int(fields[3]) for pid, fields in stats.items()}


def _parents() -> dict[int, int]:
    """Every process's parent: /proc on Linux, ``ps`` elsewhere on POSIX."""
    stats = _proc_stats()
    if stats is not None:
        return {pid: int(fields[1]) for pid, fields in stats.items()}
    found: dict[int, int] = {}
    with contextlib.suppress(OSError, subprocess.SubprocessError, ValueError):
        out = subprocess.run(
            ["ps", "-A", "-o", "pid=,ppid="], capture_output=True, text=True, timeout=10
        ).stdout
        for line in out.splitlines():
            pid, ppid = line.split()
            found[int(pid)] = int(ppid)
    return found


def own_processes(root: int) -> set[int]:
    """``root``, the processes of its session, and every process descended from
    those, now."""
    if sys.platform == "win32":
        return {root}  # no guard there: the harness is the child itself
    children: dict[int, list[int]] = {}
    for pid, ppid in _parents().items():
        children.setdefault(ppid, []).append(pid)
    # The guard's own session is ours too (it was started in a new one): a harness
    # the guard started can be reparented away from it (seen: to init, though the
    # guard asks to be a subreaper), but not out of the session without setsid().
    tree = {pid for pid, sid in _sessions().items() if sid == root} | {root}
    todo = list(tree)
    while todo:
        for pid in children.get(todo.pop(), []):
            if pid not in tree:
                tree.add(pid)
                todo.append(pid)
    return tree


def kill_descendants(root: int) -> None:
    """Stop, then kill, every process descended from ``root`` (not ``root`` itself)."""
    if sys.platform == "win32":
        return
    stopped: set[int] = set()
    for _ in range(ROUNDS):
        new = own_processes(root) - {root} - stopped
        if not new:
            break
        for pid in new:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGSTOP)
        stopped |= new
    for pid in stopped:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
