"""``mmap.pagesize()``: the allocation granularity, and what it governs."""

from __future__ import annotations

from pathlib import Path

import pytest
from mmapspec.adapters.interface import Adapter
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import (
    Maps,
    assert_raises,
    mapped_bytes_in,
    new_file,
    os_page,
    pattern,
    ref,
    require_proc,
)
from mmapspec.spec.support.pages import system_page


@pytest.mark.clause("pagesize.returns-page-size")
def test_pagesize_is_the_os_page_size(adapter: Adapter) -> None:
    p = adapter.pagesize()
    want = os_page()
    assert p == want, f"pagesize(): expected {want} (the OS's), got {p!r}"


@pytest.mark.clause("pagesize.allocation-multiples")
@pytest.mark.prerequisites("pagesize.returns-page-size")
@pytest.mark.parametrize("size", [1, 100, 4097])
def test_maps_are_whole_pages(adapter: Adapter, maps: Maps, size: int) -> None:
    """A map starts on a multiple of pagesize() and the OS maps whole pages of it: of
    pagesize() where the OS shows mappings in pages of that size (Linux); on Windows,
    whose views show in 4 KiB pages inside 64 KiB granules, the size rounded up to the
    OS's pages and nothing else in the rest of the granule (no other allocation can
    start inside one: the address space is taken in multiples of pagesize())."""
    p = adapter.pagesize()
    with prerequisite("map.file.omitted-maps-pagefile", f"map(nil, 'w', {size})"):
        m = maps.map(None, "w", size)
    assert m.addr is not None, "map.addr is not reported"
    assert m.addr % p == 0, f"map(nil, 'w', {size}) at {m.addr:#x}: not a multiple of {p}"
    require_proc(adapter.pid)
    whole = -(-size // p) * p
    seen = -(-size // system_page()) * system_page()
    got = mapped_bytes_in(adapter.pid, m.addr, m.addr + whole)
    assert got == seen, (
        f"map(nil, 'w', {size}): expected {seen} bytes mapped in [{m.addr:#x}, "
        f"{m.addr + whole:#x}) (whole pages of {system_page()}), got {got}"
    )


@pytest.mark.clause("pagesize.offsets-aligned")
@pytest.mark.prerequisites("pagesize.returns-page-size")
@pytest.mark.parametrize("pages, extra", [(0, 1), (1, 1), (1, -1), (2, "half")])
def test_offsets_must_be_multiples(
    adapter: Adapter, maps: Maps, tmp_path: Path, pages: int, extra: int | str
) -> None:
    """A file offset that is not a multiple of pagesize() raises an error."""
    p = adapter.pagesize()
    offset = pages * p + (p // 2 if extra == "half" else int(extra))
    path = new_file(tmp_path, pattern(4 * p, seed=70))
    outcome = maps.try_map(ref(path), "", p, offset)
    assert_raises(outcome, f"map({path.name!r}, '', {p}, {offset}), pagesize() {p}")
