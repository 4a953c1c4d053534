"""``mmap.map``: what can be mapped (a file by UTF-8 name, descriptor, ``FILE*`` or OS
handle; no file: the pagefile), and files created or extended by a map with write access.

Each test gives a status to one clause, as the package's docstring says
(``spec/__init__.py``: what is observed through the OS, what is a prerequisite).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mmapspec.adapters.interface import Adapter
from mmapspec.spec import strategies as sst
from mmapspec.spec.support import Maps, new_file, new_path, os_page, pattern, ref, require, same
from mmapspec.spec.support.map_calls import (
    WRITABLE,
    caps,
    described,
    file_after_writes,
    mapped,
    per_value,
)

# ----------------------------------------------------------------------------- file kinds


@pytest.mark.clause("map.file.name")
def test_utf8_file_name(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    """The filename is UTF-8: a name outside ASCII maps the file of that name."""
    path = tmp_path / "ファイル-é-ß.bin"
    path.write_bytes(b"utf-8 name")
    m = mapped(maps, ref(path), "")
    same(adapter.read(m.handle, 0, 10), b"utf-8 name", described("map", ref(path), ""))


@per_value("kind", ("fd", "fileobj", "handle"), "map.file.{}")
@pytest.mark.parametrize("access", ["", "w", "c"])
def test_file_kinds(adapter: Adapter, maps: Maps, tmp_path: Path, kind: str, access: str) -> None:
    """A descriptor, FILE* or OS handle opened in a compatible mode maps like the name;
    with 'w', what is written reaches the file."""
    if access:
        require(adapter, f"access:{access}")
    p = os_page()
    content = pattern(2 * p, seed=3)
    path = new_file(tmp_path, content)
    mode = "r+" if access == "w" else "r"
    file = ref(path, kind, mode)
    call = described("map", file, access, p + 3)
    m = mapped(maps, file, access, p + 3)
    same(adapter.read(m.handle, 0, p + 3), content[: p + 3], call)
    if access == "w":
        adapter.write(m.handle, 1, b"via " + kind.encode())
        expected = content[:1] + b"via " + kind.encode()
        same(
            file_after_writes(path)[: len(expected)],
            expected,
            f"{call}: the file after writing {b'via ' + kind.encode()!r} at 1",
        )


# ----------------------------------------------------------------------------- pagefile


@pytest.mark.clause("map.file.omitted-maps-pagefile")
@given(data=st.data())
def test_pagefile_map(adapter: Adapter, data: st.DataObject) -> None:
    """No file: memory of the size asked for, readable and (with 'w') writable from its
    first byte to its last."""
    p = os_page()
    size = data.draw(sst.sizes(p), label="size")
    with Maps(adapter) as maps:
        call = described("map", None, "w", size)
        m = mapped(maps, None, "w", size)
        at, chunk = data.draw(sst.writes(size), label="write")
        for where, what in ((0, b"F"), (size - 1, b"L"), (at, chunk)):
            adapter.write(m.handle, where, what)
            same(adapter.read(m.handle, where, len(what)), what, f"{call}: byte {where}")


# ------------------------------------------------------------------ creation and extension


@pytest.mark.clause("map.file.missing-write-creates")
@pytest.mark.prerequisites("map.file.short-write-extends")
@pytest.mark.parametrize("access", WRITABLE)
def test_missing_file_is_created(adapter: Adapter, maps: Maps, tmp_path: Path, access: str) -> None:
    """Write access on a file that does not exist: the file is there afterwards. (The map
    needs it extended to the size too, which is the next clause's promise.)"""
    require(adapter, f"access:{access}")
    path = new_path(tmp_path)
    mapped(maps, ref(path), access, 100)
    assert path.is_file(), f"{described('map', ref(path), access, 100)}: no file {path.name}"


def _check_extended(
    adapter: Adapter, tmp_path: Path, data: st.DataObject, offsets: st.SearchStrategy[int]
) -> None:
    p = os_page()
    access = data.draw(sst.accesses(caps(adapter), WRITABLE), label="access")
    length = data.draw(st.integers(0, 3 * p), label="file size")
    offset = data.draw(offsets, label="offset")
    size = data.draw(sst.sizes(p, 3).filter(lambda s: offset + s > length), label="size")
    content = pattern(length, seed=length)
    path = new_file(tmp_path, content)
    call = described("map", ref(path), access, size, offset or None)
    with Maps(adapter) as maps:
        m = mapped(maps, ref(path), access, size, offset or None)
        got = path.stat().st_size
        assert got == offset + size, (
            f"{call} of a {length}-byte file: expected the file extended to "
            f"{offset + size} bytes, it has {got}"
        )
        same(path.read_bytes()[:length], content, f"{call}: the file's bytes after extending")
        kept = content[offset : offset + size]
        same(adapter.read(m.handle, 0, len(kept)), kept, f"{call}: the bytes the file had")


@pytest.mark.clause("map.file.short-write-extends")
@given(data=st.data())
def test_short_file_is_extended(adapter: Adapter, tmp_path: Path, data: st.DataObject) -> None:
    """Write access on a file shorter than the size: extended to the size; the bytes it
    had are kept."""
    _check_extended(adapter, tmp_path, data, st.just(0))


@pytest.mark.clause("map.file.short-write-extends")
@pytest.mark.prerequisites("map.offset.maps-from-offset")
@given(data=st.data())
def test_short_file_is_extended_to_offset_plus_size(
    adapter: Adapter, tmp_path: Path, data: st.DataObject
) -> None:
    """With an offset (within or beyond the file): extended to offset + size."""
    p = os_page()
    _check_extended(adapter, tmp_path, data, sst.page_offsets(p, 4).filter(bool))
