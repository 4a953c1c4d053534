"""``mmap.map``: what a successful map is (forms, files, access modes, size, offset,
addr, tagname, the NOTEs). Its failures and raised errors are in ``test_map_errors``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mmapspec.adapters.interface import ACCESS_MODES, Adapter
from mmapspec.spec import strategies as sst
from mmapspec.spec.support import (
    Maps,
    new_file,
    new_path,
    page,
    pattern,
    ref,
    region_at,
    require_proc,
    same,
)

WRITABLE = ("w", "wx")
"""Write access in the document's sense (COORD 5: 'c' is not)."""
SHARED_READABLE = ("", "w", "x", "wx")
"""Modes whose maps show the file as it is (not a private copy)."""


def _caps(adapter: Adapter) -> frozenset[str]:
    return adapter.capabilities.names()


# ------------------------------------------------------------------ forms, sizes, offsets


@pytest.mark.clause(
    "map.form.table",
    "map.size.given",
    "map.result.size",
    "map.offset.maps-from-offset",
    "map.file.name",
)
@given(data=st.data())
def test_map_shows_the_file_bytes_at_offset(
    adapter: Adapter, tmp_path: Path, data: st.DataObject
) -> None:
    """Any size (1 byte, unaligned, many pages) at any page-multiple offset within the file,
    in every access mode: the map has the size asked for and holds the file's bytes
    [offset, offset+size); mapping changes nothing in the file."""
    p = page(adapter)
    access = data.draw(sst.accesses(_caps(adapter)), label="access")
    size = data.draw(sst.sizes(p), label="size")
    offset = data.draw(sst.page_offsets(p), label="offset")
    tail = data.draw(st.integers(0, p), label="bytes after the map")
    content = data.draw(sst.data(offset + size + tail), label="content")
    path = new_file(tmp_path, content)
    with Maps(adapter) as maps:
        m = maps.map(ref(path), access, size, offset)
        assert m.size == size, "map.size must be the size asked for (COORD 2: not rounded to pages)"
        same(adapter.read(m.handle, 0, size), content[offset : offset + size])
    same(path.read_bytes(), content, f"mapping with access {access!r} changed the file")


@pytest.mark.clause("map.form.positional", "map.form.table")
@pytest.mark.parametrize("access", ["", "w", "c"])
def test_positional_form_is_the_table_form(
    adapter: Adapter, maps: Maps, tmp_path: Path, access: str
) -> None:
    """The same arguments given positionally and as a table map the same bytes."""
    p = page(adapter)
    content = pattern(3 * p, seed=1)
    path = new_file(tmp_path, content)
    by_table = maps.map(ref(path), access, p + 7, p, form="table")
    by_position = maps.map(ref(path), access, p + 7, p, form="positional")
    assert by_table.size == by_position.size == p + 7
    same(adapter.read(by_position.handle, 0, p + 7), adapter.read(by_table.handle, 0, p + 7))
    same(adapter.read(by_position.handle, 0, p + 7), content[p : 2 * p + 7])


@pytest.mark.clause("map.form.positional")
@pytest.mark.needs("tagname", "unlink")
def test_positional_form_reaches_the_tagname(adapter: Adapter, maps: Maps) -> None:
    """Positionally, the sixth argument is the tagname."""
    p = page(adapter)
    tag = maps.tagname()
    first = maps.map(None, "w", p, None, None, tag, form="positional")
    adapter.write(first.handle, 0, b"positional")
    second = maps.map(None, "", p, None, None, tag, form="positional")
    same(adapter.read(second.handle, 0, 10), b"positional")


@pytest.mark.clause("map.size.default-is-file-size", "map.result.size")
@given(data=st.data())
def test_default_size_is_file_size(adapter: Adapter, tmp_path: Path, data: st.DataObject) -> None:
    p = page(adapter)
    access = data.draw(sst.accesses(_caps(adapter)), label="access")
    content = data.draw(sst.data(data.draw(sst.sizes(p), label="file size")), label="content")
    path = new_file(tmp_path, content)
    with Maps(adapter) as maps:
        m = maps.map(ref(path), access)
        assert m.size == len(content)
        same(adapter.read(m.handle, 0, m.size), content)
    same(path.read_bytes(), content)


@pytest.mark.clause("map.size.default-with-offset")
@given(data=st.data())
def test_default_size_with_offset_is_the_rest_of_the_file(
    adapter: Adapter, tmp_path: Path, data: st.DataObject
) -> None:
    """COORD 2: with an offset, the default size is file size - offset."""
    p = page(adapter)
    offset = data.draw(sst.page_offsets(p, 3).filter(bool), label="offset")
    rest = data.draw(st.integers(1, 3 * p), label="bytes from offset to the end")
    content = pattern(offset + rest, seed=offset + rest)
    path = new_file(tmp_path, content)
    with Maps(adapter) as maps:
        m = maps.map(ref(path), "", None, offset)
        assert m.size == rest, "the default size with an offset is file size - offset"
        same(adapter.read(m.handle, 0, rest), content[offset:])


