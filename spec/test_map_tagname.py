"""``mmap.map``: shared memory named by a tagname, within one process. Between processes
it is in ``test_processes``; a tagname's failures in ``test_map_raises`` and
``test_map_errcodes``.

Each test gives a status to one clause, as the package's docstring says
(``spec/__init__.py``: what is observed through the OS, what is a prerequisite).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mmapspec.adapters.interface import Adapter
from mmapspec.spec import strategies as sst
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import Maps, assert_fails, os_page, same
from mmapspec.spec.support.map_calls import described, mapped
from mmapspec.spec.support.tagnames import shm_bytes, shm_seen


@pytest.mark.clause("map.tagname.same-process")
@given(data=st.data())
def test_tagname_shares_memory_in_one_process(adapter: Adapter, data: st.DataObject) -> None:
    p = os_page()
    size = data.draw(st.integers(1, 4).map(lambda k: k * p), label="size")
    with Maps(adapter) as maps:
        tag = maps.tagname()
        call = described("map", None, "w", size, None, None, tag)
        first = mapped(maps, None, "w", size, None, None, tag)
        second = mapped(maps, None, "w", size, None, None, tag)
        at, chunk = data.draw(sst.writes(size), label="write")
        adapter.write(first.handle, at, chunk)
        same(adapter.read(second.handle, at, len(chunk)), chunk, f"{call} twice: first to second")
        adapter.write(second.handle, 0, b"back")
        same(adapter.read(first.handle, 0, 4), b"back", f"{call} twice: second to first")


@pytest.mark.clause("map.tagname.default-size")
def test_tagname_default_size_is_the_existing_size(adapter: Adapter, maps: Maps) -> None:
    p = os_page()
    tag = maps.tagname()
    with prerequisite("map.tagname.same-process", described("map", None, "w", 3 * p, tag=tag)):
        first = mapped(maps, None, "w", 3 * p, None, None, tag)
        adapter.write(first.handle, 3 * p - 3, b"end")
        if shm_seen():  # that the write reached the memory is the tagname's promise
            same(shm_bytes(tag, 3 * p)[-3:], b"end", f"the shared memory of {tag!r}")
    call = described("map", None, "", None, None, None, tag)
    second = mapped(maps, None, "", None, None, None, tag)
    assert second.size == 3 * p, (
        f"{call} of shared memory of {3 * p} bytes: expected map.size {3 * p}, got {second.size}"
    )
    same(adapter.read(second.handle, 3 * p - 3, 3), b"end", call)


@pytest.mark.clause("map.tagname.short-read-only-fails")
def test_tagname_shorter_than_the_size_fails_read_only(adapter: Adapter, maps: Maps) -> None:
    """Shared memory of one page, mapped read-only with three: 'file_too_short'."""
    p = os_page()
    tag = maps.tagname()
    with prerequisite("map.tagname.same-process", described("map", None, "w", p, tag=tag)):
        maps.free(mapped(maps, None, "w", p, None, None, tag))
    outcome = maps.try_map(None, "", 3 * p, tagname=tag)
    assert_fails(outcome, "file_too_short", why=f"shared memory of {p} bytes")
