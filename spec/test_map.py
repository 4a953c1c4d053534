"""``mmap.map``: what a successful map is (forms, files, access modes, size, offset,
addr, tagname, the NOTEs). Its failures and raised errors are in ``test_map_errors``.

Each test gives a status to one clause. What a test needs from other clauses to set
up or to observe is either done through the OS (files written and read with plain
file I/O, /proc/PID/maps, /dev/shm) or wrapped in ``prerequisite``, so that a fault
elsewhere blocks the test instead of failing its clause. On Linux the bytes of a
shared map are the file's page cache, so ``read()`` sees a map's writes at once: no
flush is needed to observe them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from mmapspec.adapters.interface import ACCESS_MODES, Adapter, FileRef, MapInfo
from mmapspec.spec import strategies as sst
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import (
    Maps,
    free_address,
    new_file,
    new_path,
    os_page,
    pattern,
    ref,
    region_at,
    regions,
    require,
    require_proc,
    same,
)

WRITABLE = ("w", "wx")
"""Write access in the document's sense."""

ACCESS_CLAUSE = {
    "": "map.access.default-read-only",
    "w": "map.access.w",
    "c": "map.access.c",
    "x": "map.access.x",
    "wx": "map.access.wx",
    "cx": "map.access.cx",
}


def _caps(adapter: Adapter) -> frozenset[str]:
    return adapter.capabilities.names()


def _arg(value: Any) -> str:
    if isinstance(value, FileRef):
        name = Path(value.path).name
        return repr(name) if value.kind == "name" else f"<{value.kind} of {name} ({value.mode})>"
    return "nil" if value is None else repr(value)


def described(function: str, *args: Any, **kwargs: Any) -> str:
    """A call as the messages show it: ``map('f-1.bin', 'w', 4097, nil)``."""
    parts = [_arg(a) for a in args] + [f"{k}={_arg(v)}" for k, v in kwargs.items()]
    return f"{function}({', '.join(parts)})"


def mapped(maps: Maps, *args: Any, **kwargs: Any) -> MapInfo:
    """``map`` that must succeed; the message names the call first, then what it did."""
    outcome = maps.try_map(*args, **kwargs)
    assert outcome.kind == "value", (
        f"{described('map', *args, **kwargs)}: expected a map, got: {outcome}"
    )
    info: MapInfo = outcome.value
    return info


def file_after_writes(path: Path) -> bytes:
    """The file's bytes as the OS shows them while a shared map is live: with a unified
    buffer cache (Linux, macOS, the BSDs but OpenBSD) the map is the page cache, so
    ``read()`` sees its writes at once, and no flush (another clause) is needed."""
    return path.read_bytes()


