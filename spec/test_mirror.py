"""``mmap.mirror``: a segment mapped ``times`` times back to back, every copy the same memory.

The segment's size is computed here from the page size the OS reports, never taken
from the mirror's ``size`` field (what that field says is a clause of its own). Each
mirror's file is made beforehand with plain I/O, so that only the clause about a
missing file relies on the binding creating one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from mmapspec.adapters.interface import Adapter, CallForm, MirrorInfo
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import (
    Maps,
    assert_fails,
    assert_raises,
    assert_value,
    mapped_bytes_in,
    mapped_name,
    mappings_shown,
    new_file,
    new_path,
    os_page,
    pattern,
    pread,
    proc_maps_entry_at,
    ref,
    require_proc,
    same,
)

PAGE = os_page()


def _aligned(size: int) -> int:
    return -(-size // PAGE) * PAGE


def _file(tmp_path: Path, size: int) -> Path:
    """The mirror's file, the size of one (aligned) segment, made with plain I/O."""
    return new_file(tmp_path, b"\0" * _aligned(size))


def _mirror(
    maps: Maps, tmp_path: Path, size: int, times: int | None = None, addr: int | None = None
) -> MirrorInfo:
    """A mirror set up for a test about something else."""
    path = _file(tmp_path, size)
    with prerequisite("mirror.form.table", f"mirror{{file={path.name!r}, size={size}}}"):
        return maps.mirror(ref(path), size, times, addr)


def _check_copies(adapter: Adapter, mirror: MirrorInfo, seg: int, times: int, model: bytes) -> None:
    """Byte i of every copy o (at o*seg + i) is the model's byte i."""
    for o in range(times):
        got = adapter.read(mirror.handle, o * seg, seg)
        same(got, model, f"copy {o} of the {seg}-byte segment, mirrored {times} times")


# ----------------------------------------------------------------------------- call forms


