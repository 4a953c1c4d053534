"""``mmap.map``: the size of a map, given or by default, and the ``map.size`` it reports.

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
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import Maps, assert_value, new_file, os_page, pattern, ref, same
from mmapspec.spec.support.map_calls import aligned, check_span, described, mapped, sized
from mmapspec.spec.support.outcomes import errcode_matches


@pytest.mark.clause("map.size.given")
@pytest.mark.prerequisites("map.result.size")
@given(data=st.data())
def test_given_size(adapter: Adapter, tmp_path: Path, data: st.DataObject) -> None:
    """Any size (1 byte, unaligned, many pages) of a longer file: the map has that size
    and holds the file's first bytes; the OS maps no more than that."""
    p = os_page()
    size = data.draw(sst.sizes(p), label="size")
    tail = data.draw(st.integers(1, 2 * p), label="bytes after the map")
    content = data.draw(sst.data(aligned(size, p) + tail), label="content")
    path = new_file(tmp_path, content)
    with Maps(adapter) as maps:
        call = described("map", ref(path), "", size)
        m = mapped(maps, ref(path), "", size)
        assert sized(m.size, size, p), f"{call}: expected map.size {size}, got {m.size}"
        same(adapter.read(m.handle, 0, size), content[:size], call)
        check_span(adapter, m, path, size, call)


@pytest.mark.clause("map.result.size")
@pytest.mark.parametrize("size_given", [True, False], ids=["size given", "default size"])
def test_result_size_is_the_blocks_size(
    adapter: Adapter, maps: Maps, tmp_path: Path, size_given: bool
) -> None:
    """``map.size`` tells the truth about the block, whatever size it has: the bytes up
    to it are the file's, and the OS maps that many, rounded up to pages."""
    p = os_page()
    content = pattern(3 * p + 123, seed=8)
    path = new_file(tmp_path, content)
    args = (ref(path), "", p + 1 if size_given else None)
    call = described("map", *args)
    m = mapped(maps, *args)
    assert 0 < m.size <= aligned(len(content), p), (
        f"{call}: map.size is {m.size}, more than the file's {len(content)} bytes can fill"
    )
    n = min(m.size, len(content))
    same(adapter.read(m.handle, 0, n), content[:n], f"{call}: the bytes up to map.size")
    check_span(adapter, m, path, m.size, f"{call} (map.size {m.size})")


@pytest.mark.clause("map.result.size-not-rounded")
@pytest.mark.parametrize("size_given", [True, False], ids=["size given", "default size"])
def test_result_size_is_not_rounded(
    adapter: Adapter, maps: Maps, tmp_path: Path, size_given: bool
) -> None:
    """Sizes that are not page multiples: map.size is exactly the size asked for (or
    the file's size), not the pages the OS maps."""
    p = os_page()
    content = pattern(3 * p + 123, seed=9)
    path = new_file(tmp_path, content)
    want = p + 1 if size_given else len(content)
    args = (ref(path), "", want if size_given else None)
    call = described("map", *args)
    clause = "map.size.given" if size_given else "map.size.default-is-file-size"
    with prerequisite(clause, call):
        m = mapped(maps, *args)
        assert sized(m.size, want, p), f"{call}: expected map.size {want}, got {m.size}"
    assert m.size == want, (
        f"{call}: expected map.size {want}, got {m.size}: rounded up to whole pages"
    )


@pytest.mark.clause("map.size.default-is-file-size")
@pytest.mark.prerequisites("map.result.size")
@given(data=st.data())
def test_default_size_is_file_size(adapter: Adapter, tmp_path: Path, data: st.DataObject) -> None:
    p = os_page()
    content = data.draw(sst.data(data.draw(sst.sizes(p), label="file size")), label="content")
    path = new_file(tmp_path, content)
    with Maps(adapter) as maps:
        call = described("map", ref(path), "")
        m = mapped(maps, ref(path), "")
        assert sized(m.size, len(content), p), (
            f"{call}: expected map.size {len(content)}, got {m.size}"
        )
        same(adapter.read(m.handle, 0, len(content)), content, call)
        check_span(adapter, m, path, len(content), call)


@pytest.mark.clause("map.size.default-with-offset-not-past-end")
@given(data=st.data())
def test_default_size_with_offset_never_runs_past_the_end(
    adapter: Adapter, tmp_path: Path, data: st.DataObject
) -> None:
    """Read-only, an offset and no size: 'file_too_short', or at most file size - offset
    bytes (rounded up to pages); never the file size from the offset."""
    p = os_page()
    offset = data.draw(sst.page_offsets(p, 3).filter(bool), label="offset")
    rest = data.draw(st.integers(1, 3 * p), label="bytes from offset to the end")
    path = new_file(tmp_path, pattern(offset + rest, seed=offset + rest + 1))
    with Maps(adapter) as maps:
        call = described("map", ref(path), "", None, offset)
        outcome = maps.try_map(ref(path), "", None, offset)
        if outcome.kind == "fails" and errcode_matches(outcome.errcode, "file_too_short"):
            return
        m = assert_value(outcome, call)
        most = -(-rest // p) * p
        assert m.size <= most, (
            f"{call} of a {offset + rest}-byte file: map.size {m.size} runs past the end of "
            f"the file (at most {rest} bytes are left from the offset), which no reading "
            "allows: read literally it fails with 'file_too_short'"
        )


@pytest.mark.clause("map.size.default-with-offset")
@pytest.mark.prerequisites(
    "map.offset.maps-from-offset", "map.size.default-with-offset-not-past-end"
)
@given(data=st.data())
def test_default_size_with_offset_is_the_rest_of_the_file(
    adapter: Adapter, tmp_path: Path, data: st.DataObject
) -> None:
    """With an offset, the default size is file size - offset."""
    p = os_page()
    offset = data.draw(sst.page_offsets(p, 3).filter(bool), label="offset")
    rest = data.draw(st.integers(1, 3 * p), label="bytes from offset to the end")
    content = pattern(offset + rest, seed=offset + rest)
    path = new_file(tmp_path, content)
    with Maps(adapter) as maps:
        call = described("map", ref(path), "", None, offset)
        m = mapped(maps, ref(path), "", None, offset)
        assert sized(m.size, rest, p), (
            f"{call} of a {len(content)}-byte file: expected map.size {rest} (file size - "
            f"offset), got {m.size}"
        )
        same(adapter.read(m.handle, 0, rest), content[offset:], call)
