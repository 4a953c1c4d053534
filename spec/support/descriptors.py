"""Whether a process's descriptors are closed on exec: ``/proc/PID/fdinfo/FD`` lists
each descriptor's open flags (in octal), with ``O_CLOEXEC`` among them when the
descriptor has ``FD_CLOEXEC`` set. None where the OS cannot say."""

from __future__ import annotations

import os
from pathlib import Path

O_CLOEXEC = getattr(os, "O_CLOEXEC", 0o2000000)
"""The flag as fdinfo shows it (Linux: 0o2000000 on x86 and arm)."""


def close_on_exec(pid: int, fd: int) -> bool | None:
    """True if descriptor ``fd`` of ``pid`` is closed on exec, False if a child started
    with exec would inherit it, None if the OS does not say (no fdinfo, or closed)."""
    try:
        text = Path(f"/proc/{pid}/fdinfo/{fd}").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key == "flags":
            return bool(int(value.strip(), 8) & O_CLOEXEC)
    return None


def fdinfo_readable(pid: int) -> bool:
    """Whether the OS lists the descriptors' flags of ``pid`` at all."""
    return Path(f"/proc/{pid}/fdinfo").is_dir()
