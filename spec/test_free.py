"""``map:free()``: the memory and every resource go, and the file is closed only if
``map`` opened it. Observed through the OS: the mappings and descriptors of the process
holding the maps (/proc/PID/maps and /proc/PID/fd; on Windows ``VirtualQueryEx`` and
whether the file can be opened exclusively), and the file itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from mmapspec.adapters.interface import Adapter
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import (
    Maps,
    assert_raises,
    fds_to,
    mapped_bytes_in,
    mapped_name,
    new_file,
    os_page,
    outcome_of,
    pattern,
    pread,
    proc_maps,
    ref,
    require,
    require_proc,
    same,
)

PAGE = os_page()


@pytest.mark.clause("free.releases-memory")
@pytest.mark.parametrize("access", ["w", ""])
def test_free_unmaps(adapter: Adapter, maps: Maps, access: str) -> None:
    """Every page of the map is gone from the process's mappings after free."""
    require_proc(adapter.pid)
    size = 3 * PAGE + 1
    with prerequisite("map.file.omitted-maps-pagefile", f"map(nil, {access!r}, {size})"):
        m = maps.map(None, access, size)
        assert m.addr is not None, "map.addr is not reported"
        assert mapped_bytes_in(adapter.pid, m.addr, m.addr + size) == size, "not mapped"
    maps.free(m)
    left = mapped_bytes_in(adapter.pid, m.addr, m.addr + 4 * PAGE)
    assert left == 0, f"free() of a {size}-byte map: expected nothing mapped, got {left} bytes"


@pytest.mark.clause("free.closes-file-opened-by-map")
@pytest.mark.parametrize("access", ["", "w", "c"])
def test_free_closes_the_file_it_opened(
    adapter: Adapter, maps: Maps, tmp_path: Path, access: str
) -> None:
    """After free, no descriptor and no mapping of the process refers to the file."""
    require_proc(adapter.pid)
    path = new_file(tmp_path, pattern(2 * PAGE, seed=30))
    # Each mode's map is its own access clause's promise ('' is the plain file by name).
    promised_by = f"map.access.{access}" if access else "map.file.name"
    with prerequisite(promised_by, f"map({path.name!r}, {access!r}, {2 * PAGE})"):
        m = maps.map(ref(path), access, 2 * PAGE)
        adapter.read(m.handle, 0, 1)  # a binding that opens lazily has opened it now
    maps.free(m)
    fds = fds_to(adapter.pid, path)
    assert fds == [], f"free() of a map of {path.name}: expected no descriptor, got fds {fds}"
    mapped = [r for r in proc_maps(adapter.pid) if r.path == mapped_name(path)]
    assert mapped == [], f"free() of a map of {path.name}: still mapped at {mapped}"


@pytest.mark.clause("free.keeps-caller-file-open")
@pytest.mark.parametrize("kind", ["fd", "fileobj"])
def test_free_keeps_a_passed_file_usable(
    adapter: Adapter, maps: Maps, tmp_path: Path, kind: str
) -> None:
    """A descriptor or FILE* passed in is the caller's: after free the adapter, which
    opened it, still closes it (an adapter reports a descriptor closed under it as an
    error of free), and nothing of the file stays open or mapped."""
    require(adapter, f"file:{kind}")
    require_proc(adapter.pid)
    content = pattern(PAGE, seed=31)
    path = new_file(tmp_path, content)
    with prerequisite(f"map.file.{kind}", f"map({kind} of {path.name!r}, '', {PAGE})"):
        m = maps.map(ref(path, kind, "r"), "", PAGE)
        same(adapter.read(m.handle, 0, PAGE), content, f"the map of a {kind}")
    try:
        maps.free(m)
    except OSError as exc:
        raise AssertionError(
            f"free() of a map of a {kind}: expected the {kind} left open for the caller, "
            f"but closing it afterwards failed: {exc}"
        ) from exc
    fds = fds_to(adapter.pid, path)
    assert fds == [], f"free() of a map of a {kind}: expected no descriptor left, got fds {fds}"
    same(pread(path, 0, PAGE), content, "the file after free()")


@pytest.mark.clause("free.freed-memory-refused")
@pytest.mark.parametrize("how", ["read", "write"])
def test_a_freed_map_is_not_read_or_written(adapter: Adapter, maps: Maps, how: str) -> None:
    """The address the map had may be another mapping's by now."""
    with prerequisite("map.file.omitted-maps-pagefile", f"map(nil, 'w', {PAGE})"):
        m = maps.map(None, "w", PAGE)
    with prerequisite("free.releases-memory", "free() of the map"):
        maps.free(m)
    if how == "read":
        outcome = outcome_of(adapter.read, m.handle, 0, 16)
    else:
        outcome = outcome_of(adapter.write, m.handle, 0, b"after free")
    assert_raises(outcome, f"{how} through a freed map")
