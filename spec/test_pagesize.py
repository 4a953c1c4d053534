"""``mmap.pagesize()``: the allocation granularity, and what it governs."""

from __future__ import annotations

import os
import sys

import pytest
from mmapspec.adapters.interface import Adapter
from mmapspec.spec.support import Maps, mapped_bytes_in, require_proc


@pytest.mark.clause("pagesize.returns-page-size")
def test_pagesize(adapter: Adapter) -> None:
    p = adapter.pagesize()
    assert p > 0 and p & (p - 1) == 0, f"{p} is not a power of two"
    if sys.platform.startswith("linux"):
        assert p == os.sysconf("SC_PAGESIZE")


@pytest.mark.clause("pagesize.allocation-multiples")
@pytest.mark.parametrize("size", [1, 100, 4097])
def test_maps_are_whole_pages(adapter: Adapter, maps: Maps, size: int) -> None:
    """A map starts on a page boundary and the OS maps whole pages for it."""
    p = adapter.pagesize()
    m = maps.map(None, "w", size)
    assert m.addr % p == 0, f"map at {m.addr:#x}, not a multiple of {p}"
    require_proc(adapter.pid)
    whole = -(-size // p) * p
    assert mapped_bytes_in(adapter.pid, m.addr, m.addr + whole) == whole
