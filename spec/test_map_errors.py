"""``mmap.map`` failing: every raised argument error and every documented errcode,
provoked on real OS objects, and what a failure must leave behind (nothing)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mmapspec.adapters.interface import Adapter
from mmapspec.spec import strategies as sst
from mmapspec.spec.support import (
    Maps,
    assert_fails,
    assert_raises,
    free_address,
    isolated,
    new_file,
    new_path,
    page,
    pattern,
    ref,
    same,
    small_tmpfs,
)

READ_ONLY = ("", "c", "x", "cx")
"""Modes without write access (COORD 5: 'c' never writes the file)."""


def _caps(adapter: Adapter) -> frozenset[str]:
    return adapter.capabilities.names()


# ----------------------------------------------------------------------------- raised errors


@pytest.mark.clause("map.pagefile.size-required")
def test_pagefile_without_size_raises(adapter: Adapter, maps: Maps) -> None:
    assert_raises(maps.try_map(None, "w"), "no file, no tagname, no size")
    assert_raises(maps.try_map(None, ""), "no file, no tagname, no size")


@pytest.mark.clause("map.access.others-raise")
@pytest.mark.parametrize("access", ["r", "rw", "W", "xw", "wc", "ww", "a", " ", "wxc"])
def test_unknown_access_raises(adapter: Adapter, maps: Maps, tmp_path: Path, access: str) -> None:
    content = pattern(100, seed=10)
    path = new_file(tmp_path, content)
    assert_raises(maps.try_map(ref(path), access, 100), f"access {access!r}")
    same(path.read_bytes(), content)


@pytest.mark.clause("map.size.must-be-positive")
@pytest.mark.parametrize("size", [0, -1, -4096])
@pytest.mark.parametrize("target", ["file", "missing file", "pagefile"])
def test_size_not_positive_raises(
    adapter: Adapter, maps: Maps, tmp_path: Path, size: int, target: str
) -> None:
    if target == "pagefile":
        if "anonymous" not in _caps(adapter):
            pytest.skip("unsupported: anonymous")
        assert_raises(maps.try_map(None, "w", size), f"size={size}")
        return
    if "file:name" not in _caps(adapter):
        pytest.skip("unsupported: file:name")
    path = new_file(tmp_path, b"x" * 10) if target == "file" else new_path(tmp_path)
    assert_raises(maps.try_map(ref(path), "w", size), f"size={size}")
    if target == "file":
        same(path.read_bytes(), b"x" * 10)
    else:
        assert not path.exists(), "a raised error left a file behind"


@pytest.mark.clause("map.offset.must-be-non-negative")
@pytest.mark.parametrize("offset", [-1, -4096])
def test_negative_offset_raises(adapter: Adapter, maps: Maps, tmp_path: Path, offset: int) -> None:
    path = new_file(tmp_path, pattern(3 * page(adapter), seed=11))
    assert_raises(maps.try_map(ref(path), "", 10, offset), f"offset={offset}")


@pytest.mark.clause("map.offset.must-be-aligned", "pagesize.offsets-aligned")
@given(data=st.data())
def test_unaligned_offset_raises(adapter: Adapter, tmp_path: Path, data: st.DataObject) -> None:
    p = page(adapter)
    offset = data.draw(sst.unaligned_offsets(p), label="offset")
    access = data.draw(sst.accesses(_caps(adapter)), label="access")
    content = pattern(6 * p, seed=12)
    path = new_file(tmp_path, content)
    with Maps(adapter) as maps:
        assert_raises(maps.try_map(ref(path), access, 10, offset), f"offset={offset}")
    same(path.read_bytes(), content)


@pytest.mark.clause("map.addr.zero-raises")
def test_zero_addr_raises(adapter: Adapter, maps: Maps) -> None:
    assert_raises(maps.try_map(None, "w", page(adapter), None, 0), "addr=0")


@pytest.mark.clause("map.tagname.not-with-file")
def test_tagname_with_file_raises(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    path = new_file(tmp_path, b"z" * 10)
    assert_raises(maps.try_map(ref(path), "w", 10, None, None, maps.tagname()), "file and tagname")
    same(path.read_bytes(), b"z" * 10)


@pytest.mark.clause("map.tagname.no-slashes")
@pytest.mark.parametrize("shape", ["{}/x", "/{}", "{}/", "{}\\x", "\\{}"])
def test_tagname_with_slashes_raises(adapter: Adapter, maps: Maps, shape: str) -> None:
    name = shape.format(maps.tagname())
    assert_raises(maps.try_map(None, "w", page(adapter), None, None, name), f"tagname={name!r}")


# ----------------------------------------------------------------------------- 'no_file'


@pytest.mark.clause(
    "map.errcode.no-file", "map.errcode.no-file-meaning", "map.fails.leaves-files-alone"
)
@pytest.mark.parametrize("access", READ_ONLY)
@pytest.mark.parametrize("size", [None, 100])
def test_missing_file_without_write_access(
    adapter: Adapter, maps: Maps, tmp_path: Path, access: str, size: int | None
) -> None:
    if f"access:{access}" not in _caps(adapter):
        pytest.skip(f"unsupported: access:{access}")
    path = new_path(tmp_path)
    assert_fails(maps.try_map(ref(path), access, size), "no_file", why=f"access {access!r}")
    assert not path.exists(), "a failing map left a file behind"


@pytest.mark.clause("map.tagname.missing-read-only-fails")
@pytest.mark.parametrize("size", [None, 4096])
def test_missing_tagname_without_write_access(
    adapter: Adapter, maps: Maps, size: int | None
) -> None:
    assert_fails(maps.try_map(None, "", size, None, None, maps.tagname()), "no_file")


# ----------------------------------------------------------------------------- 'file_too_short'


@pytest.mark.clause("map.size.default-empty-file-fails", "map.fails.leaves-files-alone")
@pytest.mark.parametrize("access", ["", "w", "c", "x", "wx", "cx"])
def test_empty_file_without_size(adapter: Adapter, maps: Maps, tmp_path: Path, access: str) -> None:
    if f"access:{access}" not in _caps(adapter):
        pytest.skip(f"unsupported: access:{access}")
    path = new_file(tmp_path, b"")
    assert_fails(maps.try_map(ref(path), access), "file_too_short", why="empty file, no size")
    assert path.exists() and path.stat().st_size == 0


@pytest.mark.clause("map.size.default-with-offset")
def test_default_size_with_offset_at_or_past_the_end(
    adapter: Adapter, maps: Maps, tmp_path: Path
) -> None:
    """COORD 2: nothing left from offset to the end: 'file_too_short'."""
    p = page(adapter)
    path = new_file(tmp_path, pattern(p, seed=13))
    assert_fails(maps.try_map(ref(path), "", None, p), "file_too_short", why="offset == file size")
    assert_fails(
        maps.try_map(ref(path), "", None, 2 * p), "file_too_short", why="offset > file size"
    )


@pytest.mark.clause("map.fails.leaves-files-alone", "map.size.default-empty-file-fails")
@pytest.mark.parametrize("access", ["w", "wx"])
def test_created_file_without_size(
    adapter: Adapter, maps: Maps, tmp_path: Path, access: str
) -> None:
    """Write access, no file, no size: it would be created empty, which fails; COORD 9:
    the file it created is removed again."""
    if f"access:{access}" not in _caps(adapter):
        pytest.skip(f"unsupported: access:{access}")
    path = new_path(tmp_path)
    assert_fails(maps.try_map(ref(path), access), "file_too_short", why="new file, no size")
    assert not path.exists(), "a failing map left the file it created"


@pytest.mark.clause("map.tagname.created-empty-fails")
def test_new_tagname_without_size(adapter: Adapter, maps: Maps) -> None:
    tag = maps.tagname()
    assert_fails(maps.try_map(None, "w", None, None, None, tag), "file_too_short")
    # COORD 9: nothing created stays behind.
    assert_fails(
        maps.try_map(None, "", None, None, None, tag), "no_file", why="the failed map's debris"
    )


@pytest.mark.clause(
    "map.errcode.file-too-short",
    "map.errcode.file-too-short-meaning",
    "map.fails.leaves-files-alone",
)
@given(data=st.data())
def test_short_file_without_write_access(
    adapter: Adapter, tmp_path: Path, data: st.DataObject
) -> None:
    """A file shorter than offset + size (offsets within and beyond it), mapped without
    write access: 'file_too_short', and the file is exactly as it was."""
    p = page(adapter)
    access = data.draw(sst.accesses(_caps(adapter), READ_ONLY), label="access")
    length = data.draw(st.integers(0, 3 * p), label="file size")
    offset = data.draw(sst.page_offsets(p, 4), label="offset")
    size = data.draw(sst.sizes(p, 3).filter(lambda s: offset + s > length), label="size")
    content = pattern(length, seed=length + 1)
    path = new_file(tmp_path, content)
    with Maps(adapter) as maps:
        assert_fails(
            maps.try_map(ref(path), access, size, offset),
            "file_too_short",
            why=f"file of {length} bytes, offset {offset} + size {size}",
        )
    same(path.read_bytes(), content)


@pytest.mark.clause("map.pagefile.cannot-be-resized", "map.errcode.out-of-mem-size")
@pytest.mark.parametrize("access", ["w", ""])
def test_pagefile_map_too_large(adapter: Adapter, maps: Maps, access: str) -> None:
    """COORD 6: far more than any machine has: 'out_of_mem' (or 'file_too_short')."""
    assert_fails(
        maps.try_map(None, access, 1 << 60), "out_of_mem", "file_too_short", why="size 2**60"
    )


# ----------------------------------------------------------------------------- 'out_of_mem'


@pytest.mark.clause("map.errcode.out-of-mem-addr-too-large")
def test_address_too_large(adapter: Adapter, maps: Maps) -> None:
    assert_fails(
        maps.try_map(None, "w", page(adapter), None, 1 << 62), "out_of_mem", why="addr 2**62"
    )


@pytest.mark.clause("map.errcode.out-of-mem-addr-in-use")
@pytest.mark.parametrize("where", ["same start", "overlapping"])
def test_address_in_use(adapter: Adapter, maps: Maps, where: str) -> None:
    """An address in use fails, and the map living there is untouched."""
    p = page(adapter)
    live = maps.map(None, "w", 2 * p)
    data = pattern(2 * p, seed=14)
    adapter.write(live.handle, 0, data)
    at = live.addr if where == "same start" else live.addr + p
    assert_fails(maps.try_map(None, "w", 2 * p, None, at), "out_of_mem", why="address in use")
    same(adapter.read(live.handle, 0, 2 * p), data, "the map at that address was clobbered")


@pytest.mark.clause("map.addr.used")
def test_freed_address_can_be_reused(adapter: Adapter, maps: Maps) -> None:
    """Not "in use" once freed: the same address can be asked for again."""
    p = page(adapter)
    where = free_address(adapter, maps, p)
    again = maps.map(None, "w", p, None, where)
    assert again.addr == where


# ----------------------------------------------------------------------------- OS errors


@pytest.mark.clause("map.errcode.os-specific")
def test_directory_as_file(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    directory = tmp_path / "a-directory"
    directory.mkdir()
    assert_fails(maps.try_map(ref(directory), "w", 100), "os_error", why="a directory as the file")
    assert directory.is_dir()


# ----------------------------------------------------------------------------- 'disk_full'


@pytest.mark.clause(
    "map.errcode.disk-full", "map.errcode.disk-full-meaning", "map.fails.leaves-files-alone"
)
@pytest.mark.parametrize("file_was", ["missing", "short"])
def test_disk_full(
    adapter: Adapter, tmp_path: Path, record_property: pytest.RecordProperty, file_was: str
) -> None:
    """Extending a file beyond what the filesystem can hold fails with 'disk_full'.

    A real 1 MiB tmpfs when this process may mount one; otherwise a file-size limit
    (RLIMIT_FSIZE) set on an isolated implementation process, whose files then cannot
    grow past it. Which one ran is recorded as the 'disk_full_method' property."""
    p = page(adapter)
    content = pattern(p, seed=15)
    with small_tmpfs(tmp_path, "1m") as mounted:
        if mounted is not None:
            record_property("disk_full_method", "tmpfs size=1m")
            _provoke_disk_full(adapter, mounted, content, file_was, 4 << 20)
            return
    if not sys.platform.startswith("linux"):
        pytest.skip("no full disk to be had: cannot mount a tmpfs and no prlimit here")
    import resource  # POSIX only; prlimit on Linux

    record_property("disk_full_method", "RLIMIT_FSIZE=64KiB on an isolated implementation process")
    with isolated(adapter) as other:
        limit = 64 * 1024
        resource.prlimit(other.pid, resource.RLIMIT_FSIZE, (limit, limit))
        _provoke_disk_full(other, tmp_path, content, file_was, 4 << 20)


def _provoke_disk_full(
    adapter: Adapter, directory: Path, content: bytes, file_was: str, size: int
) -> None:
    path = new_path(directory) if file_was == "missing" else new_file(directory, content)
    with Maps(adapter) as maps:
        assert_fails(
            maps.try_map(ref(path), "w", size), "disk_full", why=f"{size} bytes on a full disk"
        )
    if file_was == "missing":
        assert not path.exists(), "a failing map left the file it created"
    else:
        same(path.read_bytes()[: len(content)], content, "a failing map rewrote the file")
