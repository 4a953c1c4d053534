"""``mmap.filesize(file)`` and ``mmap.filesize(file, size)``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mmapspec.adapters.interface import Adapter
from mmapspec.spec.support import (
    Maps,
    assert_fails,
    assert_value,
    call,
    new_file,
    new_path,
    page,
    pattern,
    ref,
    same,
    small_tmpfs,
)


@pytest.mark.clause("filesize.get")
@given(length=st.integers(0, 3 * 4096 + 1))
def test_filesize_get(adapter: Adapter, tmp_path: Path, length: int) -> None:
    path = new_file(tmp_path, pattern(length, seed=length))
    assert adapter.filesize(ref(path)) == length


@pytest.mark.clause("filesize.get.not-found")
def test_filesize_missing(adapter: Adapter, tmp_path: Path) -> None:
    path = new_path(tmp_path)
    assert_fails(call(adapter.filesize, ref(path)), "not_found")
    assert not path.exists()


@pytest.mark.clause("filesize.get.os-error")
def test_filesize_os_error(adapter: Adapter, tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    os.symlink(loop.name, loop)  # a symlink to itself: ELOOP, not "not found"
    assert_fails(call(adapter.filesize, ref(loop)), "os_error", why="a symlink loop")


@pytest.mark.clause(
    "filesize.set.resizes", "filesize.set.enlarge-keeps-data", "filesize.set.truncate-preserves"
)
@given(old=st.integers(0, 3 * 4096 + 1), new=st.integers(0, 3 * 4096 + 1))
def test_filesize_set(adapter: Adapter, tmp_path: Path, old: int, new: int) -> None:
    """Returns the new size, the file has it, and the bytes up to min(old, new) are kept."""
    content = pattern(old, seed=old)
    path = new_file(tmp_path, content)
    assert assert_value(call(adapter.filesize, ref(path), new)) == new
    assert path.stat().st_size == new
    same(path.read_bytes()[: min(old, new)], content[: min(old, new)])


@pytest.mark.clause("filesize.set.creates")
@pytest.mark.parametrize("size", [0, 1, 10000])
def test_filesize_set_creates(adapter: Adapter, tmp_path: Path, size: int) -> None:
    path = new_path(tmp_path)
    assert assert_value(call(adapter.filesize, ref(path), size)) == size
    assert path.is_file() and path.stat().st_size == size


@pytest.mark.clause("filesize.set.os-error")
def test_filesize_set_os_error(adapter: Adapter, tmp_path: Path) -> None:
    directory = tmp_path / "a-directory"
    directory.mkdir()
    assert_fails(
        call(adapter.filesize, ref(directory), 10), "os_error", why="a directory as the file"
    )


@pytest.mark.clause("filesize.set.disk-full")
def test_filesize_set_on_a_full_disk(
    adapter: Adapter, tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    """'Can fail': on a 1 MiB filesystem, 8 MiB either succeeds (a sparse file) or fails
    with 'disk_full' — never with the raw errno."""
    with small_tmpfs(tmp_path, "1m") as mounted:
        if mounted is None:
            pytest.skip("cannot mount a small tmpfs here (needs root on Linux)")
        record_property("disk_full_method", "tmpfs size=1m")
        path = new_file(mounted, b"kept")
        outcome = call(adapter.filesize, ref(path), 8 << 20)
        if outcome.kind == "value":
            assert outcome.value == 8 << 20 and path.stat().st_size == 8 << 20
        else:
            assert_fails(outcome, "disk_full", why="8 MiB on a 1 MiB filesystem")
        same(path.read_bytes()[:4], b"kept")


@pytest.mark.clause("filesize.set.unmap-resize-remap")
def test_unmap_resize_remap(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    p = page(adapter)
    path = new_path(tmp_path)
    m = maps.map(ref(path), "w", p)
    adapter.write(m.handle, 0, b"survives")
    adapter.flush(m.handle)
    maps.free(m)
    assert adapter.filesize(ref(path), 3 * p) == 3 * p
    again = maps.map(ref(path), "w")
    assert again.size == 3 * p
    same(adapter.read(again.handle, 0, 8), b"survives")
