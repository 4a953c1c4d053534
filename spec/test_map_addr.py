"""``mmap.map``: a requested address, and the addresses of live maps. An address in use
or too large is in ``test_map_errcodes``; ``addr=0`` is in ``test_map_raises``.

Each test gives a status to one clause, as the package's docstring says
(``spec/__init__.py``: what is observed through the OS, what is a prerequisite).
"""

from __future__ import annotations

import pytest
from mmapspec.adapters.interface import Adapter
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import Maps, free_address, mappings_shown, os_page, proc_maps, same
from mmapspec.spec.support.map_calls import described, mapped


def _free_gap(pid: int, size: int, p: int) -> int | None:
    """An address with ``size`` bytes free around it, found in the OS's mappings: the middle
    of the widest gap between two mappings, far from where the OS puts new ones."""
    # Below 2**47: the user address space of every 64-bit system without 5-level paging
    # (above it live only the kernel's vsyscall page and the like).
    spans = sorted((r.start, r.end) for r in proc_maps(pid) if r.end <= 1 << 47)
    gaps = [
        (lo_end, hi_start) for (_, lo_end), (hi_start, _) in zip(spans, spans[1:], strict=False)
    ]
    if not gaps:
        return None
    lo, hi = max(gaps, key=lambda g: g[1] - g[0])
    if hi - lo < 4 * size:
        return None
    return (lo + (hi - lo) // 2) // p * p


@pytest.mark.clause("map.addr.used")
def test_requested_address_is_used(adapter: Adapter, maps: Maps) -> None:
    p = os_page()
    where = None
    if mappings_shown(adapter.pid):
        where = _free_gap(adapter.pid, 2 * p, p)
    if where is None:
        with prerequisite("map.file.omitted-maps-pagefile", "map(nil, 'w') then free()"):
            where = free_address(adapter, maps, 2 * p)
    call = described("map", None, "w", 2 * p, None, where)
    m = mapped(maps, None, "w", 2 * p, None, where)
    assert m.addr == where, f"{call}: expected map.addr {where:#x}, got {m.addr!r}"


@pytest.mark.clause("map.result.addr")
def test_addresses_of_live_maps_do_not_overlap(adapter: Adapter, maps: Maps) -> None:
    p = os_page()
    sizes = [k * p + 1 for k in range(1, 5)]
    live = [mapped(maps, None, "w", n) for n in sizes]
    spans = sorted((m.addr or 0, (m.addr or 0) + n) for m, n in zip(live, sizes, strict=True))
    assert all(lo for lo, _ in spans), f"map(nil, 'w', n) for n in {sizes}: a null map.addr"
    pairs = zip(spans, spans[1:], strict=False)
    assert all(a_hi <= b_lo for (_, a_hi), (b_lo, _) in pairs), (
        f"map(nil, 'w', n) for n in {sizes}: live maps overlap: "
        + ", ".join(f"[{lo:#x}, {hi:#x})" for lo, hi in spans)
    )
    for k, (m, n) in enumerate(zip(live, sizes, strict=True)):
        adapter.write(m.handle, 0, bytes([k]) * n)
    for k, (m, n) in enumerate(zip(live, sizes, strict=True)):
        same(adapter.read(m.handle, 0, n), bytes([k]) * n, f"map(nil, 'w', {n}) after the others")


@pytest.mark.clause("map.addr.used")
def test_freed_address_can_be_reused(adapter: Adapter, maps: Maps) -> None:
    """Not "in use" once freed: the same address can be asked for again."""
    p = os_page()
    with prerequisite("free.releases-memory", f"map(nil, 'w', {p}) then free()"):
        where = free_address(adapter, maps, p)
    outcome = maps.try_map(None, "w", p, None, where)
    call = described("map", None, "w", p, None, where)
    assert outcome.kind == "value", f"{call}: expected a map, got: {outcome}"
    assert outcome.value.addr == where, (
        f"{call}: expected map.addr {where:#x}, got {outcome.value.addr!r}"
    )
