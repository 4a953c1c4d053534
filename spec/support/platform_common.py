"""What every OS module of :mod:`mmapspec.spec.support.platforms` (``platform_*``) answers in: one
mapping as the OS shows it, and the crash of a process for a bad memory access."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class ProcMapsEntry:
    """One mapping of a process as the OS shows it (on Linux a line of /proc/PID/maps;
    on Windows one region of ``VirtualQueryEx``): a range of addresses, its
    permissions in /proc's spelling (``rwxs``, ``r--p``; an address range only
    reserved is ``---p``) and the file it maps ("" for memory of no file)."""

    start: int
    end: int
    perms: str
    path: str
