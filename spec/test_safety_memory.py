"""Safety over time: many map + free cycles leave the implementation's process no larger
(VmRSS and VmData in /proc/PID/status).

A binding that forgets to free its per-map bookkeeping passes every other clause: its
maps work and are unmapped, its descriptors are closed. Only a long run shows it, as a
heap that grows with every map. These clauses (``basis="safety"``) are in no sentence
of the document; where the OS cannot say, a test is skipped and says why.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from mmapspec.adapters.interface import Adapter, MapInfo, MirrorInfo
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import Maps, new_file, os_page, pattern, ref
from mmapspec.spec.support.memory import memory_kib

WARM_UP = 1_000
"""Cycles before anything is measured: caches, free lists and handle tables settle."""
HALF = 5_000
"""Cycles per measured half; 10,000 in all."""
BOUND_KIB = 160
"""Growth (KiB) in *each* half that fails the clause, in VmRSS or VmData.

Calibrated with the reference: 10,000 cycles of each kind after 1,000 of warm-up,
repeated 20 times per kind (pagefile, name, fd, tagname, mirror). In process and
through the Python harness of the pipe, VmRSS and VmData grew by 0 KiB every time.
Through the LuaJIT harness with the demo binding, by 0 KiB every time but the first
two pagefile batches (VmRSS +108 and +116 KiB, VmData +128 KiB once: LuaJIT's
garbage-collected heap settling). Against that, a leak of one 48-byte struct per map
is 5,000 x 48 B = 234 KiB per half at the least, 312 KiB with malloc's 16-byte
headers (the deviant that leaks it grows by 312 KiB VmRSS and 264 KiB VmData per
half). A one-off step of the runtime (a new allocator arena, a heap settling) shows
in one half only, and so fails nothing: a leak grows in both."""

PROMISED_BY = {
    "pagefile": "map.file.omitted-maps-pagefile",
    "name": "map.file.name",
    "fd": "map.file.fd",
    "tagname": "map.tagname.same-process",
    "mirror": "mirror.form.table",
}

KINDS = (
    pytest.param("pagefile", id="pagefile", marks=pytest.mark.needs("anonymous", "access:w")),
    pytest.param("name", id="name", marks=pytest.mark.needs("file:name", "access:w")),
    pytest.param("fd", id="fd", marks=pytest.mark.needs("file:fd", "access:w")),
    pytest.param("tagname", id="tagname", marks=pytest.mark.needs("tagname", "access:w")),
    pytest.param("mirror", id="mirror", marks=pytest.mark.needs("mirror", "file:name")),
)


def _maker(
    adapter: Adapter, maps: Maps, tmp_path: Path, kind: str
) -> Callable[[], MapInfo | MirrorInfo]:
    p = os_page()
    if kind == "pagefile":
        return lambda: adapter.map(None, "w", p)
    if kind == "tagname":
        tag = maps.tagname()
        return lambda: adapter.map(None, "w", p, tagname=tag)
    path = new_file(tmp_path, pattern(2 * p, seed=950))
    if kind == "mirror":
        return lambda: adapter.mirror(ref(path), p, 2)
    return lambda: adapter.map(ref(path, kind, "r+"), "w")


def _cycles(adapter: Adapter, make: Callable[[], MapInfo | MirrorInfo], n: int) -> None:
    for _ in range(n):
        adapter.free(make().handle)


def _memory(pid: int) -> dict[str, int]:
    got = memory_kib(pid)
    assert got is not None, f"process {pid} stopped reporting its memory"
    return got


@pytest.mark.clause("safety.memory.flat")
@pytest.mark.parametrize("kind", KINDS)
def test_map_and_free_cycles_keep_memory_flat(
    adapter: Adapter, maps: Maps, tmp_path: Path, kind: str
) -> None:
    pid = adapter.pid
    if memory_kib(pid) is None:
        pytest.skip(f"no VmRSS/VmData in /proc/{pid}/status: memory is measured on Linux only")
    make = _maker(adapter, maps, tmp_path, kind)
    with prerequisite(PROMISED_BY[kind], f"{WARM_UP} cycles of map ({kind}) + free"):
        _cycles(adapter, make, WARM_UP)
    readings = [_memory(pid)]
    for _ in range(2):
        _cycles(adapter, make, HALF)
        readings.append(_memory(pid))
    grew = {
        field: [readings[i + 1][field] - readings[i][field] for i in range(2)]
        for field in ("VmRSS", "VmData")
    }
    leaking = {f: g for f, g in grew.items() if min(g) > BOUND_KIB}
    assert not leaking, (
        f"{2 * HALF} cycles of map ({kind}) + free grew the implementation's process in "
        "each half by more than "
        f"{BOUND_KIB} KiB: "
        + ", ".join(f"{f} +{g[0]} KiB then +{g[1]} KiB" for f, g in leaking.items())
        + f" (about {sum(leaking[next(iter(leaking))]) * 1024 // (2 * HALF)} bytes per map)"
    )
