"""``mmap.map``: every argument the document says "raises an error" for.

Each test gives a status to one clause, as the package's docstring says
(``spec/__init__.py``: a test of a raised error checks the outcome only).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mmapspec.adapters.interface import Adapter
from mmapspec.spec import strategies as sst
from mmapspec.spec.support import Maps, new_file, new_path, os_page, pattern, ref, require
from mmapspec.spec.support.map_calls import caps, expect_raises


@pytest.mark.clause("map.pagefile.size-required")
@pytest.mark.parametrize("access", ["w", ""])
def test_pagefile_without_size_raises(adapter: Adapter, maps: Maps, access: str) -> None:
    expect_raises(maps, None, access, why="no file, no tagname, no size")


@pytest.mark.clause("map.access.others-raise")
@pytest.mark.parametrize("access", ["r", "rw", "W", "xw", "wc", "ww", "a", " ", "wxc"])
def test_unknown_access_raises(adapter: Adapter, maps: Maps, tmp_path: Path, access: str) -> None:
    path = new_file(tmp_path, pattern(100, seed=10))
    expect_raises(maps, ref(path), access, 100)


@pytest.mark.clause("map.size.must-be-positive")
@pytest.mark.parametrize("size", [0, -1, -4096])
@pytest.mark.parametrize("target", ["file", "missing file", "pagefile"])
def test_size_not_positive_raises(
    adapter: Adapter, maps: Maps, tmp_path: Path, size: int, target: str
) -> None:
    if target == "pagefile":
        require(adapter, "anonymous")
        expect_raises(maps, None, "w", size)
        return
    require(adapter, "file:name")
    path = new_file(tmp_path, b"x" * 10) if target == "file" else new_path(tmp_path)
    expect_raises(maps, ref(path), "w", size, why=target)


@pytest.mark.clause("map.offset.must-be-non-negative")
@pytest.mark.parametrize("offset", [-1, -4096])
def test_negative_offset_raises(adapter: Adapter, maps: Maps, tmp_path: Path, offset: int) -> None:
    path = new_file(tmp_path, pattern(3 * os_page(), seed=11))
    expect_raises(maps, ref(path), "", 10, offset)


@pytest.mark.clause("map.offset.must-be-aligned")
@given(data=st.data())
def test_unaligned_offset_raises(adapter: Adapter, tmp_path: Path, data: st.DataObject) -> None:
    p = os_page()
    offset = data.draw(sst.unaligned_offsets(p), label="offset")
    access = data.draw(sst.accesses(caps(adapter)), label="access")
    path = new_file(tmp_path, pattern(6 * p, seed=12))
    with Maps(adapter) as maps:
        expect_raises(maps, ref(path), access, 10, offset, why=f"page size {p}")


@pytest.mark.clause("map.addr.zero-raises")
def test_zero_addr_raises(adapter: Adapter, maps: Maps) -> None:
    expect_raises(maps, None, "w", os_page(), None, 0)


@pytest.mark.clause("map.tagname.not-with-file")
def test_tagname_with_file_raises(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    path = new_file(tmp_path, b"z" * 10)
    expect_raises(maps, ref(path), "w", 10, None, None, maps.tagname())


@pytest.mark.clause("map.tagname.no-slashes")
@pytest.mark.parametrize("shape", ["{}/x", "/{}", "{}/", "{}\\x", "\\{}"])
def test_tagname_with_slashes_raises(adapter: Adapter, maps: Maps, shape: str) -> None:
    name = shape.format(maps.tagname())
    expect_raises(maps, None, "w", os_page(), None, None, name)
