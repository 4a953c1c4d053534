"""``mmap.map``: the access modes ('' read-only, 'w', 'c' copy-on-write, 'x', 'wx', 'cx'),
as the map behaves and as the OS reports them. Unknown modes are in ``test_map_raises``.

Each test gives a status to one clause, as the package's docstring says
(``spec/__init__.py``: what is observed through the OS, what is a prerequisite).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mmapspec.adapters.interface import ACCESS_MODES, Adapter
from mmapspec.spec import strategies as sst
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import (
    Maps,
    mappings_shown,
    mappings_source,
    new_file,
    os_page,
    pattern,
    proc_maps_entry_at,
    ref,
    require_proc,
    same,
)
from mmapspec.spec.support.map_calls import (
    WRITABLE,
    described,
    file_after_writes,
    mapped,
    per_value,
)

ACCESS_CLAUSE = {
    "": "map.access.default-read-only",
    "w": "map.access.w",
    "c": "map.access.c",
    "x": "map.access.x",
    "wx": "map.access.wx",
    "cx": "map.access.cx",
}


@pytest.mark.clause("map.access.default-read-only")
def test_access_defaults_to_read_only(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    """No access given: the map reads the file; where the OS tells, it is not writable."""
    content = pattern(100, seed=4)
    path = new_file(tmp_path, content)
    call = described("map", ref(path))
    m = mapped(maps, ref(path))
    same(adapter.read(m.handle, 0, 100), content, call)
    if m.addr is not None and mappings_shown(adapter.pid):
        region = proc_maps_entry_at(adapter.pid, m.addr)
        assert region is not None and region.perms[:3] == "r--", (
            f"{call}: expected permissions r-- in {mappings_source(adapter.pid)}, got {region}"
        )


EXPECTED_PERMS = {
    # access: (/proc/PID/maps permission prefix, shared 's' or private 'p' or either '?')
    "": ("r--", "?"),
    "w": ("rw-", "s"),
    "c": ("r?-", "p"),
    "x": ("r-x", "?"),
    "wx": ("rwx", "s"),
    "cx": ("r?x", "p"),
}
"""The OS's view of each mode. A copy-on-write map may carry the write bit (the kernel
needs it to make the private copy) but must be private; write access must be shared so
the file sees the writes."""


@pytest.mark.needs("addr")
@pytest.mark.parametrize(
    "access",
    [
        pytest.param(
            a,
            marks=[
                pytest.mark.clause(ACCESS_CLAUSE[a]),
                pytest.mark.needs(f"access:{a}" if a else "file:name"),
            ],
            id=a or "''",
        )
        for a in ACCESS_MODES
    ],
)
def test_access_flags_as_the_os_reports_them(
    adapter: Adapter, maps: Maps, tmp_path: Path, access: str
) -> None:
    """The flags are real: the OS's mappings (/proc/PID/maps; Windows: the view's page
    protection) show read, write, execute and sharing as asked."""
    require_proc(adapter.pid)
    p = os_page()
    path = new_file(tmp_path, pattern(2 * p, seed=5))
    call = described("map", ref(path), access, 2 * p)
    m = mapped(maps, ref(path), access, 2 * p)
    assert m.addr, f"{call}: map.addr is {m.addr!r}"
    region = proc_maps_entry_at(adapter.pid, m.addr)
    assert region is not None, (
        f"{call}: no mapping at {m.addr:#x} in {mappings_source(adapter.pid)}"
    )
    perms, sharing = EXPECTED_PERMS[access]
    got = region.perms
    ok = all(w in ("?", g) for w, g in zip(perms, got[:3], strict=True))
    ok = ok and sharing in ("?", got[3])
    assert ok, f"{call}: expected permissions {perms}{sharing} (? = either), got {got!r}"


@per_value("access", WRITABLE, "map.access.{}")
@given(data=st.data())
def test_writes_reach_the_file(
    adapter: Adapter, tmp_path: Path, access: str, data: st.DataObject
) -> None:
    """'w' and 'wx' are read + write: bytes written to the map are in the file."""
    p = os_page()
    size = data.draw(sst.sizes(p, 4), label="size")
    content = bytearray(pattern(size, seed=size))
    path = new_file(tmp_path, bytes(content))
    with Maps(adapter) as maps:
        call = described("map", ref(path), access, size)
        m = mapped(maps, ref(path), access, size)
        done = []
        for at, chunk in data.draw(
            st.lists(sst.writes(size), min_size=1, max_size=5), label="writes"
        ):
            adapter.write(m.handle, at, chunk)
            content[at : at + len(chunk)] = chunk
            done.append(f"{len(chunk)} bytes at {at}")
        same(adapter.read(m.handle, 0, size), content, f"{call}: the map after its writes")
        same(file_after_writes(path), content, f"{call}: the file after writing {', '.join(done)}")


@per_value("access", ("c", "cx"), "map.access.{}")
@pytest.mark.parametrize(
    "kind",
    [pytest.param(k, marks=pytest.mark.needs(f"file:{k}")) for k in ("name", "fd", "fileobj")],
)
@given(data=st.data())
def test_copy_on_write_is_private(
    adapter: Adapter, tmp_path: Path, access: str, kind: str, data: st.DataObject
) -> None:
    """'c' and 'cx' maps see their own writes; the file and a second map never do, even
    when the file was handed over opened for reading and writing."""
    p = os_page()
    size = data.draw(sst.sizes(p, 4), label="size")
    content = pattern(size, seed=size + 1)
    path = new_file(tmp_path, content)
    file = ref(path, kind, "r+")
    call = described("map", file, access, size)
    with Maps(adapter) as maps:
        # How the file is handed over is another clause's; only a name is this one's.
        if kind == "name":
            private = mapped(maps, file, access, size)
        else:
            with prerequisite(f"map.file.{kind}", call):
                private = mapped(maps, file, access, size)
        with prerequisite("map.access.default-read-only", described("map", ref(path), "", size)):
            other = mapped(maps, ref(path), "", size)
            same(adapter.read(other.handle, 0, size), content)
        mine = bytearray(content)
        for at, chunk in data.draw(
            st.lists(sst.writes(size), min_size=1, max_size=5), label="writes"
        ):
            adapter.write(private.handle, at, chunk)
            mine[at : at + len(chunk)] = chunk
        same(adapter.read(private.handle, 0, size), mine, f"{call}: the map's own writes")
        same(adapter.read(other.handle, 0, size), content, f"{call}: writes leaked into a '' map")
        same(path.read_bytes(), content, f"{call}: writes leaked into the file")
        with prerequisite("flush.sync", f"flush() of {call}"):
            adapter.flush(private.handle)
        with prerequisite("free.releases-memory", f"free() of {call}"):
            maps.free(private)
        same(adapter.read(other.handle, 0, size), content, f"{call}: flushed into a '' map")
    same(path.read_bytes(), content, f"{call}: flushed and freed, its writes reached the file")