def aligned(n: int, p: int) -> int:
    return -(-n // p) * p


def sized(got: int, n: int, p: int) -> bool:
    """``map.size`` is ``n``, or ``n`` rounded up to whole pages: whether it may be
    rounded is a reading of its own (map.result.size-not-rounded), not asked here."""
    return got in (n, aligned(n, p))


def check_span(adapter: Adapter, m: MapInfo, path: Path, n: int, call: str) -> None:
    """Where the OS reports mappings: ``path`` is mapped from ``m.addr`` over ``n``
    bytes rounded up to whole pages, and not beyond."""
    if m.addr is None or not Path(f"/proc/{adapter.pid}/maps").exists():
        return
    end = m.addr + aligned(n, os_page())
    first, last = region_at(adapter.pid, m.addr), region_at(adapter.pid, end - 1)
    target = str(path.resolve())
    assert first and last and first.path == last.path == target, (
        f"{call}: /proc/{adapter.pid}/maps does not map {path.name} over "
        f"[{m.addr:#x}, {end:#x}), {n} bytes rounded up to pages"
    )
    after = region_at(adapter.pid, end)
    assert after is None or after.path != target, (
        f"{call}: /proc/{adapter.pid}/maps maps {path.name} beyond {end:#x}, more than {n} "
        "bytes rounded up to pages"
    )


# ----------------------------------------------------------------------------- call forms


@pytest.mark.clause("map.form.table")
@pytest.mark.parametrize("access", ["", "w", "c"])
def test_table_form(adapter: Adapter, maps: Maps, tmp_path: Path, access: str) -> None:
    """``map{file=..., access=..., size=...}`` returns a map of the file's bytes."""
    if access:
        require(adapter, f"access:{access}")
    p = os_page()
    content = pattern(2 * p, seed=1)
    path = new_file(tmp_path, content)
    m = mapped(maps, ref(path), access, p + 5, form="table")
    same(adapter.read(m.handle, 0, p + 5), content[: p + 5], f"map{{{path.name!r}, {access!r}}}")


@pytest.mark.clause("map.form.positional")
@pytest.mark.parametrize("access", ["", "w", "c"])
def test_positional_form_is_the_table_form(
    adapter: Adapter, maps: Maps, tmp_path: Path, access: str
) -> None:
    """The same arguments given positionally and as a table give the same map: size,
    bytes and (where the OS shows them) permissions. Compared with the table form, not
    with the file, so that a fault of offsets or sizes is not blamed on the form."""
    if access:
        require(adapter, f"access:{access}")
    p = os_page()
    content = pattern(3 * p, seed=1)
    path = new_file(tmp_path, content)
    args = (ref(path), access, p + 7, p)
    with prerequisite("map.form.table", described("map", *args, form="table")):
        by_table = mapped(maps, *args, form="table")
    call = described("map", *args, form="positional")
    by_position = mapped(maps, *args, form="positional")
    assert by_position.size == by_table.size, (
        f"{call}: size {by_position.size}, the table form's is {by_table.size}"
    )
    same(
        adapter.read(by_position.handle, 0, p + 7),
        adapter.read(by_table.handle, 0, p + 7),
        f"{call}: bytes, compared with the table form's",
    )
    if by_table.addr and by_position.addr and Path(f"/proc/{adapter.pid}/maps").exists():
        table_region = region_at(adapter.pid, by_table.addr)
        position_region = region_at(adapter.pid, by_position.addr)
        assert table_region and position_region, f"{call}: a map missing from /proc/PID/maps"
        assert position_region.perms == table_region.perms, (
            f"{call}: permissions {position_region.perms!r}, the table form's are "
            f"{table_region.perms!r}"
        )


@pytest.mark.clause("map.form.positional")
@pytest.mark.needs("tagname")
def test_positional_form_reaches_the_tagname(adapter: Adapter, maps: Maps) -> None:
    """Positionally, the sixth argument is the tagname: the shared memory it names
    exists afterwards (/dev/shm on Linux) with the map's bytes."""
    p = os_page()
    tag = maps.tagname()
    call = described("map", None, "w", p, None, None, tag, form="positional")
    first = mapped(maps, None, "w", p, None, None, tag, form="positional")
    adapter.write(first.handle, 0, b"positional")
    shm = Path("/dev/shm")
    if sys.platform.startswith("linux") and shm.is_dir():
        # The OS shows the named memory: its absence is this form's failure alone.
        assert (shm / tag).exists(), f"{call}: no shared memory /dev/shm/{tag} was made"
        same((shm / tag).read_bytes()[:10], b"positional", f"{call}: /dev/shm/{tag}")
        return
    with prerequisite("map.tagname.same-process", f"map{{tagname={tag!r}, size={p}}}"):
        second = mapped(maps, None, "", p, None, None, tag)
    same(adapter.read(second.handle, 0, 10), b"positional", f"{call}: the tagname's memory")


# ----------------------------------------------------------------------------- size


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


@pytest.mark.clause("map.size.default-with-offset")
@pytest.mark.prerequisites("map.offset.maps-from-offset")
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


# ----------------------------------------------------------------------------- offset


@pytest.mark.clause("map.offset.maps-from-offset")
@given(data=st.data())
def test_map_shows_the_file_bytes_at_offset(
    adapter: Adapter, tmp_path: Path, data: st.DataObject
) -> None:
    """Any size at any page-multiple offset within the file, in every access mode: the
    map holds the file's bytes [offset, offset + size)."""
    p = os_page()
    access = data.draw(sst.accesses(_caps(adapter)), label="access")
    size = data.draw(sst.sizes(p), label="size")
    offset = data.draw(sst.page_offsets(p), label="offset")
    tail = data.draw(st.integers(0, p), label="bytes after the map")
    content = data.draw(sst.data(offset + size + tail), label="content")
    path = new_file(tmp_path, content)
    with Maps(adapter) as maps:
        # Only modes that map at all (without an offset): a mode that does not is its own
        # clause's failure, not the offset's. (Filtered rather than a prerequisite: the
        # model, which judges 'w' and 'c', relies on this clause.)
        probe = maps.try_map(ref(path), access, size)
        assume(probe.kind == "value")
        maps.free(probe.value)
        call = described("map", ref(path), access, size, offset)
        m = mapped(maps, ref(path), access, size, offset)
        same(adapter.read(m.handle, 0, size), content[offset : offset + size], call)


@pytest.mark.clause("map.offset.default-zero")
def test_offset_defaults_to_zero(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    p = os_page()
    content = pattern(2 * p, seed=2)
    path = new_file(tmp_path, content)
    call = described("map", ref(path), "", p + 1, None)
    m = mapped(maps, ref(path), "", p + 1, None)
    same(adapter.read(m.handle, 0, p + 1), content[: p + 1], call)


# ----------------------------------------------------------------------------- file kinds


@pytest.mark.clause("map.file.name")
def test_utf8_file_name(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    """The filename is UTF-8: a name outside ASCII maps the file of that name."""
    path = tmp_path / "ファイル-é-ß.bin"
    path.write_bytes(b"utf-8 name")
    m = mapped(maps, ref(path), "")
    same(adapter.read(m.handle, 0, 10), b"utf-8 name", described("map", ref(path), ""))


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
    """A descriptor, FILE* or OS handle opened in a compatible mode maps like the name;
    with 'w', what is written reaches the file."""
    if access:
        require(adapter, f"access:{access}")
    p = os_page()
    content = pattern(2 * p, seed=3)
    path = new_file(tmp_path, content)
    mode = "r+" if access == "w" else "r"
    file = ref(path, kind, mode)
    call = described("map", file, access, p + 3)
    m = mapped(maps, file, access, p + 3)
    same(adapter.read(m.handle, 0, p + 3), content[: p + 3], call)
    if access == "w":
        adapter.write(m.handle, 1, b"via " + kind.encode())
        expected = content[:1] + b"via " + kind.encode()
        same(
            file_after_writes(path)[: len(expected)],
            expected,
            f"{call}: the file after writing {b'via ' + kind.encode()!r} at 1",
        )


# ----------------------------------------------------------------------------- access modes


@pytest.mark.clause("map.access.default-read-only")
def test_access_defaults_to_read_only(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    """No access given: the map reads the file; where the OS tells, it is not writable."""
    content = pattern(100, seed=4)
    path = new_file(tmp_path, content)
    call = described("map", ref(path))
    m = mapped(maps, ref(path))
    same(adapter.read(m.handle, 0, 100), content, call)
    if m.addr is not None and Path(f"/proc/{adapter.pid}/maps").exists():
        region = region_at(adapter.pid, m.addr)
        assert region is not None and region.perms[:3] == "r--", (
            f"{call}: expected permissions r-- in /proc/{adapter.pid}/maps, got {region}"
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
    """The flags are real: /proc/PID/maps shows read, write, execute and sharing as asked."""
    require_proc(adapter.pid)
    p = os_page()
    path = new_file(tmp_path, pattern(2 * p, seed=5))
    call = described("map", ref(path), access, 2 * p)
    m = mapped(maps, ref(path), access, 2 * p)
    assert m.addr, f"{call}: map.addr is {m.addr!r}"
    region = region_at(adapter.pid, m.addr)
    assert region is not None, f"{call}: no mapping at {m.addr:#x} in /proc/{adapter.pid}/maps"
    perms, sharing = EXPECTED_PERMS[access]
    got = region.perms
    ok = all(w in ("?", g) for w, g in zip(perms, got[:3], strict=True))
    ok = ok and sharing in ("?", got[3])
    assert ok, f"{call}: expected permissions {perms}{sharing} (? = either), got {got!r}"


@_per_value("access", WRITABLE, "map.access.{}")
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
        same(
            file_after_writes(path),
            content,
            f"{call}: the file after writing {', '.join(done)}",
        )


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


# ----------------------------------------------------------------------------- pagefile


@pytest.mark.clause("map.file.omitted-maps-pagefile")
@given(data=st.data())
def test_pagefile_map(adapter: Adapter, data: st.DataObject) -> None:
    """No file: memory of the size asked for, readable and (with 'w') writable from its
    first byte to its last."""
    p = os_page()
    size = data.draw(sst.sizes(p), label="size")
    with Maps(adapter) as maps:
        call = described("map", None, "w", size)
        m = mapped(maps, None, "w", size)
        at, chunk = data.draw(sst.writes(size), label="write")
        for where, what in ((0, b"F"), (size - 1, b"L"), (at, chunk)):
            adapter.write(m.handle, where, what)
            same(adapter.read(m.handle, where, len(what)), what, f"{call}: byte {where}")


@pytest.mark.clause("map.offset.ignored-for-pagefile")
def test_pagefile_ignores_an_aligned_offset(adapter: Adapter, maps: Maps) -> None:
    p = os_page()
    call = described("map", None, "w", p, 5 * p)
    m = mapped(maps, None, "w", p, 5 * p)
    adapter.write(m.handle, p - 4, b"tail")
    same(adapter.read(m.handle, p - 4, 4), b"tail", call)


@pytest.mark.clause("map.offset.pagefile-not-validated")
@pytest.mark.parametrize("offset", ["unaligned", "negative"])
def test_pagefile_does_not_validate_the_offset(adapter: Adapter, maps: Maps, offset: str) -> None:
    p = os_page()
    value = {"unaligned": 123, "negative": -p}[offset]
    call = described("map", None, "w", p, value)
    m = mapped(maps, None, "w", p, value)
    adapter.write(m.handle, p - 4, b"tail")
    same(adapter.read(m.handle, p - 4, 4), b"tail", call)


# ------------------------------------------------------------------ creation and extension


@pytest.mark.clause("map.file.missing-write-creates")
@pytest.mark.prerequisites("map.file.short-write-extends")
@pytest.mark.parametrize("access", WRITABLE)
def test_missing_file_is_created(adapter: Adapter, maps: Maps, tmp_path: Path, access: str) -> None:
    """Write access on a file that does not exist: the file is there afterwards. (The map
    needs it extended to the size too, which is the next clause's promise.)"""
    require(adapter, f"access:{access}")
    path = new_path(tmp_path)
    mapped(maps, ref(path), access, 100)
    assert path.is_file(), f"{described('map', ref(path), access, 100)}: no file {path.name}"


def _check_extended(
    adapter: Adapter, tmp_path: Path, data: st.DataObject, offsets: st.SearchStrategy[int]
) -> None:
    p = os_page()
    access = data.draw(sst.accesses(_caps(adapter), WRITABLE), label="access")
    length = data.draw(st.integers(0, 3 * p), label="file size")
    offset = data.draw(offsets, label="offset")
    size = data.draw(sst.sizes(p, 3).filter(lambda s: offset + s > length), label="size")
    content = pattern(length, seed=length)
    path = new_file(tmp_path, content)
    call = described("map", ref(path), access, size, offset or None)
    with Maps(adapter) as maps:
        m = mapped(maps, ref(path), access, size, offset or None)
        got = path.stat().st_size
        assert got == offset + size, (
            f"{call} of a {length}-byte file: expected the file extended to "
            f"{offset + size} bytes, it has {got}"
        )
        same(path.read_bytes()[:length], content, f"{call}: the file's bytes after extending")
        kept = content[offset : offset + size]
        same(adapter.read(m.handle, 0, len(kept)), kept, f"{call}: the bytes the file had")


@pytest.mark.clause("map.file.short-write-extends")
@given(data=st.data())
def test_short_file_is_extended(adapter: Adapter, tmp_path: Path, data: st.DataObject) -> None:
    """Write access on a file shorter than the size: extended to the size; the bytes it
    had are kept."""
    _check_extended(adapter, tmp_path, data, st.just(0))


@pytest.mark.clause("map.file.short-write-extends")
@pytest.mark.prerequisites("map.offset.maps-from-offset")
@given(data=st.data())
def test_short_file_is_extended_to_offset_plus_size(
    adapter: Adapter, tmp_path: Path, data: st.DataObject
) -> None:
    """With an offset (within or beyond the file): extended to offset + size."""
    p = os_page()
    _check_extended(adapter, tmp_path, data, sst.page_offsets(p, 4).filter(bool))


# ----------------------------------------------------------------------------- addr


def _free_gap(pid: int, size: int, p: int) -> int | None:
    """An address with ``size`` bytes free around it, found in /proc/PID/maps: the middle
    of the widest gap between two mappings, far from where the OS puts new ones."""
    # Below 2**47: the user address space of every 64-bit system without 5-level paging
    # (above it live only the kernel's vsyscall page and the like).
    spans = sorted((r.start, r.end) for r in regions(pid) if r.end <= 1 << 47)
    gaps = [
        (lo_end, hi_start) for (_, lo_end), (hi_start, _) in zip(spans, spans[1:], strict=False)
    ]
    if not gaps:
        return None
    lo, hi = max(gaps, key=lambda g: g[1] - g[0])
    if hi - lo < 4 * size:
        return None
    return (lo + (hi - lo) // 2) // p * p


@pytest.mark.clause("map.addr.used")
def test_requested_address_is_used(adapter: Adapter, maps: Maps) -> None:
    p = os_page()
    where = None
    if Path(f"/proc/{adapter.pid}/maps").exists():
        where = _free_gap(adapter.pid, 2 * p, p)
    if where is None:
        with prerequisite("map.file.omitted-maps-pagefile", "map(nil, 'w') then free()"):
            where = free_address(adapter, maps, 2 * p)
    call = described("map", None, "w", 2 * p, None, where)
    m = mapped(maps, None, "w", 2 * p, None, where)
    assert m.addr == where, f"{call}: expected map.addr {where:#x}, got {m.addr!r}"


@pytest.mark.clause("map.result.addr")
def test_addresses_of_live_maps_do_not_overlap(adapter: Adapter, maps: Maps) -> None:
    p = os_page()
    sizes = [k * p + 1 for k in range(1, 5)]
    live = [mapped(maps, None, "w", n) for n in sizes]
    spans = sorted((m.addr or 0, (m.addr or 0) + n) for m, n in zip(live, sizes, strict=True))
    assert all(lo for lo, _ in spans), f"map(nil, 'w', n) for n in {sizes}: a null map.addr"
    pairs = zip(spans, spans[1:], strict=False)
    assert all(a_hi <= b_lo for (_, a_hi), (b_lo, _) in pairs), (
        f"map(nil, 'w', n) for n in {sizes}: live maps overlap: "
        + ", ".join(f"[{lo:#x}, {hi:#x})" for lo, hi in spans)
    )
    for k, (m, n) in enumerate(zip(live, sizes, strict=True)):
        adapter.write(m.handle, 0, bytes([k]) * n)
    for k, (m, n) in enumerate(zip(live, sizes, strict=True)):
        same(adapter.read(m.handle, 0, n), bytes([k]) * n, f"map(nil, 'w', {n}) after the others")


# ----------------------------------------------------------------------------- tagname


@pytest.mark.clause("map.tagname.same-process")
@given(data=st.data())
def test_tagname_shares_memory_in_one_process(adapter: Adapter, data: st.DataObject) -> None:
    p = os_page()
    size = data.draw(st.integers(1, 4).map(lambda k: k * p), label="size")
    with Maps(adapter) as maps:
        tag = maps.tagname()
        call = described("map", None, "w", size, None, None, tag)
        first = mapped(maps, None, "w", size, None, None, tag)
        second = mapped(maps, None, "w", size, None, None, tag)
        at, chunk = data.draw(sst.writes(size), label="write")
        adapter.write(first.handle, at, chunk)
        same(adapter.read(second.handle, at, len(chunk)), chunk, f"{call} twice: first to second")
        adapter.write(second.handle, 0, b"back")
        same(adapter.read(first.handle, 0, 4), b"back", f"{call} twice: second to first")


@pytest.mark.clause("map.tagname.default-size")
def test_tagname_default_size_is_the_existing_size(adapter: Adapter, maps: Maps) -> None:
    p = os_page()
    tag = maps.tagname()
    with prerequisite("map.tagname.same-process", described("map", None, "w", 3 * p, tag=tag)):
        first = mapped(maps, None, "w", 3 * p, None, None, tag)
        adapter.write(first.handle, 3 * p - 3, b"end")
    call = described("map", None, "", None, None, None, tag)
    second = mapped(maps, None, "", None, None, None, tag)
    assert second.size == 3 * p, (
        f"{call} of shared memory of {3 * p} bytes: expected map.size {3 * p}, got {second.size}"
    )
    same(adapter.read(second.handle, 3 * p - 3, 3), b"end", call)


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
    file = ref(path, "fileobj", "r+", pending)
    call = described("map", file, "") + f" with {pending!r} unflushed in the FILE*"
    m = mapped(maps, file, "")
    expected = pending + content[len(pending) :]
    assert sized(m.size, len(expected), os_page()), (
        f"{call}: expected map.size {len(expected)}, got {m.size}"
    )
    same(adapter.read(m.handle, 0, len(expected)), expected, call)


@pytest.mark.clause("map.note.external-changes")
def test_external_changes_are_old_or_new(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    """No visibility is promised; but each changed byte is old or new, no other byte
    changes, and the map goes on working."""
    p = os_page()
    content = pattern(2 * p, seed=7)
    path = new_file(tmp_path, content)
    call = described("map", ref(path), "w", 2 * p) + f" with bytes {p - 8}..{p + 7} rewritten"
    m = mapped(maps, ref(path), "w", 2 * p)
    change = bytes(b ^ 0xFF for b in content[p - 8 : p + 8])
    fd = os.open(path, os.O_WRONLY)
    try:
        os.pwrite(fd, change, p - 8)
    finally:
        os.close(fd)
    seen = adapter.read(m.handle, 0, 2 * p)
    same(seen[: p - 8], content[: p - 8], f"{call}: bytes before the change")
    same(seen[p + 8 :], content[p + 8 :], f"{call}: bytes after the change")
    for i, b in enumerate(seen[p - 8 : p + 8]):
        assert b in (content[p - 8 + i], change[i]), (
            f"{call}: byte {p - 8 + i} is {b}, neither old ({content[p - 8 + i]}) nor new "
            f"({change[i]})"
        )
    adapter.write(m.handle, 0, b"still works")
    same(adapter.read(m.handle, 0, 11), b"still works", f"{call}: writing afterwards")
