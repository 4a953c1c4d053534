"""``mmap.map`` failing with ``nil,err,errcode``: 'no_file', 'file_too_short',
'out_of_mem' and the OS's own codes, provoked on real OS objects. 'disk_full' is in
``test_map_disk_full``.

Each test gives a status to one clause, as the package's docstring says
(``spec/__init__.py``: a test of an errcode checks the outcome only).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mmapspec.adapters.interface import Adapter
from mmapspec.spec import strategies as sst
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import Maps, new_file, new_path, os_page, pattern, ref, require, same
from mmapspec.spec.support.int_range import capped, require_within
from mmapspec.spec.support.map_calls import caps, described, expect_fails, mapped

WITHOUT_WRITE = ("", "x")
"""Modes that plainly give no write access."""
COPY_ON_WRITE = ("c", "cx")
"""Modes that write nothing to the file; whether they count as write access is a reading."""


# ----------------------------------------------------------------------------- 'no_file'


@pytest.mark.clause("map.errcode.no-file")
@pytest.mark.parametrize("access", WITHOUT_WRITE)
@pytest.mark.parametrize("size", [None, 100])
def test_missing_file_without_write_access(
    adapter: Adapter, maps: Maps, tmp_path: Path, access: str, size: int | None
) -> None:
    require(adapter, f"access:{access}" if access else "file:name")
    expect_fails(maps, ("no_file",), ref(new_path(tmp_path)), access, size, why="no such file")


@pytest.mark.clause("map.errcode.no-file-copy-on-write")
@pytest.mark.parametrize("access", COPY_ON_WRITE)
@pytest.mark.parametrize("size", [None, 100])
def test_missing_file_copy_on_write(
    adapter: Adapter, maps: Maps, tmp_path: Path, access: str, size: int | None
) -> None:
    require(adapter, f"access:{access}")
    expect_fails(maps, ("no_file",), ref(new_path(tmp_path)), access, size, why="no such file")


@pytest.mark.clause("map.errcode.no-file-meaning")
@pytest.mark.parametrize("how", ["missing directory", "dangling symlink"])
def test_no_file_means_not_found(adapter: Adapter, maps: Maps, tmp_path: Path, how: str) -> None:
    """Not found in any plain sense: 'no_file'."""
    if how == "missing directory":
        path = tmp_path / "no-such-directory" / "f.bin"
    else:
        path = tmp_path / "dangling"
        path.symlink_to(tmp_path / "no-such-target")
    expect_fails(maps, ("no_file",), ref(path), "", 100, why=how)


@pytest.mark.clause("map.tagname.missing-read-only-fails")
def test_missing_tagname_without_write_access(adapter: Adapter, maps: Maps) -> None:
    """Given a size, so that whether a size may be left out does not matter here."""
    size = os_page()
    expect_fails(
        maps, ("no_file",), None, "", size, None, None, maps.tagname(), why="no such tagname"
    )


# ----------------------------------------------------------------------------- 'file_too_short'


@pytest.mark.clause("map.size.default-empty-file-fails")
@pytest.mark.parametrize(
    ("access", "file_was"),
    [(a, "empty") for a in ("", "w", "c", "x", "wx", "cx")] + [("w", "missing"), ("wx", "missing")],
)
def test_empty_file_without_size(
    adapter: Adapter, maps: Maps, tmp_path: Path, access: str, file_was: str
) -> None:
    """No size and an empty file, in every mode; with write access a missing file is
    created empty, which fails the same way."""
    require(adapter, f"access:{access}" if access else "file:name")
    path = new_file(tmp_path, b"") if file_was == "empty" else new_path(tmp_path)
    expect_fails(maps, ("file_too_short",), ref(path), access, why=f"{file_was} file, no size")


@pytest.mark.clause("map.size.default-with-offset")
@pytest.mark.prerequisites("map.offset.maps-from-offset")
@pytest.mark.parametrize("past", [0, 1], ids=["offset at the end", "offset past the end"])
def test_default_size_with_offset_at_or_past_the_end(
    adapter: Adapter, maps: Maps, tmp_path: Path, past: int
) -> None:
    """Nothing left from the offset to the end: 'file_too_short'."""
    p = os_page()
    path = new_file(tmp_path, pattern(p, seed=13))
    expect_fails(
        maps, ("file_too_short",), ref(path), "", None, (1 + past) * p, why=f"a {p}-byte file"
    )


@pytest.mark.clause("map.tagname.created-empty-fails")
def test_new_tagname_without_size(adapter: Adapter, maps: Maps) -> None:
    expect_fails(
        maps, ("file_too_short",), None, "w", None, None, None, maps.tagname(), why="new tagname"
    )


def _short(data: st.DataObject, p: int, offset: int) -> tuple[int, int]:
    """A file length and a size that runs past its end from ``offset``."""
    length = data.draw(st.integers(0, 3 * p), label="file size")
    size = data.draw(sst.sizes(p, 3).filter(lambda s: offset + s > length), label="size")
    return length, size


def _check_too_short(
    adapter: Adapter, tmp_path: Path, data: st.DataObject, modes: tuple[str, ...]
) -> None:
    p = os_page()
    access = data.draw(sst.accesses(caps(adapter), modes), label="access")
    length, size = _short(data, p, 0)
    path = new_file(tmp_path, pattern(length, seed=length + 1))
    with Maps(adapter) as maps:
        expect_fails(maps, ("file_too_short",), ref(path), access, size, why=f"{length}-byte file")


@pytest.mark.clause("map.errcode.file-too-short")
@given(data=st.data())
def test_short_file_without_write_access(
    adapter: Adapter, tmp_path: Path, data: st.DataObject
) -> None:
    """A size beyond the end of the file (empty files included), no write access."""
    _check_too_short(adapter, tmp_path, data, WITHOUT_WRITE)


@pytest.mark.clause("map.errcode.file-too-short-copy-on-write")
@given(data=st.data())
def test_short_file_copy_on_write(adapter: Adapter, tmp_path: Path, data: st.DataObject) -> None:
    _check_too_short(adapter, tmp_path, data, COPY_ON_WRITE)


@pytest.mark.clause("map.errcode.file-too-short-meaning")
@pytest.mark.prerequisites("map.offset.maps-from-offset")
@given(data=st.data())
def test_required_size_is_offset_plus_size(
    adapter: Adapter, tmp_path: Path, data: st.DataObject
) -> None:
    """With an offset, the file must hold offset + size: exactly that many bytes map,
    one byte fewer fails (offsets within and beyond the file)."""
    p = os_page()
    offset = data.draw(sst.page_offsets(p, 4).filter(bool), label="offset")
    size = data.draw(sst.sizes(p, 3), label="size")
    content = pattern(offset + size, seed=offset + size)
    exact = new_file(tmp_path, content)
    short = new_file(tmp_path, content[:-1])
    with Maps(adapter) as maps:
        mapped(maps, ref(exact), "", size, offset, why=f"a file of {offset + size} bytes")
        expect_fails(
            maps,
            ("file_too_short",),
            ref(short),
            "",
            size,
            offset,
            why=f"a file of {offset + size - 1} bytes",
        )


TOO_LARGE = 1 << 60
"""Far more memory than any machine has."""


@pytest.mark.clause("map.errcode.out-of-mem-size")
def test_pagefile_map_too_large(adapter: Adapter, maps: Maps) -> None:
    expect_fails(maps, ("out_of_mem", "file_too_short"), None, "", capped(TOO_LARGE))


@pytest.mark.clause("map.pagefile.cannot-be-resized")
def test_pagefile_is_not_extended_with_write_access(adapter: Adapter, maps: Maps) -> None:
    expect_fails(maps, ("file_too_short", "out_of_mem"), None, "w", capped(TOO_LARGE))


# ----------------------------------------------------------------------------- 'out_of_mem'


@pytest.mark.clause("map.errcode.out-of-mem-addr-too-large")
def test_address_too_large(adapter: Adapter, maps: Maps) -> None:
    require_within(1 << 62)
    expect_fails(maps, ("out_of_mem",), None, "w", os_page(), None, 1 << 62)


@pytest.mark.clause("map.errcode.out-of-mem-addr-in-use")
@pytest.mark.parametrize("where", ["same start", "overlapping"])
def test_address_in_use(adapter: Adapter, maps: Maps, where: str) -> None:
    """An address in use fails, and the map living there is untouched."""
    p = os_page()
    data = pattern(2 * p, seed=14)
    with prerequisite("map.file.omitted-maps-pagefile", f"map(nil, 'w', {2 * p}) and a write"):
        live = maps.map(None, "w", 2 * p)
        adapter.write(live.handle, 0, data)
    assert live.addr is not None
    at = live.addr if where == "same start" else live.addr + p
    expect_fails(maps, ("out_of_mem",), None, "w", 2 * p, None, at, why=f"{where} as a live map")
    same(
        adapter.read(live.handle, 0, 2 * p),
        data,
        f"{described('map', None, 'w', 2 * p, None, at)}: the live map at that address was "
        "clobbered",
    )


# ----------------------------------------------------------------------------- OS errors


@pytest.mark.clause("map.errcode.os-specific")
def test_directory_as_file(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    directory = tmp_path / "a-directory"
    directory.mkdir()
    expect_fails(maps, ("os_error",), ref(directory), "w", 100, why="a directory")
