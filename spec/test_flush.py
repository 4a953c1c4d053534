"""``map:flush([async, ][addr, size])``: every documented form, and unaligned addresses."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mmapspec.adapters.interface import Adapter, MapInfo
from mmapspec.spec.support import Maps, assert_value, call, new_file, page, pattern, ref, same

FORMS = {
    # name: (async, offset of addr from map.addr in pages or None, size in pages or None)
    "()": (None, None, None),
    "(false)": (False, None, None),
    "(true)": (True, None, None),
    "(addr, size)": (None, 1, 1),
    "(false, addr, size)": (False, 1, 1),
    "(true, addr, size)": (True, 1, 1),
}


def _written_map(adapter: Adapter, maps: Maps, tmp_path: Path) -> tuple[Path, MapInfo, bytes]:
    p = page(adapter)
    path = new_file(tmp_path, b"\0" * 3 * p)
    m = maps.map(ref(path), "w", 3 * p)
    data = pattern(3 * p, seed=20)
    adapter.write(m.handle, 0, data)
    return path, m, data


def _form_clauses(form: str) -> list[pytest.MarkDecorator]:
    async_, at, _ = FORMS[form]
    clauses = ["flush.forms"]
    clauses += ["flush.async"] if async_ else ["flush.sync"]
    clauses += ["flush.range"] if at is not None else []
    return [pytest.mark.clause(*clauses)]


@pytest.mark.parametrize("form", [pytest.param(f, marks=_form_clauses(f), id=f) for f in FORMS])
def test_flush_forms_return_true(adapter: Adapter, maps: Maps, tmp_path: Path, form: str) -> None:
    """Every form returns true and the written bytes are in the file."""
    async_, at, size = FORMS[form]
    p = page(adapter)
    path, m, data = _written_map(adapter, maps, tmp_path)
    addr = None if at is None else m.addr + at * p
    length = None if size is None else size * p
    result = assert_value(call(adapter.flush, m.handle, async_, addr, length), f"flush{form}")
    assert result is True, f"flush{form} returned {result!r}, not true"
    maps.free(m)
    same(path.read_bytes(), data)


@pytest.mark.clause("flush.sync")
def test_sync_flush(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    path, m, data = _written_map(adapter, maps, tmp_path)
    assert adapter.flush(m.handle) is True
    same(path.read_bytes(), data)


@pytest.mark.clause("flush.async")
def test_async_flush(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    path, m, data = _written_map(adapter, maps, tmp_path)
    assert adapter.flush(m.handle, True) is True
    adapter.write(m.handle, 0, b"after")
    maps.free(m)
    same(path.read_bytes(), b"after" + data[5:])


@pytest.mark.clause("flush.range")
@given(data=st.data())
def test_range_flush(adapter: Adapter, tmp_path: Path, data: st.DataObject) -> None:
    """Any aligned part of the map."""
    p = page(adapter)
    pages = data.draw(st.integers(1, 4), label="pages")
    first = data.draw(st.integers(0, pages - 1), label="first page")
    length = data.draw(st.integers(1, (pages - first) * p), label="length")
    path = new_file(tmp_path, b"\0" * pages * p)
    body = pattern(pages * p, seed=pages)
    with Maps(adapter) as maps:
        m = maps.map(ref(path), "w", pages * p)
        adapter.write(m.handle, 0, body)
        assert adapter.flush(m.handle, None, m.addr + first * p, length) is True
    same(path.read_bytes(), body)


@pytest.mark.clause("flush.unaligned-addr-aligned-left")
@given(data=st.data())
def test_unaligned_flush_address(adapter: Adapter, tmp_path: Path, data: st.DataObject) -> None:
    """An unaligned address inside the map is aligned left (COORD 7: the whole requested
    range is still covered): it succeeds, with or without async."""
    p = page(adapter)
    pages = data.draw(st.integers(1, 4), label="pages")
    at = data.draw(st.integers(0, pages * p - 1).filter(lambda a: a % p), label="offset of addr")
    length = data.draw(st.integers(1, pages * p - at), label="length")
    async_ = data.draw(st.sampled_from([None, False, True]), label="async")
    if async_ is not None and "async_flush" not in adapter.capabilities.names():
        async_ = None
    path = new_file(tmp_path, b"\0" * pages * p)
    body = pattern(pages * p, seed=at)
    with Maps(adapter) as maps:
        m = maps.map(ref(path), "w", pages * p)
        adapter.write(m.handle, 0, body)
        outcome = call(adapter.flush, m.handle, async_, m.addr + at, length)
        assert assert_value(outcome, f"flush(addr=map.addr+{at}, size={length})") is True
    same(path.read_bytes(), body)
