"""How much memory a process holds, as Linux counts it in ``/proc/PID/status``:
``VmRSS`` (resident) and ``VmData`` (private data: heap and anonymous mappings), in
KiB. None where the OS does not say."""

from __future__ import annotations

from pathlib import Path

FIELDS = ("VmRSS", "VmData")


def memory_kib(pid: int) -> dict[str, int] | None:
    """``VmRSS`` and ``VmData`` of ``pid`` in KiB, or None where /proc does not tell."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found: dict[str, int] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in FIELDS:
            found[key] = int(value.split()[0])
    return found if len(found) == len(FIELDS) else None
