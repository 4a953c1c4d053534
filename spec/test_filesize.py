"""``mmap.filesize(file)`` and ``mmap.filesize(file, size)``. Files are made and
inspected with plain I/O."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mmapspec.adapters.interface import Adapter
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import (
    Maps,
    assert_fails,
    assert_value,
    new_file,
    new_path,
    os_page,
    outcome_of,
    pattern,
    ref,
    same,
    small_tmpfs,
)
from mmapspec.spec.support.platforms import current

PAGE = os_page()


@pytest.mark.clause("filesize.get")
@given(length=st.integers(0, 3 * PAGE + 1))
def test_filesize_get(adapter: Adapter, tmp_path: Path, length: int) -> None:
    path = new_file(tmp_path, pattern(length, seed=length))
    got = assert_value(
        outcome_of(adapter.filesize, ref(path)), f"filesize(a file of {length} bytes)"
    )
    assert got == length, f"filesize(a file of {length} bytes): expected {length}, got {got!r}"


@pytest.mark.clause("filesize.get.not-found")
def test_filesize_missing(adapter: Adapter, tmp_path: Path) -> None:
    path = new_path(tmp_path)
    assert_fails(
        outcome_of(adapter.filesize, ref(path)), "not_found", why="filesize(a missing file)"
    )
    assert not path.exists(), "filesize(a missing file) created it"


def _unopenable(tmp_path: Path, case: str) -> Path:
    """A path that exists but cannot be opened as a file: a directory (EISDIR; on
    Windows access denied), or a symlink to itself (ELOOP). Where the OS itself calls
    the symlink loop missing or cannot make one, the case skips and says so: then
    'not_found' would be the right answer."""
    if case == "directory":
        path = tmp_path / "a-directory"
        path.mkdir()
        return path
    loop = tmp_path / "loop"
    try:
        os.symlink(loop.name, loop)
    except OSError as exc:
        pytest.skip(f"no symlink can be made here ({exc}), so no symlink loop")
    try:
        open(loop, "rb").close()  # noqa: SIM115 - only how the OS answers matters
    except FileNotFoundError:
        pytest.skip("this OS itself reports a symlink loop as a missing file (Wine does)")
    except OSError:
        return loop
    raise AssertionError("a symlink to itself opened as a file")


@pytest.mark.clause("filesize.get.os-error")
@pytest.mark.parametrize("case", ["symlink loop", "directory"])
def test_filesize_os_error(adapter: Adapter, tmp_path: Path, case: str) -> None:
    path = _unopenable(tmp_path, case)
    assert_fails(outcome_of(adapter.filesize, ref(path)), "os_error", why=f"filesize(a {case})")


def _resized(adapter: Adapter, tmp_path: Path, old: int, new: int) -> tuple[Path, bytes]:
    content = pattern(old, seed=old)
    path = new_file(tmp_path, content)
    what = f"filesize(a file of {old} bytes, {new})"
    got = assert_value(outcome_of(adapter.filesize, ref(path), new), what)
    assert got == new, f"{what}: expected {new} returned, got {got!r}"
    on_disk = path.stat().st_size
    assert on_disk == new, f"{what}: expected the file {new} bytes long, it is {on_disk}"
    return path, content


@pytest.mark.clause("filesize.set.resizes")
@given(old=st.integers(0, 3 * PAGE + 1), new=st.integers(0, 3 * PAGE + 1))
def test_filesize_set(adapter: Adapter, tmp_path: Path, old: int, new: int) -> None:
    """Returns the new size, and the file has it."""
    _resized(adapter, tmp_path, old, new)


@pytest.mark.clause("filesize.set.enlarge-keeps-data")
@given(old=st.integers(1, 2 * PAGE + 1), more=st.integers(1, 2 * PAGE))
def test_enlarging_keeps_the_data(adapter: Adapter, tmp_path: Path, old: int, more: int) -> None:
    with prerequisite("filesize.set.resizes", f"filesize(a file of {old} bytes, {old + more})"):
        path, content = _resized(adapter, tmp_path, old, old + more)
    same(path.read_bytes()[:old], content, f"the first {old} bytes after enlarging to {old + more}")


@pytest.mark.clause("filesize.set.truncate-preserves")
@given(new=st.integers(0, 2 * PAGE + 1), less=st.integers(1, 2 * PAGE))
def test_truncating_preserves_the_data(
    adapter: Adapter, tmp_path: Path, new: int, less: int
) -> None:
    old = new + less
    with prerequisite("filesize.set.resizes", f"filesize(a file of {old} bytes, {new})"):
        path, content = _resized(adapter, tmp_path, old, new)
    same(path.read_bytes(), content[:new], f"the file truncated from {old} to {new} bytes")


@pytest.mark.clause("filesize.set.creates")
@pytest.mark.parametrize("size", [0, 1, 10000])
def test_filesize_set_creates(adapter: Adapter, tmp_path: Path, size: int) -> None:
    path = new_path(tmp_path)
    what = f"filesize(a missing file, {size})"
    got = assert_value(outcome_of(adapter.filesize, ref(path), size), what)
    assert got == size, f"{what}: expected {size} returned, got {got!r}"
    assert path.is_file(), f"{what}: expected the file created, there is none"
    on_disk = path.stat().st_size
    assert on_disk == size, f"{what}: expected the file {size} bytes long, it is {on_disk}"


@pytest.mark.clause("filesize.set.os-error")
def test_filesize_set_os_error(adapter: Adapter, tmp_path: Path) -> None:
    directory = tmp_path / "a-directory"
    directory.mkdir()
    assert_fails(
        outcome_of(adapter.filesize, ref(directory), 10),
        "os_error",
        why="filesize(a directory, 10)",
    )


@pytest.mark.clause("filesize.set.disk-full")
def test_filesize_set_on_a_full_disk(
    adapter: Adapter, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    """'Can fail': on a 1 MiB filesystem, 8 MiB either succeeds (a sparse file) or fails
    with 'disk_full', never with the raw errno."""
    with small_tmpfs(tmp_path, "1m") as mounted:
        if mounted is None:
            # Where no full disk is to be had at all (Windows), the OS's own reason.
            pytest.skip(
                current.file_size_limit_unavailable()
                or "cannot mount a small tmpfs here (needs root on Linux)"
            )
        record_property("disk_full_method", "tmpfs size=1m")
        path = new_file(mounted, b"kept")
        what = "filesize(a file on a 1 MiB filesystem, 8 MiB)"
        outcome = outcome_of(adapter.filesize, ref(path), 8 << 20)
        if outcome.kind == "value":
            on_disk = path.stat().st_size
            assert outcome.value == 8 << 20 and on_disk == 8 << 20, (
                f"{what}: expected success with 8 MiB, got {outcome.value!r} (file: {on_disk})"
            )
        else:
            assert_fails(outcome, "disk_full", why=what)
        same(path.read_bytes()[:4], b"kept", f"the file after {what}")


@pytest.mark.clause("filesize.set.unmap-resize-remap")
def test_unmap_resize_remap(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    """The documented procedure works: what was written before survives in the file of
    the new size, and in the map made after."""
    path = new_file(tmp_path, b"\0" * PAGE)
    with prerequisite("map.access.w", f"map({path.name!r}, 'w', {PAGE}), a write and free()"):
        m = maps.map(ref(path), "w", PAGE)
        adapter.write(m.handle, 0, b"survives")
        maps.free(m)
    what = f"filesize({path.name!r}, {3 * PAGE})"
    got = assert_value(outcome_of(adapter.filesize, ref(path), 3 * PAGE), what)
    assert got == 3 * PAGE, f"{what}: expected {3 * PAGE}, got {got!r}"
    same(path.read_bytes()[:8], b"survives", f"the file after {what}")
    with prerequisite("map.access.w", f"map({path.name!r}, 'w', {3 * PAGE}) after {what}"):
        again = maps.map(ref(path), "w", 3 * PAGE)
    same(adapter.read(again.handle, 0, 8), b"survives", f"the map after {what}")
