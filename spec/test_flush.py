"""``map:flush([async, ][addr, size])``: every documented form, ranges, unaligned addresses.

The witness that a flush reached the disk is the OS's count of the file's dirty pages
(:func:`dirty_pages`, Linux cachestat): written through the map they are dirty, and a
flush must leave them clean. Bytes are read back through the OS (``pread``), never
through the binding. Where the OS cannot count dirty pages (or a ``sync`` elsewhere
cleaned them before the flush), only the return value and the bytes are checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from mmapspec.adapters.interface import Adapter, MapInfo
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import (
    Maps,
    assert_raises,
    assert_value,
    dirty_pages,
    new_paged_file,
    os_page,
    outcome_of,
    pattern,
    pread,
    ref,
    require,
    same,
)

PAGE = os_page()


class Written(NamedTuple):
    path: Path
    map: MapInfo
    data: bytes
    witnessed: bool
    """Whether the OS counted the written pages dirty: only then can it tell a flush
    from none (a ``sync`` run by anyone meanwhile cleans them too)."""


def _written_map(adapter: Adapter, maps: Maps, tmp_path: Path, pages: int, seed: int) -> Written:
    """A file of ``pages`` clean pages, mapped 'w', with new bytes written through the map."""
    path = new_paged_file(tmp_path, b"\0" * pages * PAGE, PAGE)
    data = pattern(pages * PAGE, seed=seed)
    with prerequisite("map.access.w", f"map({path.name!r}, 'w', {pages * PAGE}) and writing to it"):
        m = maps.map(ref(path), "w", pages * PAGE)
        adapter.write(m.handle, 0, data)
    dirty = dirty_pages(path, 0, pages * PAGE)
    return Written(path, m, data, bool(dirty))


def _flush(
    adapter: Adapter,
    m: MapInfo,
    async_: bool | None,
    at: int | None,
    size: int | None,
    judging_the_return: bool = False,
) -> str:
    """``flush``, with ``addr`` at offset ``at`` of the map, must succeed and return true;
    the call as messages name it. That it returns ``true`` is what the signature
    promises (``flush.forms``): the other flush clauses rely on it rather than judge it."""
    args = [] if async_ is None else [str(async_).lower()]
    args += [] if at is None else [f"map.addr+{at}", str(size)]
    what = f"flush({', '.join(args)})"
    addr = None
    if at is not None:
        assert m.addr is not None, "map.addr is not reported"
        addr = m.addr + at
    result = assert_value(outcome_of(adapter.flush, m.handle, async_, addr, size), what)
    if judging_the_return:
        assert result is True, f"{what}: expected true, got {result!r}"
    else:
        with prerequisite("flush.forms", f"{what} returning true"):
            assert result is True, f"{what}: expected true, got {result!r}"
    return what


def _assert_clean(written: Written, first: int, end: int, what: str) -> None:
    """Pages ``[first, end)`` of the file are on disk (where the OS can tell)."""
    if not written.witnessed:
        return
    left = dirty_pages(written.path, first * PAGE, (end - first) * PAGE)
    assert not left, (
        f"{what}: expected pages {first}..{end - 1} of the file written to disk, "
        f"got {left} of them still dirty"
    )


# ----------------------------------------------------------------------------- flush()


@pytest.mark.clause("flush.sync")
def test_sync_flush_writes_to_disk(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    """flush() returns true and leaves no page of the map dirty; the file has the bytes."""
    w = _written_map(adapter, maps, tmp_path, 3, seed=20)
    what = _flush(adapter, w.map, None, None, None)
    _assert_clean(w, 0, 3, what)
    same(pread(w.path, 0, 3 * PAGE), w.data, f"the file after {what}")


FORMS = {
    # name: (async, offset of addr from map.addr in pages or None, size in pages or None)
    "()": (None, None, None),
    "(false)": (False, None, None),
    "(true)": (True, None, None),
    "(addr, size)": (None, 1, 1),
    "(false, addr, size)": (False, 1, 1),
    "(true, addr, size)": (True, 1, 1),
}


def _form_needs(form: str) -> list[pytest.MarkDecorator]:
    async_, at, _ = FORMS[form]
    needs = ["async_flush"] if async_ else []
    needs += ["range_flush", "addr"] if at is not None else []
    return [pytest.mark.needs(*needs)] if needs else []


@pytest.mark.clause("flush.forms")
@pytest.mark.parametrize("form", [pytest.param(f, marks=_form_needs(f), id=f) for f in FORMS])
def test_every_form_returns_true(adapter: Adapter, maps: Maps, tmp_path: Path, form: str) -> None:
    """Each documented form returns true (forms with async or a range are skipped where
    the binding does not declare them: they have clauses of their own)."""
    async_, at, size = FORMS[form]
    w = _written_map(adapter, maps, tmp_path, 3, seed=21)
    what = _flush(
        adapter,
        w.map,
        async_,
        None if at is None else at * PAGE,
        None if size is None else size * PAGE,
        judging_the_return=True,
    )
    same(pread(w.path, 0, 3 * PAGE), w.data, f"the file after {what}")


# ----------------------------------------------------------------------------- async


@pytest.mark.clause("flush.async")
def test_async_flush(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    """flush(true) returns true and loses nothing: bytes written before and after it are
    in the file. (When an asynchronous write completes is not observable from outside,
    so it is not asserted.)"""
    w = _written_map(adapter, maps, tmp_path, 3, seed=22)
    what = _flush(adapter, w.map, True, None, None)
    adapter.write(w.map.handle, 0, b"after")
    same(pread(w.path, 0, 3 * PAGE), b"after" + w.data[5:], f"the file after {what} and a write")


# ----------------------------------------------------------------------------- ranges


@st.composite
def _ranges(draw: st.DrawFn, aligned: bool) -> tuple[int, int, int]:
    """(pages of the map, offset of addr in it, size), the range inside the map."""
    pages = draw(st.integers(1, 4), label="pages")
    if aligned:
        at = draw(st.integers(0, pages - 1), label="first page") * PAGE
    else:
        at = draw(st.integers(0, pages * PAGE - 1).filter(lambda a: a % PAGE), label="addr")
    size = draw(st.integers(1, pages * PAGE - at), label="size")
    return pages, at, size


def _range_flushed(
    adapter: Adapter,
    tmp_path: Path,
    pages: int,
    at: int,
    size: int,
    clean: tuple[int, int],
    async_: bool | None = None,
) -> None:
    """Flush ``size`` bytes at offset ``at`` of a fresh written map; the bytes are in the
    file and pages ``clean`` (first, end) are on disk, checked while the map lives (what
    a binding does when it frees is not this clause's business)."""
    with Maps(adapter) as maps:
        w = _written_map(adapter, maps, tmp_path, pages, seed=at + size)
        what = _flush(adapter, w.map, async_, at, size)
        same(pread(w.path, 0, pages * PAGE), w.data, f"the file after {what}")
        _assert_clean(w, *clean, what)


@pytest.mark.clause("flush.range")
@given(shape=_ranges(aligned=True))
@example(shape=(1, 0, 1))
@example(shape=(4, PAGE, 2 * PAGE))
def test_range_flush(adapter: Adapter, tmp_path: Path, shape: tuple[int, int, int]) -> None:
    """flush(addr, size) of any aligned part returns true and leaves that part clean."""
    pages, at, size = shape
    _range_flushed(adapter, tmp_path, pages, at, size, (at // PAGE, -(-(at + size) // PAGE)))


@pytest.mark.clause("flush.unaligned-addr-aligned-left")
@given(shape=_ranges(aligned=False), async_=st.sampled_from([None, False]))
@example(shape=(1, 1, 1), async_=None)
@example(shape=(2, PAGE + PAGE // 2, 1), async_=False)
def test_unaligned_address_is_aligned_left(
    adapter: Adapter, tmp_path: Path, shape: tuple[int, int, int], async_: bool | None
) -> None:
    """An unaligned address never fails: the flush returns true and the page holding the
    address is on disk."""
    pages, at, size = shape
    _range_flushed(adapter, tmp_path, pages, at, size, (at // PAGE, at // PAGE + 1), async_)


@pytest.mark.clause("flush.unaligned-addr-covers-range")
@pytest.mark.prerequisites("flush.unaligned-addr-aligned-left")
@given(shape=_ranges(aligned=False))
@example(shape=(2, PAGE - 1, 2))
@example(shape=(4, PAGE + 1, 2 * PAGE))
def test_unaligned_address_still_flushes_the_whole_range(
    adapter: Adapter, tmp_path: Path, shape: tuple[int, int, int]
) -> None:
    """Aligning the address left widens the range: every page of [addr, addr + size) is
    on disk afterwards, the last one too."""
    pages, at, size = shape
    _range_flushed(adapter, tmp_path, pages, at, size, (at // PAGE, -(-(at + size) // PAGE)))


@pytest.mark.clause("flush.freed-map-raises")
@pytest.mark.parametrize("how", ["sync", "async", "range"])
def test_flush_of_a_freed_map_raises(adapter: Adapter, maps: Maps, how: str) -> None:
    """Nothing is left to flush: never ``true``."""
    p = os_page()
    with prerequisite("map.file.omitted-maps-pagefile", f"map(nil, 'w', {p})"):
        m = maps.map(None, "w", p)
        adapter.write(m.handle, 0, b"gone")
    with prerequisite("free.releases-memory", "free() of the map"):
        maps.free(m)
    if how == "sync":
        outcome = outcome_of(adapter.flush, m.handle)
    elif how == "async":
        require(adapter, "async_flush")
        outcome = outcome_of(adapter.flush, m.handle, True)
    else:
        require(adapter, "range_flush")
        outcome = outcome_of(adapter.flush, m.handle, None, m.addr, p)
    assert_raises(outcome, "the map was freed: there is nothing to flush")
