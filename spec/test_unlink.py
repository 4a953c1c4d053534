"""``mmap.unlink(tagname)`` and ``map:unlink()``: removing shared memory (COORD 11)."""

from __future__ import annotations

import pytest
from mmapspec.adapters.interface import Adapter
from mmapspec.spec.support import Maps, assert_fails, page, pattern, same


@pytest.mark.clause("unlink.function-removes")
def test_unlink_removes_the_name(adapter: Adapter, maps: Maps) -> None:
    tag = maps.tagname()
    m = maps.map(None, "w", page(adapter), None, None, tag)
    maps.free(m)
    adapter.unlink(tag)
    assert_fails(
        maps.try_map(None, "", None, None, None, tag), "no_file", why="mapping an unlinked tagname"
    )


@pytest.mark.clause("unlink.method-removes")
def test_map_unlink_removes_its_name(adapter: Adapter, maps: Maps) -> None:
    tag = maps.tagname()
    m = maps.map(None, "w", page(adapter), None, None, tag)
    adapter.unlink_map(m.handle)
    maps.free(m)
    assert_fails(
        maps.try_map(None, "", None, None, None, tag), "no_file", why="mapping an unlinked tagname"
    )


@pytest.mark.clause("unlink.manual")
def test_free_keeps_shared_memory(adapter: Adapter, maps: Maps) -> None:
    """Freeing every map of a tagname does not remove it: its contents are still there."""
    p = page(adapter)
    tag = maps.tagname()
    data = pattern(2 * p, seed=40)
    m = maps.map(None, "w", 2 * p, None, None, tag)
    adapter.write(m.handle, 0, data)
    maps.free(m)
    again = maps.map(None, "", None, None, None, tag)
    assert again.size == 2 * p
    same(adapter.read(again.handle, 0, 2 * p), data)


@pytest.mark.clause("unlink.while-mapped")
@pytest.mark.parametrize("how", ["function", "method"])
def test_unlink_while_mapped(adapter: Adapter, maps: Maps, how: str) -> None:
    """Open maps keep working and keep sharing; the name is free for new memory."""
    p = page(adapter)
    tag = maps.tagname()
    first = maps.map(None, "w", p, None, None, tag)
    second = maps.map(None, "w", p, None, None, tag)
    adapter.write(first.handle, 0, b"before")
    if how == "function":
        adapter.unlink(tag)
    else:
        adapter.unlink_map(second.handle)
    same(adapter.read(second.handle, 0, 6), b"before")
    adapter.write(second.handle, 0, b"after!")
    same(adapter.read(first.handle, 0, 6), b"after!")
    fresh = maps.map(None, "w", p, None, None, tag)
    adapter.write(fresh.handle, 0, b"fresh!")
    same(adapter.read(first.handle, 0, 6), b"after!", "new memory under the name is not new")
