"""``mmap.unlink(tagname)`` and ``map:unlink()``: removing shared memory.

Whether a tagname's shared memory exists, and what it holds, is asked of the OS
(/dev/shm/NAME on Linux), never of the binding. Every map of a tagname is given a
size, so no test relies on how a binding reads a tagname mapped without one.

The document says a tagname makes a file "on Linux and OS X (not so on Windows)": on
Windows the memory lives while a map of it does and there is no file for ``unlink`` to
remove, so the clauses about removing it skip there (``require_kept_tagnames``), and
of ``unlink.while-mapped`` only "will not affect said mappings" is checked.
"""

from __future__ import annotations

import pytest
from mmapspec.adapters.interface import Adapter, MapInfo
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import (
    Maps,
    os_page,
    pattern,
    require_kept_tagnames,
    same,
    shm_bytes,
    shm_exists,
    tagnames_are_kept,
)

PAGE = os_page()


def _tag_map(maps: Maps, tag: str, size: int = PAGE) -> MapInfo:
    """A map of a tagname's shared memory, created if new."""
    with prerequisite("map.tagname.same-process", f"map(tagname={tag!r}, 'w', {size})"):
        m = maps.map(None, "w", size, None, None, tag)
        assert shm_exists(tag), f"no shared memory object for tagname {tag!r}"
    return m


@pytest.mark.clause("unlink.function-removes")
@pytest.mark.parametrize("mapped", [False, True], ids=["after free", "while mapped"])
def test_unlink_removes_the_shared_memory(adapter: Adapter, maps: Maps, mapped: bool) -> None:
    require_kept_tagnames()
    tag = maps.tagname()
    m = _tag_map(maps, tag)
    if not mapped:
        maps.free(m)
    adapter.unlink(tag)
    assert not shm_exists(tag), f"unlink({tag!r}): expected its shared memory gone, it is there"


@pytest.mark.clause("unlink.method-removes")
def test_map_unlink_removes_its_shared_memory(adapter: Adapter, maps: Maps) -> None:
    require_kept_tagnames()
    tag = maps.tagname()
    m = _tag_map(maps, tag)
    adapter.unlink_map(m.handle)
    assert not shm_exists(tag), (
        f"map:unlink() of a map of {tag!r}: expected its shared memory gone, it is there"
    )


@pytest.mark.clause("unlink.manual")
def test_free_keeps_shared_memory(adapter: Adapter, maps: Maps) -> None:
    """Freeing every map of a tagname removes nothing: its memory and contents stay."""
    require_kept_tagnames()
    tag = maps.tagname()
    data = pattern(2 * PAGE, seed=40)
    first = _tag_map(maps, tag, 2 * PAGE)
    second = _tag_map(maps, tag, 2 * PAGE)
    with prerequisite("map.tagname.same-process", f"a write through a map of {tag!r}"):
        adapter.write(first.handle, 0, data)
        same(shm_bytes(tag, 2 * PAGE), data, f"the shared memory of {tag!r} after a write")
    maps.free(first)
    maps.free(second)
    assert shm_exists(tag), f"free() of every map of {tag!r}: expected it kept, it is gone"
    same(shm_bytes(tag, 2 * PAGE), data, f"the shared memory of {tag!r} after free()")


@pytest.mark.clause("unlink.while-mapped")
def test_unlink_while_mapped(adapter: Adapter, maps: Maps) -> None:
    """Open maps keep working and keep sharing; the name is free for new memory."""
    tag = maps.tagname()
    first = _tag_map(maps, tag)
    second = _tag_map(maps, tag)
    with prerequisite("map.tagname.same-process", f"two maps of {tag!r} sharing a write"):
        adapter.write(first.handle, 0, b"before")
        same(adapter.read(second.handle, 0, 6), b"before", "the second map before unlink")
    with prerequisite("unlink.method-removes", "map:unlink() of the second map"):
        adapter.unlink_map(second.handle)
    same(adapter.read(second.handle, 0, 6), b"before", "the second map after map:unlink()")
    adapter.write(second.handle, 0, b"after!")
    same(adapter.read(first.handle, 0, 6), b"after!", "the first map after map:unlink()")
    if tagnames_are_kept() is not None:
        return  # Windows: unlink removed nothing, so the name still names this memory
    fresh = _tag_map(maps, tag)
    adapter.write(fresh.handle, 0, b"fresh!")
    same(adapter.read(first.handle, 0, 6), b"after!", "the first map, after a new map of its name")
