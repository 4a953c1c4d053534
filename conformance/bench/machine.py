"""What the figures were measured on, so that two JSON files can be told apart."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def filesystem(path: Path) -> str:
    """The type of the filesystem holding ``path`` (from /proc/mounts; Linux only),
    because file mapping and flush costs depend on it."""
    try:
        mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return "unknown"
    real = str(path.resolve())
    best = ("", "unknown")
    for fields in mounts:
        if len(fields) >= 3:
            mnt = fields[1]
            inside = real == mnt or real.startswith(mnt.rstrip("/") + "/")
            if inside and len(mnt) >= len(best[0]):
                best = (mnt, fields[2])
    return best[1]


def _git_commit() -> str | None:
    """The commit of the mmapspec source being benchmarked, when run from a checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "describe", "--always", "--dirty", "--abbrev=7"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def machine_info(workdir: Path, compiler: str | None) -> dict[str, Any]:
    """CPU, cores, kernel, Python and the rest of what the figures depend on."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 0
    try:
        load = list(os.getloadavg())
    except OSError:
        load = []
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "kernel": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "python_executable": sys.executable,
        "libc": " ".join(platform.libc_ver()).strip() or "unknown",
        "page_size": os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else None,
        "workdir_fs": filesystem(workdir),
        "c_compiler": compiler,
        "loadavg_at_start": load,
        "mmapspec_commit": _git_commit(),
    }


def one_line(info: dict[str, Any]) -> str:
    """The machine line printed above the table (and put in the README)."""
    return (
        f"{info['cpu']}, {info['usable_cores']} of {info['cores']} cores, {info['kernel']}, "
        f"{info['python']}, temp files on {info['workdir_fs']}, load average at start "
        f"{' '.join(f'{x:.2f}' for x in info['loadavg_at_start'][:1]) or '?'}"
    )
