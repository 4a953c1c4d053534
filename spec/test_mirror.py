"""``mmap.mirror``: a segment mapped ``times`` times back to back, every copy the same memory."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mmapspec.adapters.interface import Adapter, MirrorInfo
from mmapspec.spec.support import (
    Maps,
    assert_raises,
    mapped_bytes_in,
    new_path,
    page,
    pattern,
    ref,
    require_proc,
    same,
)


def _ceil(n: int, p: int) -> int:
    return -(-n // p) * p


def _check_copies(adapter: Adapter, mirror: MirrorInfo, times: int, model: bytes) -> None:
    """COORD 4: addr[o*size + i] == model[i] for every copy o and every i."""
    for o in range(times):
        got = adapter.read(mirror.handle, o * mirror.size, mirror.size)
        same(got, model, f"copy {o} of the segment")


@pytest.mark.clause("mirror.invariant", "mirror.size.aligned", "mirror.form.table")
@given(data=st.data())
def test_mirror_invariant(adapter: Adapter, tmp_path: Path, data: st.DataObject) -> None:
    """Random sizes and times; writes anywhere in the whole span (also across a copy's
    end, as a ring buffer does) show at the same index of every copy."""
    p = page(adapter)
    size = data.draw(st.integers(1, 3 * p), label="size")
    times = data.draw(st.integers(1, 4), label="times")
    with Maps(adapter) as maps:
        mirror = maps.mirror(ref(new_path(tmp_path)), size, times)
        seg = mirror.size
        assert seg == _ceil(size, p), f"size {size} aligned to {seg}, expected {_ceil(size, p)}"
        model = bytearray(adapter.read(mirror.handle, 0, seg))
        _check_copies(adapter, mirror, times, bytes(model))
        span = seg * times
        for _ in range(data.draw(st.integers(1, 4), label="number of writes")):
            at = data.draw(st.integers(0, span - 1), label="write at")
            chunk = data.draw(
                st.binary(min_size=1, max_size=min(seg, span - at, 2 * p)), label="bytes"
            )
            adapter.write(mirror.handle, at, chunk)
            for k, b in enumerate(chunk):
                model[(at + k) % seg] = b
            _check_copies(adapter, mirror, times, bytes(model))


@pytest.mark.clause("mirror.form.positional", "mirror.form.table")
def test_mirror_positional_form(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    p = page(adapter)
    by_position = maps.mirror(ref(new_path(tmp_path)), p, 3, form="positional")
    by_table = maps.mirror(ref(new_path(tmp_path)), p, 3, form="table")
    assert by_position.size == by_table.size == p
    assert len(by_position.maps) == len(by_table.maps) == 3
    adapter.write(by_position.handle, 5, b"pos")
    same(adapter.read(by_position.handle, 2 * p + 5, 3), b"pos")


@pytest.mark.clause("mirror.times.default-2")
def test_mirror_times_defaults_to_2(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    p = page(adapter)
    mirror = maps.mirror(ref(new_path(tmp_path)), p)
    assert len(mirror.maps) == 2
    adapter.write(mirror.handle, p - 2, b"wrap")  # two bytes in each copy
    same(adapter.read(mirror.handle, 0, 2), b"ap")
    same(adapter.read(mirror.handle, 2 * p - 2, 2), b"wr")


@pytest.mark.clause("mirror.result.maps")
@pytest.mark.parametrize("times", [1, 2, 5])
def test_mirror_maps(adapter: Adapter, maps: Maps, tmp_path: Path, times: int) -> None:
    """``times`` maps in the array part, the k-th at addr + k*size, each ``size`` long."""
    p = page(adapter)
    mirror = maps.mirror(ref(new_path(tmp_path)), 2 * p, times)
    assert len(mirror.maps) == times
    for k, m in enumerate(mirror.maps):
        assert m.addr == mirror.addr + k * mirror.size, (
            f"copy {k} at {m.addr:#x}, expected {mirror.addr + k * mirror.size:#x}"
        )
        assert m.size == mirror.size


@pytest.mark.clause("mirror.access-w")
def test_mirror_writes_reach_the_file(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    """The access is 'w': a missing file is created, and writes through any copy reach it."""
    p = page(adapter)
    path = new_path(tmp_path)
    mirror = maps.mirror(ref(path), 2 * p, 2)
    assert path.exists(), "mirror did not create its file"
    data = pattern(2 * p, seed=50)
    adapter.write(mirror.handle, 2 * p, data)  # through the second copy
    maps.free(mirror)
    same(path.read_bytes()[: 2 * p], data)


@pytest.mark.clause("mirror.addr.used")
def test_mirror_at_requested_address(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    p = page(adapter)
    probe = maps.mirror(ref(new_path(tmp_path)), p, 3)
    where = probe.addr
    maps.free(probe)
    mirror = maps.mirror(ref(new_path(tmp_path)), p, 3, where)
    assert mirror.addr == where


@pytest.mark.clause("mirror.free-frees-all")
def test_freeing_the_mirror_frees_every_copy(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    require_proc(adapter.pid)
    p = page(adapter)
    mirror = maps.mirror(ref(new_path(tmp_path)), p, 4)
    assert mapped_bytes_in(adapter.pid, mirror.addr, mirror.addr + 4 * p) == 4 * p
    maps.free(mirror)
    assert mapped_bytes_in(adapter.pid, mirror.addr, mirror.addr + 4 * p) == 0, (
        "a copy is still mapped"
    )


@pytest.mark.clause("mirror.file.required")
def test_mirror_without_file_raises(adapter: Adapter, maps: Maps) -> None:
    assert_raises(maps.try_mirror(None, page(adapter)), "mirror without a file")


@pytest.mark.clause("mirror.size.required")
def test_mirror_without_size_raises(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    path = new_path(tmp_path)
    assert_raises(maps.try_mirror(ref(path), None), "mirror without a size")


@pytest.mark.clause("mirror.times.invalid-raises")
@pytest.mark.parametrize("times", [0, -1])
def test_mirror_times_below_one_raises(
    adapter: Adapter, maps: Maps, tmp_path: Path, times: int
) -> None:
    assert_raises(maps.try_mirror(ref(new_path(tmp_path)), page(adapter), times), f"times={times}")