def _copies_of_the_file(
    adapter: Adapter, mirror: MirrorInfo, path: Path, seg: int, times: int, what: str
) -> None:
    """Every copy k (at addr + k*seg) is the whole segment of ``path``, a file of
    exactly ``seg`` bytes. Asked of the OS where it shows mappings: each copy's range is
    a mapping of the file. Elsewhere a write through copy 0 is read back through the
    others, which is the mirroring of a shared writable map (``mirror.access-w``):
    declared at the call, so that a mirror whose copies do not share blames that clause.
    """
    assert mirror.addr is not None, f"{what}: mirror.addr is not reported"
    if mappings_shown(adapter.pid):
        for k in range(times):
            start = mirror.addr + k * seg
            entry = proc_maps_entry_at(adapter.pid, start)
            assert entry is not None and entry.path == mapped_name(path), (
                f"{what}: copy {k} at {start:#x} is not a mapping of {path.name} ({entry})"
            )
            end = proc_maps_entry_at(adapter.pid, start + seg - 1)
            assert end is not None and end.path == mapped_name(path), (
                f"{what}: copy {k} does not reach {seg} bytes as a mapping of {path.name}"
            )
        return
    with prerequisite("mirror.access-w", f"{what}: a write through copy 0, read through the rest"):
        adapter.write(mirror.handle, seg // 2, b"through copy 0")
        for o in range(1, times):
            got = adapter.read(mirror.handle, o * seg + seg // 2, 14)
            same(got, b"through copy 0", f"{what}: copy {o}")


def _mirrored_both_ways(adapter: Adapter, maps: Maps, tmp_path: Path, form: CallForm) -> None:
    """mirror(file, 2 pages, 3) in ``form``: three copies of the file's one segment."""
    path = _file(tmp_path, 2 * PAGE)
    what = f"mirror({path.name!r}, {2 * PAGE}, 3) in the {form} form"
    mirror = assert_value(maps.try_mirror(ref(path), 2 * PAGE, 3, form=form), what)
    _copies_of_the_file(adapter, mirror, path, 2 * PAGE, 3, what)


@pytest.mark.clause("mirror.form.table")
def test_table_form(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    _mirrored_both_ways(adapter, maps, tmp_path, "table")


@pytest.mark.clause("mirror.form.positional")
@pytest.mark.prerequisites("mirror.form.table")
def test_positional_form(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    _mirrored_both_ways(adapter, maps, tmp_path, "positional")


# ----------------------------------------------------------------------------- file


@pytest.mark.clause("mirror.file.required")
def test_mirror_without_file_raises(adapter: Adapter, maps: Maps) -> None:
    assert_raises(maps.try_mirror(None, PAGE), f"mirror(nil, {PAGE})")


@pytest.mark.clause("mirror.access-w")
def test_writes_through_any_copy_reach_the_file(
    adapter: Adapter, maps: Maps, tmp_path: Path
) -> None:
    """The access is 'w': shared and writable, so the file has what any copy wrote."""
    path = _file(tmp_path, 2 * PAGE)
    with prerequisite("mirror.form.table", f"mirror{{file={path.name!r}, size={2 * PAGE}}}"):
        mirror = maps.mirror(ref(path), 2 * PAGE, 2)
    data = pattern(2 * PAGE, seed=50)
    adapter.write(mirror.handle, 2 * PAGE, data)  # through the second copy
    same(pread(path, 0, 2 * PAGE), data, "the file after writing through the second copy")


@pytest.mark.clause("mirror.access-w.creates")
@pytest.mark.prerequisites("mirror.form.table")
def test_missing_file_is_created(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    path = new_path(tmp_path)
    what = f"mirror({path.name!r} (missing), {PAGE + 1})"
    mirror = assert_value(maps.try_mirror(ref(path), PAGE + 1), what)
    assert path.is_file(), f"{what}: expected the file created, there is none"
    size = path.stat().st_size
    assert size >= 2 * PAGE, f"{what}: expected a file of at least {2 * PAGE} bytes, got {size}"
    with prerequisite("mirror.access-w", f"a write through {what}, read from the file"):
        adapter.write(mirror.handle, 0, b"created")
        same(pread(path, 0, 7), b"created", f"the file after {what} and a write")


# ----------------------------------------------------------------------------- size


@pytest.mark.clause("mirror.size.aligned")
@pytest.mark.parametrize("size", [1, PAGE - 1, PAGE + 1, 3 * PAGE - 7])
def test_size_is_aligned_to_pages(adapter: Adapter, maps: Maps, tmp_path: Path, size: int) -> None:
    """The copies are whole pages apart: each copy is the file's whole aligned segment."""
    seg = _aligned(size)
    path = _file(tmp_path, size)
    with prerequisite("mirror.form.table", f"mirror{{file={path.name!r}, size={size}}}"):
        mirror = maps.mirror(ref(path), size, 2)
    _copies_of_the_file(adapter, mirror, path, seg, 2, f"mirror({path.name!r}, {size}, 2)")


@pytest.mark.clause("mirror.size.reported")
@pytest.mark.parametrize("size", [1, PAGE, PAGE + 1])
def test_size_field_is_one_aligned_copy(
    adapter: Adapter, maps: Maps, tmp_path: Path, size: int
) -> None:
    mirror = _mirror(maps, tmp_path, size, 3)
    assert mirror.size == _aligned(size), (
        f"mirror(file, {size}, 3).size: expected {_aligned(size)}, got {mirror.size}"
    )


@pytest.mark.clause("mirror.size.required")
def test_mirror_without_size_raises(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    path = _file(tmp_path, PAGE)
    assert_raises(maps.try_mirror(ref(path), None), f"mirror({path.name!r}, nil)")


# ----------------------------------------------------------------------------- times


@pytest.mark.clause("mirror.times.default-2")
@pytest.mark.prerequisites("mirror.result.maps")
def test_times_defaults_to_2(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    path = _file(tmp_path, PAGE)
    with prerequisite("mirror.form.table", f"mirror{{file={path.name!r}, size={PAGE}}}"):
        mirror = maps.mirror(ref(path), PAGE)
    assert len(mirror.maps) == 2, f"mirror(file, {PAGE}): expected 2 copies, got {len(mirror.maps)}"
    _copies_of_the_file(adapter, mirror, path, PAGE, 2, f"mirror({path.name!r}, {PAGE})")


@pytest.mark.clause("mirror.times.invalid-raises")
@pytest.mark.parametrize("times", [0, -1])
def test_times_below_one_raises(adapter: Adapter, maps: Maps, tmp_path: Path, times: int) -> None:
    path = _file(tmp_path, PAGE)
    assert_raises(
        maps.try_mirror(ref(path), PAGE, times), f"mirror({path.name!r}, {PAGE}, {times})"
    )


# ----------------------------------------------------------------------------- addr


@pytest.mark.clause("mirror.addr.used")
@pytest.mark.prerequisites("mirror.free-frees-all")
def test_mirror_at_requested_address(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    """An address where a mirror of the same shape just was, freed, is free: asked for,
    it is where the mirror is."""
    probe = _mirror(maps, tmp_path, PAGE, 3)
    where = probe.addr
    assert where is not None, "mirror.addr is not reported"
    maps.free(probe)
    path = _file(tmp_path, PAGE)
    what = f"mirror({path.name!r}, {PAGE}, 3, {where:#x})"
    mirror = assert_value(maps.try_mirror(ref(path), PAGE, 3, where), what)
    assert mirror.addr == where, f"{what}: expected addr {where:#x}, got {mirror.addr!r}"


@pytest.mark.clause("mirror.errcode.out-of-mem-addr-in-use")
def test_mirror_at_an_address_in_use(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    """A mirror asked for at a live map's address fails with 'out_of_mem', and the live
    map keeps its bytes (a mirror mapped over it would not be a failure)."""
    data = pattern(4 * PAGE, seed=51)
    with prerequisite("map.file.omitted-maps-pagefile", f"map(nil, 'w', {4 * PAGE}) and a write"):
        live = maps.map(None, "w", 4 * PAGE)
        adapter.write(live.handle, 0, data)
    assert live.addr is not None, "map.addr is not reported"
    path = _file(tmp_path, PAGE)
    what = f"mirror({path.name!r}, {PAGE}, 2, {live.addr:#x}) at a live map's address"
    assert_fails(maps.try_mirror(ref(path), PAGE, 2, live.addr), "out_of_mem", why=what)
    same(adapter.read(live.handle, 0, 4 * PAGE), data, f"{what}: the live map")


# ----------------------------------------------------------------------------- the result


@pytest.mark.clause("mirror.result.maps")
@pytest.mark.parametrize("times", [1, 2, 5])
def test_mirror_maps(adapter: Adapter, maps: Maps, tmp_path: Path, times: int) -> None:
    """``times`` maps in the array part, the k-th at addr + k*size, each ``size`` long."""
    seg = 2 * PAGE
    mirror = _mirror(maps, tmp_path, seg, times)
    got = [(m.addr, m.size) for m in mirror.maps]
    assert mirror.addr is not None, "mirror.addr is not reported"
    want = [(mirror.addr + k * seg, seg) for k in range(times)]
    assert got == want, (
        f"mirror(file, {seg}, {times}): expected maps (addr, size) {want}, got {got}"
    )


@pytest.mark.clause("mirror.free-frees-all")
def test_freeing_the_mirror_frees_every_copy(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    require_proc(adapter.pid)
    mirror = _mirror(maps, tmp_path, PAGE, 4)
    assert mirror.addr is not None, "mirror.addr is not reported"
    with prerequisite("mirror.form.table", "the mirror's 4 copies, in /proc/PID/maps"):
        assert mapped_bytes_in(adapter.pid, mirror.addr, mirror.addr + 4 * PAGE) == 4 * PAGE
    maps.free(mirror)
    left = mapped_bytes_in(adapter.pid, mirror.addr, mirror.addr + 4 * PAGE)
    assert left == 0, f"free() of a mirror of 4 copies: expected nothing mapped, got {left} bytes"


@pytest.mark.clause("mirror.invariant")
@pytest.mark.prerequisites("mirror.access-w")
@given(
    size=st.integers(1, 3 * PAGE),
    times=st.integers(1, 4),
    writes=st.lists(
        st.tuples(st.integers(0, 4 * 3 * PAGE - 1), st.binary(min_size=1, max_size=2 * PAGE)),
        min_size=1,
        max_size=4,
    ),
)
@example(size=PAGE, times=2, writes=[(PAGE - 3, b"across the seam")])
@example(size=1, times=3, writes=[(3 * PAGE - 1, b"last byte")])
def test_mirror_invariant(
    adapter: Adapter, tmp_path: Path, size: int, times: int, writes: list[tuple[int, bytes]]
) -> None:
    """Writes anywhere in the whole span (also across a copy's end, as a ring buffer
    does; positions wrap around the span) show at the same index of every copy."""
    seg = _aligned(size)
    span = seg * times
    with Maps(adapter) as maps:
        mirror = _mirror(maps, tmp_path, size, times)
        model = bytearray(adapter.read(mirror.handle, 0, seg))
        _check_copies(adapter, mirror, seg, times, bytes(model))
        for position, chunk in writes:
            at = position % span
            chunk = chunk[: min(seg, span - at)]
            adapter.write(mirror.handle, at, chunk)
            for k, b in enumerate(chunk):
                model[(at + k) % seg] = b
            _check_copies(adapter, mirror, seg, times, bytes(model))