@pytest.mark.clause("map.offset.default-zero")
def test_offset_defaults_to_zero(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    p = page(adapter)
    content = pattern(2 * p, seed=2)
    path = new_file(tmp_path, content)
    m = maps.map(ref(path), "", p + 1, None)
    same(adapter.read(m.handle, 0, p + 1), content[: p + 1])


# ----------------------------------------------------------------------------- file kinds


@pytest.mark.clause("map.file.name")
def test_utf8_file_name(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    """The filename is UTF-8: a name outside ASCII maps the file of that name."""
    path = tmp_path / "ファイル-é-ß.bin"
    path.write_bytes(b"utf-8 name")
    m = maps.map(ref(path), "")
    same(adapter.read(m.handle, 0, 10), b"utf-8 name")


def _per_value(name: str, values: tuple[str, ...], clause: str) -> pytest.MarkDecorator:
    """Parametrize over ``values``, each case tagged with its own clause (so that a
    capability one value needs does not make the others unsupported)."""
    return pytest.mark.parametrize(
        name,
        [pytest.param(v, marks=pytest.mark.clause(clause.format(v)), id=v or "''") for v in values],
    )


@_per_value("kind", ("fd", "fileobj", "handle"), "map.file.{}")
@pytest.mark.parametrize("access", ["", "w", "c"])
def test_file_kinds(adapter: Adapter, maps: Maps, tmp_path: Path, kind: str, access: str) -> None:
    """A descriptor, FILE* or OS handle opened in a compatible mode maps like the name."""
    p = page(adapter)
    content = pattern(3 * p, seed=3)
    path = new_file(tmp_path, content)
    mode = "r+" if access == "w" else "r"
    m = maps.map(ref(path, kind, mode), access, p + 3, p)
    same(adapter.read(m.handle, 0, p + 3), content[p : 2 * p + 3])
    if access == "w":
        adapter.write(m.handle, 1, b"via " + kind.encode())
        adapter.flush(m.handle)
        maps.free(m)
        expected = content[: p + 1] + b"via " + kind.encode()
        same(path.read_bytes()[: len(expected)], expected)


# ----------------------------------------------------------------------------- access modes


@pytest.mark.clause("map.access.default-read-only")
def test_access_defaults_to_read_only(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    """No access given: the map reads the file; where the OS tells, it is not writable."""
    content = pattern(100, seed=4)
    path = new_file(tmp_path, content)
    m = maps.map(ref(path))
    same(adapter.read(m.handle, 0, 100), content)
    if m.addr is not None and Path(f"/proc/{adapter.pid}/maps").exists():
        region = region_at(adapter.pid, m.addr)
        assert region is not None and region.perms[:3] == "r--", f"default access mapped {region}"


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


ACCESS_CLAUSE = {
    "": "map.access.default-read-only",
    "w": "map.access.w",
    "c": "map.access.c",
    "x": "map.access.x",
    "wx": "map.access.wx",
    "cx": "map.access.cx",
}


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
    """The flags are real: /proc/PID/maps shows read, write, execute and sharing as asked."""
    require_proc(adapter.pid)
    p = page(adapter)
    path = new_file(tmp_path, pattern(2 * p, seed=5))
    m = maps.map(ref(path), access, 2 * p)
    assert m.addr
    region = region_at(adapter.pid, m.addr)
    assert region is not None, f"no mapping at {m.addr:#x} in /proc/{adapter.pid}/maps"
    perms, sharing = EXPECTED_PERMS[access]
    got = region.perms
    ok = all(w in ("?", g) for w, g in zip(perms, got[:3], strict=True))
    ok = ok and sharing in ("?", got[3])
    assert ok, f"access {access!r} mapped with permissions {got!r}, expected {perms}{sharing}"


@_per_value("access", WRITABLE, "map.access.{}")
@given(data=st.data())
def test_writes_reach_the_file(
    adapter: Adapter, tmp_path: Path, access: str, data: st.DataObject
) -> None:
    """'w' and 'wx' are read + write: bytes written to the map are in the file."""
    p = page(adapter)
    size = data.draw(sst.sizes(p, 4), label="size")
    offset = data.draw(sst.page_offsets(p, 2), label="offset")
    content = bytearray(pattern(offset + size, seed=size))
    path = new_file(tmp_path, bytes(content))
    with Maps(adapter) as maps:
        m = maps.map(ref(path), access, size, offset)
        for at, chunk in data.draw(
            st.lists(sst.writes(size), min_size=1, max_size=5), label="writes"
        ):
            adapter.write(m.handle, at, chunk)
            content[offset + at : offset + at + len(chunk)] = chunk
        same(adapter.read(m.handle, 0, size), content[offset:])
        assert adapter.flush(m.handle) is True
        maps.free(m)
    same(path.read_bytes(), content)


@_per_value("access", ("c", "cx"), "map.access.{}")
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
    p = page(adapter)
    size = data.draw(sst.sizes(p, 4), label="size")
    content = pattern(size, seed=size + 1)
    path = new_file(tmp_path, content)
    with Maps(adapter) as maps:
        private = maps.map(ref(path, kind, "r+"), access, size)
        other = maps.map(ref(path), "", size)
        mine = bytearray(content)
        for at, chunk in data.draw(
            st.lists(sst.writes(size), min_size=1, max_size=5), label="writes"
        ):
            adapter.write(private.handle, at, chunk)
            mine[at : at + len(chunk)] = chunk
        same(adapter.read(private.handle, 0, size), mine)
        same(
            adapter.read(other.handle, 0, size),
            content,
            "a 'c' map's writes leaked into another map",
        )
        same(path.read_bytes(), content, "a 'c' map's writes leaked into the file")
        adapter.flush(private.handle)
        maps.free(private)
        same(adapter.read(other.handle, 0, size), content)
    same(path.read_bytes(), content, "a 'c' map's writes reached the file")


@pytest.mark.clause("map.file.omitted-maps-pagefile")
@given(data=st.data())
def test_pagefile_map(adapter: Adapter, data: st.DataObject) -> None:
    """No file: memory of the size asked for, readable and (with 'w') writable."""
    p = page(adapter)
    size = data.draw(sst.sizes(p), label="size")
    with Maps(adapter) as maps:
        m = maps.map(None, "w", size)
        assert m.size == size
        at, chunk = data.draw(sst.writes(size), label="write")
        adapter.write(m.handle, at, chunk)
        same(adapter.read(m.handle, at, len(chunk)), chunk)


@pytest.mark.clause("map.offset.ignored-for-pagefile")
@pytest.mark.parametrize("offset", ["unaligned", "negative", "aligned"])
def test_pagefile_ignores_offset(adapter: Adapter, maps: Maps, offset: str) -> None:
    p = page(adapter)
    value = {"unaligned": 123, "negative": -p, "aligned": 5 * p}[offset]
    m = maps.map(None, "w", p, value)
    assert m.size == p
    adapter.write(m.handle, p - 4, b"tail")
    same(adapter.read(m.handle, p - 4, 4), b"tail")


# ------------------------------------------------------------------ creation and extension


@pytest.mark.clause("map.file.missing-write-creates", "map.file.short-write-extends")
@given(data=st.data())
def test_missing_file_is_created(adapter: Adapter, tmp_path: Path, data: st.DataObject) -> None:
    """Write access on a file that does not exist: created, offset + size long."""
    p = page(adapter)
    access = data.draw(sst.accesses(_caps(adapter), WRITABLE), label="access")
    size = data.draw(sst.sizes(p, 4), label="size")
    offset = data.draw(sst.page_offsets(p, 2), label="offset")
    path = new_path(tmp_path)
    with Maps(adapter) as maps:
        m = maps.map(ref(path), access, size, offset)
        assert path.exists(), "the file was not created"
        assert path.stat().st_size == offset + size
        adapter.write(m.handle, size - 1, b"!")
        adapter.flush(m.handle)
    same(path.read_bytes()[offset + size - 1 :], b"!")


@pytest.mark.clause("map.file.short-write-extends")
@given(data=st.data())
def test_short_file_is_extended(adapter: Adapter, tmp_path: Path, data: st.DataObject) -> None:
    """Write access on a file shorter than offset + size (offsets within and beyond the
    file): extended to offset + size; the bytes it had are kept."""
    p = page(adapter)
    access = data.draw(sst.accesses(_caps(adapter), WRITABLE), label="access")
    length = data.draw(st.integers(0, 3 * p), label="file size")
    offset = data.draw(sst.page_offsets(p, 4), label="offset")
    size = data.draw(sst.sizes(p, 3).filter(lambda s: offset + s > length), label="size")
    content = pattern(length, seed=length)
    path = new_file(tmp_path, content)
    with Maps(adapter) as maps:
        m = maps.map(ref(path), access, size, offset)
        assert path.stat().st_size == offset + size, "the file was not extended to offset + size"
        same(path.read_bytes()[:length], content, "extending the file changed its bytes")
        kept = content[offset : offset + size]
        same(adapter.read(m.handle, 0, len(kept)), kept)
        adapter.write(m.handle, size - 1, b"E")
        adapter.flush(m.handle)
    same(path.read_bytes()[offset + size - 1 :], b"E")


# ----------------------------------------------------------------------------- addr


@pytest.mark.clause("map.addr.used")
def test_requested_address_is_used(adapter: Adapter, maps: Maps) -> None:
    from mmapspec.spec.support import free_address

    p = page(adapter)
    where = free_address(adapter, maps, 2 * p)
    m = maps.map(None, "w", 2 * p, None, where)
    assert m.addr == where, f"asked for {where:#x}, got {m.addr:#x}"


@pytest.mark.clause("map.result.addr")
def test_addresses_of_live_maps_do_not_overlap(adapter: Adapter, maps: Maps) -> None:
    p = page(adapter)
    live = [maps.map(None, "w", k * p + 1) for k in range(1, 5)]
    spans = sorted((m.addr, m.addr + m.size) for m in live)
    assert all(lo for lo, _ in spans), "a null address"
    pairs = zip(spans, spans[1:], strict=False)
    assert all(a_hi <= b_lo for (_, a_hi), (b_lo, _) in pairs), f"overlap: {spans}"
    for k, m in enumerate(live):
        adapter.write(m.handle, 0, bytes([k]) * m.size)
    for k, m in enumerate(live):
        same(adapter.read(m.handle, 0, m.size), bytes([k]) * m.size)


# ----------------------------------------------------------------------------- tagname


@pytest.mark.clause("map.tagname.same-process")
@given(data=st.data())
def test_tagname_shares_memory_in_one_process(adapter: Adapter, data: st.DataObject) -> None:
    p = page(adapter)
    size = data.draw(st.integers(1, 4).map(lambda k: k * p), label="size")
    with Maps(adapter) as maps:
        tag = maps.tagname()
        first = maps.map(None, "w", size, None, None, tag)
        second = maps.map(None, "w", size, None, None, tag)
        at, chunk = data.draw(sst.writes(size), label="write")
        adapter.write(first.handle, at, chunk)
        same(adapter.read(second.handle, at, len(chunk)), chunk)
        adapter.write(second.handle, 0, b"back")
        same(adapter.read(first.handle, 0, 4), b"back")


@pytest.mark.clause("map.tagname.default-size")
def test_tagname_default_size_is_the_existing_size(adapter: Adapter, maps: Maps) -> None:
    p = page(adapter)
    tag = maps.tagname()
    first = maps.map(None, "w", 3 * p, None, None, tag)
    adapter.write(first.handle, 3 * p - 3, b"end")
    second = maps.map(None, "", None, None, None, tag)
    assert second.size == 3 * p
    same(adapter.read(second.handle, 3 * p - 3, 3), b"end")


# ----------------------------------------------------------------------------- NOTEs


@pytest.mark.clause("map.note.write-buffers-flushed")
@pytest.mark.parametrize("on_disk", ["longer", "empty"])
def test_pending_writes_of_an_open_file_are_mapped(
    adapter: Adapter, maps: Maps, tmp_path: Path, on_disk: str
) -> None:
    """A FILE* with bytes still in its buffer: the map sees them (and, with no size, they
    count for the file size)."""
    pending = b"still in the FILE* buffer"
    content = pattern(200, seed=6) if on_disk == "longer" else b""
    path = new_file(tmp_path, content)
    m = maps.map(ref(path, "fileobj", "r+", pending), "")
    expected = pending + content[len(pending) :]
    assert m.size == len(expected)
    same(adapter.read(m.handle, 0, m.size), expected)


@pytest.mark.clause("map.note.external-changes")
def test_external_changes_are_old_or_new(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    """No visibility is promised; but each changed byte is old or new, no other byte
    changes, and the map goes on working."""
    p = page(adapter)
    content = pattern(2 * p, seed=7)
    path = new_file(tmp_path, content)
    m = maps.map(ref(path), "w", 2 * p)
    change = bytes(b ^ 0xFF for b in content[p - 8 : p + 8])
    fd = os.open(path, os.O_WRONLY)
    try:
        os.pwrite(fd, change, p - 8)
    finally:
        os.close(fd)
    seen = adapter.read(m.handle, 0, 2 * p)
    same(seen[: p - 8], content[: p - 8], "bytes before the external change")
    same(seen[p + 8 :], content[p + 8 :], "bytes after the external change")
    for i, b in enumerate(seen[p - 8 : p + 8]):
        assert b in (content[p - 8 + i], change[i]), f"byte {p - 8 + i} is neither old nor new"
    adapter.write(m.handle, 0, b"still works")
    same(adapter.read(m.handle, 0, 11), b"still works")
