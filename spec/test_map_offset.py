"""``mmap.map``: mapping from an offset into the file, and the offset of a pagefile map
(ignored, not validated). An offset's raised errors are in ``test_map_raises``.

Each test gives a status to one clause, as the package's docstring says
(``spec/__init__.py``: what is observed through the OS, what is a prerequisite).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from mmapspec.adapters.interface import Adapter
from mmapspec.spec import strategies as sst
from mmapspec.spec.support import Maps, new_file, os_page, pattern, ref, same
from mmapspec.spec.support.map_calls import caps, described, mapped

# ----------------------------------------------------------------------------- files


@pytest.mark.clause("map.offset.maps-from-offset")
@given(data=st.data())
def test_map_shows_the_file_bytes_at_offset(
    adapter: Adapter, tmp_path: Path, data: st.DataObject
) -> None:
    """Any size at any page-multiple offset within the file, in every access mode: the
    map holds the file's bytes [offset, offset + size)."""
    p = os_page()
    access = data.draw(sst.accesses(caps(adapter)), label="access")
    size = data.draw(sst.sizes(p), label="size")
    offset = data.draw(sst.page_offsets(p), label="offset")
    tail = data.draw(st.integers(0, p), label="bytes after the map")
    content = data.draw(sst.data(offset + size + tail), label="content")
    path = new_file(tmp_path, content)
    with Maps(adapter) as maps:
        # Only modes that map at all (without an offset): a mode that does not is its own
        # clause's failure, not the offset's. (Filtered rather than a prerequisite: the
        # model, which judges 'w' and 'c', relies on this clause.)
        # The probe maps a twin of the file: a probe that changed its file (a 'w' map
        # of a smaller size truncating it) must not change what the offset map reads.
        probe = maps.try_map(ref(new_file(tmp_path, content)), access, size)
        assume(probe.kind == "value")
        maps.free(probe.value)
        call = described("map", ref(path), access, size, offset)
        m = mapped(maps, ref(path), access, size, offset)
        same(adapter.read(m.handle, 0, size), content[offset : offset + size], call)


@pytest.mark.clause("map.offset.default-zero")
def test_offset_defaults_to_zero(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    p = os_page()
    content = pattern(2 * p, seed=2)
    path = new_file(tmp_path, content)
    call = described("map", ref(path), "", p + 1, None)
    m = mapped(maps, ref(path), "", p + 1, None)
    same(adapter.read(m.handle, 0, p + 1), content[: p + 1], call)


# ----------------------------------------------------------------------------- pagefile


@pytest.mark.clause("map.offset.ignored-for-pagefile")
def test_pagefile_ignores_an_aligned_offset(adapter: Adapter, maps: Maps) -> None:
    p = os_page()
    call = described("map", None, "w", p, 5 * p)
    m = mapped(maps, None, "w", p, 5 * p)
    adapter.write(m.handle, p - 4, b"tail")
    same(adapter.read(m.handle, p - 4, 4), b"tail", call)


@pytest.mark.clause("map.offset.pagefile-not-validated")
@pytest.mark.parametrize("offset", ["unaligned", "negative"])
def test_pagefile_does_not_validate_the_offset(adapter: Adapter, maps: Maps, offset: str) -> None:
    p = os_page()
    value = {"unaligned": 123, "negative": -p}[offset]
    call = described("map", None, "w", p, value)
    m = mapped(maps, None, "w", p, value)
    adapter.write(m.handle, p - 4, b"tail")
    same(adapter.read(m.handle, p - 4, 4), b"tail", call)
