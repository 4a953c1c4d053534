"""``map:free()``: the memory and every resource go, and the file is closed only if
``map`` opened it."""

from __future__ import annotations

from pathlib import Path

import pytest
from mmapspec.adapters.interface import Adapter
from mmapspec.spec.support import (
    Maps,
    fds_to,
    mapped_bytes_in,
    new_file,
    page,
    pattern,
    ref,
    regions,
    require_proc,
    same,
)


@pytest.mark.clause("free.releases-memory")
@pytest.mark.parametrize("access", ["w", ""])
def test_free_unmaps(adapter: Adapter, maps: Maps, access: str) -> None:
    require_proc(adapter.pid)
    p = page(adapter)
    m = maps.map(None, access, 3 * p + 1)
    assert mapped_bytes_in(adapter.pid, m.addr, m.addr + 4 * p) == 4 * p
    maps.free(m)
    assert mapped_bytes_in(adapter.pid, m.addr, m.addr + 4 * p) == 0, (
        "memory still mapped after free"
    )


@pytest.mark.clause("free.closes-file-opened-by-map")
@pytest.mark.parametrize("access", ["", "w", "c"])
def test_free_closes_the_file_it_opened(
    adapter: Adapter, maps: Maps, tmp_path: Path, access: str
) -> None:
    """After free, no descriptor and no mapping of the process refers to the file."""
    require_proc(adapter.pid)
    path = new_file(tmp_path, pattern(2 * page(adapter), seed=30))
    m = maps.map(ref(path), access)
    assert adapter.read(m.handle, 0, 1)
    maps.free(m)
    assert fds_to(adapter.pid, path) == [], "free left the file it opened open"
    assert not [r for r in regions(adapter.pid) if r.path == str(path.resolve())], "still mapped"


@pytest.mark.clause("free.keeps-caller-file-open")
@pytest.mark.parametrize("kind", ["fd", "fileobj"])
def test_free_keeps_a_passed_file_usable(
    adapter: Adapter, maps: Maps, tmp_path: Path, kind: str
) -> None:
    """COORD 8: a descriptor or FILE* passed in is the caller's: after free the adapter
    still reads and closes it (an adapter reports a descriptor closed under it as an
    error of free), and nothing of the file stays open or mapped."""
    if f"file:{kind}" not in adapter.capabilities.names():
        pytest.skip(f"unsupported: file:{kind}")
    require_proc(adapter.pid)
    content = pattern(page(adapter), seed=31)
    path = new_file(tmp_path, content)
    m = maps.map(ref(path, kind, "r"), "")
    same(adapter.read(m.handle, 0, len(content)), content)
    maps.free(m)
    assert fds_to(adapter.pid, path) == []
    again = maps.map(ref(path), "")
    same(adapter.read(again.handle, 0, len(content)), content)
