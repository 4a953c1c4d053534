"""Count what a process holds, from /proc, so tests can prove nothing leaked.

Used both by the test process and by child processes (the fuzz worker imports it
by path), so it depends on the standard library only.
"""

from __future__ import annotations

import gc
import os
from typing import NamedTuple


class Mapping(NamedTuple):
    """One line of /proc/self/maps: an address range and what backs it."""

    start: int
    end: int
    perms: str
    path: str


_maps_fd: int | None = None


def hold_maps_fd() -> None:
    """Keep /proc/self/maps open, so mappings can be counted even when the process
    has no descriptor left to open it (the descriptor-exhaustion test)."""
    global _maps_fd
    _maps_fd = os.open("/proc/self/maps", os.O_RDONLY)


def open_fds() -> frozenset[int]:
    """The descriptors this process has open right now."""
    try:
        names = [int(n) for n in os.listdir("/proc/self/fd")]
    except OSError:  # no descriptor left for listdir itself: probe every slot
        import resource

        names = list(range(resource.getrlimit(resource.RLIMIT_NOFILE)[0]))
    # listdir's own descriptor is gone by the time it returns: keep only live ones.
    fds = set()
    for fd in names:
        try:
            os.fstat(fd)
        except OSError:
            continue
        fds.add(fd)
    return frozenset(fds)


def _read_maps() -> str:
    if _maps_fd is None:
        with open("/proc/self/maps", "rb") as f:
            raw = f.read()
    else:
        chunks, offset = [], 0
        while chunk := os.pread(_maps_fd, 1 << 16, offset):
            chunks.append(chunk)
            offset += len(chunk)
        raw = b"".join(chunks)
    return raw.decode("utf-8", "surrogateescape")


def mappings() -> frozenset[Mapping]:
    """The address ranges mapped into this process right now."""
    # Not splitlines(): it also splits at \x1c-\x1e, \x85 and \u2028, which can occur in
    # names of mapped files; the kernel escapes only the newline itself.
    lines = [line for line in _read_maps().split("\n") if line]
    out = set()
    for line in lines:
        fields = line.split(maxsplit=5)
        start, end = (int(x, 16) for x in fields[0].split("-"))
        out.add(Mapping(start, end, fields[1], fields[5] if len(fields) > 5 else ""))
    return frozenset(out)


def _allocator_like(m: Mapping) -> bool:
    """Ranges the interpreter's own allocators create and merge: the brk heap and
    private anonymous read/write memory. Everything else a map call can leave
    behind (file-backed, shared, PROT_NONE reservations, exec or read-only
    anonymous memory) is compared range by range."""
    return m.path == "[heap]" or (m.path == "" and m.perms == "rw-p")


def _private_anon_bytes(maps: frozenset[Mapping]) -> int:
    return sum(m.end - m.start for m in maps if m.path == "" and m.perms == "rw-p")


class Snapshot(NamedTuple):
    fds: frozenset[int]
    maps: frozenset[Mapping]


def snapshot(collect: bool = True) -> Snapshot:
    """What the process holds; ``collect`` first runs the garbage collector, so that
    unreachable objects still holding a mapping do not count."""
    if collect:
        gc.collect()
    return Snapshot(open_fds(), mappings())


def leaks(before: Snapshot, tries: int = 3) -> list[str]:
    """What the process holds now that it did not hold at ``before``.

    A descriptor difference is exact. Mappings are compared range by range, except
    private anonymous read/write memory, which allocators create and the kernel
    merges with neighbours: for that only the total of bytes counts (a leaked
    mapping adds bytes even when merged). Children run with an allocator that maps
    nothing of its own (see _children.child_env). A difference counts only if it
    persists after a garbage collection.
    """
    problems: list[str] = []
    for attempt in range(tries):
        now = snapshot(collect=attempt > 0)  # the collector is slow: only when needed
        problems = []
        if now.fds != before.fds:
            gained = sorted(now.fds - before.fds)
            lost = sorted(before.fds - now.fds)
            problems.append(f"descriptors gained {_describe_fds(gained)}, closed {lost}")
        distinct = sorted(m for m in now.maps - before.maps if not _allocator_like(m))
        if distinct:
            problems.append(f"mappings gained: {distinct}")
        grown = _private_anon_bytes(now.maps) - _private_anon_bytes(before.maps)
        if grown > 0:
            problems.append(f"private anonymous memory grew by {grown} bytes")
        if not problems:
            return []
    return problems


def _describe_fds(fds: list[int]) -> list[str]:
    out = []
    for fd in fds:
        try:
            out.append(f"{fd}->{os.readlink(f'/proc/self/fd/{fd}')}")
        except OSError:
            out.append(str(fd))
    return out
