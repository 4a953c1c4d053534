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


def _parents() -> dict[int, int]:
    """Every process's parent: /proc on Linux, ``ps`` elsewhere on POSIX."""
    found: dict[int, int] = {}
    proc = Path("/proc")
    if sys.platform.startswith("linux") and proc.is_dir():
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_bytes()
            except OSError:
                continue  # gone meanwhile
            # pid (comm) state ppid ...: comm may hold spaces and parentheses.
            fields = stat[stat.rindex(b")") + 2 :].split()
            found[int(entry.name)] = int(fields[1])
        return found
    with contextlib.suppress(OSError, subprocess.SubprocessError, ValueError):
        out = subprocess.run(
            ["ps", "-A", "-o", "pid=,ppid="], capture_output=True, text=True, timeout=10
        ).stdout
        for line in out.splitlines():
            pid, ppid = line.split()
            found[int(pid)] = int(ppid)
    return found


def own_processes(root: int) -> set[int]:
    """``root`` and every process descended from it, now."""
    if sys.platform == "win32":
        return {root}  # no guard there: the harness is the child itself
    children: dict[int, list[int]] = {}
    for pid, ppid in _parents().items():
        children.setdefault(ppid, []).append(pid)
    tree, todo = {root}, [root]
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
