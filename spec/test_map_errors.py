"""``mmap.map`` failing: every raised argument error and every documented errcode,
provoked on real OS objects, and what a failure leaves behind.

Each test gives a status to one clause: a test of an errcode checks the outcome
only; what the failing call did to the file is the business of the two clauses on
failures (``map.fails.*``), whose tests provoke the failure inside a prerequisite.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mmapspec.adapters.interface import Adapter, FileRef
from mmapspec.spec import strategies as sst
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import (
    Maps,
    Outcome,
    errcode_matches,
    free_address,
    isolated,
    new_file,
    new_path,
    os_page,
    pattern,
    ref,
    require,
    same,
    small_tmpfs,
)

WITHOUT_WRITE = ("", "x")
"""Modes that plainly give no write access."""
RecordProperty = Callable[[str, object], None]
"""pytest's ``record_property`` fixture."""
COPY_ON_WRITE = ("c", "cx")
"""Modes that write nothing to the file; whether they count as write access is a reading."""


def _caps(adapter: Adapter) -> frozenset[str]:
    return adapter.capabilities.names()


def _arg(value: Any) -> str:
    if isinstance(value, FileRef):
        name = Path(value.path).name
        return repr(name) if value.kind == "name" else f"<{value.kind} of {name}>"
    return "nil" if value is None else repr(value)


def described(*args: Any, **kwargs: Any) -> str:
    """A map call as the messages show it: ``map('f-1.bin', '', 100, nil)``."""
    parts = [_arg(a) for a in args] + [f"{k}={_arg(v)}" for k, v in kwargs.items()]
    return f"map({', '.join(parts)})"


def expect_fails(maps: Maps, errcodes: tuple[str, ...], *args: Any, why: str = "") -> Outcome:
    """``map(*args)`` fails with one of ``errcodes``; the message names the call first."""
    outcome = maps.try_map(*args)
    ok = outcome.kind == "fails" and any(errcode_matches(outcome.errcode, e) for e in errcodes)
    assert ok, (
        f"{described(*args)}{' (' + why + ')' if why else ''}: expected a failure with errcode "
        f"{' or '.join(map(repr, errcodes))}, got: {outcome}"
    )
    return outcome


def expect_raises(maps: Maps, *args: Any, why: str = "") -> None:
    """``map(*args)`` raises an error (the document's "an error is raised")."""
    outcome = maps.try_map(*args)
    assert outcome.kind == "raises", (
        f"{described(*args)}{' (' + why + ')' if why else ''}: expected an error to be "
        f"raised, got: {outcome}"
    )


def expect_map(maps: Maps, *args: Any, why: str = "") -> None:
    outcome = maps.try_map(*args)
    assert outcome.kind == "value", (
        f"{described(*args)}{' (' + why + ')' if why else ''}: expected a map, got: {outcome}"
    )


# ----------------------------------------------------------------------------- raised errors


@pytest.mark.clause("map.pagefile.size-required")
@pytest.mark.parametrize("access", ["w", ""])
def test_pagefile_without_size_raises(adapter: Adapter, maps: Maps, access: str) -> None:
    expect_raises(maps, None, access, why="no file, no tagname, no size")


@pytest.mark.clause("map.access.others-raise")
@pytest.mark.parametrize("access", ["r", "rw", "W", "xw", "wc", "ww", "a", " ", "wxc"])
def test_unknown_access_raises(adapter: Adapter, maps: Maps, tmp_path: Path, access: str) -> None:
    path = new_file(tmp_path, pattern(100, seed=10))
    expect_raises(maps, ref(path), access, 100)


@pytest.mark.clause("map.size.must-be-positive")
@pytest.mark.parametrize("size", [0, -1, -4096])
@pytest.mark.parametrize("target", ["file", "missing file", "pagefile"])
def test_size_not_positive_raises(
    adapter: Adapter, maps: Maps, tmp_path: Path, size: int, target: str
) -> None:
    if target == "pagefile":
        require(adapter, "anonymous")
        expect_raises(maps, None, "w", size)
        return
    require(adapter, "file:name")
    path = new_file(tmp_path, b"x" * 10) if target == "file" else new_path(tmp_path)
    expect_raises(maps, ref(path), "w", size, why=target)


@pytest.mark.clause("map.offset.must-be-non-negative")
@pytest.mark.parametrize("offset", [-1, -4096])
def test_negative_offset_raises(adapter: Adapter, maps: Maps, tmp_path: Path, offset: int) -> None:
    path = new_file(tmp_path, pattern(3 * os_page(), seed=11))
    expect_raises(maps, ref(path), "", 10, offset)


@pytest.mark.clause("map.offset.must-be-aligned")
@given(data=st.data())
def test_unaligned_offset_raises(adapter: Adapter, tmp_path: Path, data: st.DataObject) -> None:
    p = os_page()
    offset = data.draw(sst.unaligned_offsets(p), label="offset")
    access = data.draw(sst.accesses(_caps(adapter)), label="access")
    path = new_file(tmp_path, pattern(6 * p, seed=12))
    with Maps(adapter) as maps:
        expect_raises(maps, ref(path), access, 10, offset, why=f"page size {p}")


@pytest.mark.clause("map.addr.zero-raises")
def test_zero_addr_raises(adapter: Adapter, maps: Maps) -> None:
    expect_raises(maps, None, "w", os_page(), None, 0)


@pytest.mark.clause("map.tagname.not-with-file")
def test_tagname_with_file_raises(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    path = new_file(tmp_path, b"z" * 10)
    expect_raises(maps, ref(path), "w", 10, None, None, maps.tagname())


@pytest.mark.clause("map.tagname.no-slashes")
@pytest.mark.parametrize("shape", ["{}/x", "/{}", "{}/", "{}\\x", "\\{}"])
def test_tagname_with_slashes_raises(adapter: Adapter, maps: Maps, shape: str) -> None:
    name = shape.format(maps.tagname())
    expect_raises(maps, None, "w", os_page(), None, None, name)


# ----------------------------------------------------------------------------- 'no_file'


@pytest.mark.clause("map.errcode.no-file")
@pytest.mark.parametrize("access", WITHOUT_WRITE)
@pytest.mark.parametrize("size", [None, 100])
def test_missing_file_without_write_access(
    adapter: Adapter, maps: Maps, tmp_path: Path, access: str, size: int | None
) -> None:
    require(adapter, f"access:{access}" if access else "file:name")
    expect_fails(maps, ("no_file",), ref(new_path(tmp_path)), access, size, why="no such file")


@pytest.mark.clause("map.errcode.no-file-copy-on-write")
@pytest.mark.parametrize("access", COPY_ON_WRITE)
@pytest.mark.parametrize("size", [None, 100])
def test_missing_file_copy_on_write(
    adapter: Adapter, maps: Maps, tmp_path: Path, access: str, size: int | None
) -> None:
    require(adapter, f"access:{access}")
    expect_fails(maps, ("no_file",), ref(new_path(tmp_path)), access, size, why="no such file")


@pytest.mark.clause("map.errcode.no-file-meaning")
@pytest.mark.parametrize("how", ["missing directory", "dangling symlink"])
def test_no_file_means_not_found(adapter: Adapter, maps: Maps, tmp_path: Path, how: str) -> None:
    """Not found in any plain sense: 'no_file'."""
    if how == "missing directory":
        path = tmp_path / "no-such-directory" / "f.bin"
    else:
        path = tmp_path / "dangling"
        path.symlink_to(tmp_path / "no-such-target")
    expect_fails(maps, ("no_file",), ref(path), "", 100, why=how)


@pytest.mark.clause("map.tagname.missing-read-only-fails")
def test_missing_tagname_without_write_access(adapter: Adapter, maps: Maps) -> None:
    """Given a size, so that whether a size may be left out does not matter here."""
    size = os_page()
    expect_fails(
        maps, ("no_file",), None, "", size, None, None, maps.tagname(), why="no such tagname"
    )


# ----------------------------------------------------------------------------- 'file_too_short'


@pytest.mark.clause("map.size.default-empty-file-fails")
@pytest.mark.parametrize(
    ("access", "file_was"),
    [(a, "empty") for a in ("", "w", "c", "x", "wx", "cx")] + [("w", "missing"), ("wx", "missing")],
)
def test_empty_file_without_size(
    adapter: Adapter, maps: Maps, tmp_path: Path, access: str, file_was: str
) -> None:
    """No size and an empty file, in every mode; with write access a missing file is
    created empty, which fails the same way."""
    require(adapter, f"access:{access}" if access else "file:name")
    path = new_file(tmp_path, b"") if file_was == "empty" else new_path(tmp_path)
    expect_fails(maps, ("file_too_short",), ref(path), access, why=f"{file_was} file, no size")


@pytest.mark.clause("map.size.default-with-offset")
@pytest.mark.prerequisites("map.offset.maps-from-offset")
@pytest.mark.parametrize("past", [0, 1], ids=["offset at the end", "offset past the end"])
def test_default_size_with_offset_at_or_past_the_end(
    adapter: Adapter, maps: Maps, tmp_path: Path, past: int
) -> None:
    """Nothing left from the offset to the end: 'file_too_short'."""
    p = os_page()
    path = new_file(tmp_path, pattern(p, seed=13))
    expect_fails(
        maps, ("file_too_short",), ref(path), "", None, (1 + past) * p, why=f"a {p}-byte file"
    )


@pytest.mark.clause("map.tagname.created-empty-fails")
def test_new_tagname_without_size(adapter: Adapter, maps: Maps) -> None:
    expect_fails(
        maps, ("file_too_short",), None, "w", None, None, None, maps.tagname(), why="new tagname"
    )


def _short(data: st.DataObject, p: int, offset: int) -> tuple[int, int]:
    """A file length and a size that runs past its end from ``offset``."""
    length = data.draw(st.integers(0, 3 * p), label="file size")
    size = data.draw(sst.sizes(p, 3).filter(lambda s: offset + s > length), label="size")
    return length, size


def _check_too_short(
    adapter: Adapter, tmp_path: Path, data: st.DataObject, modes: tuple[str, ...]
) -> None:
    p = os_page()
    access = data.draw(sst.accesses(_caps(adapter), modes), label="access")
    length, size = _short(data, p, 0)
    path = new_file(tmp_path, pattern(length, seed=length + 1))
    with Maps(adapter) as maps:
        expect_fails(maps, ("file_too_short",), ref(path), access, size, why=f"{length}-byte file")


@pytest.mark.clause("map.errcode.file-too-short")
@given(data=st.data())
def test_short_file_without_write_access(
    adapter: Adapter, tmp_path: Path, data: st.DataObject
) -> None:
    """A size beyond the end of the file (empty files included), no write access."""
    _check_too_short(adapter, tmp_path, data, WITHOUT_WRITE)


@pytest.mark.clause("map.errcode.file-too-short-copy-on-write")
@given(data=st.data())
def test_short_file_copy_on_write(adapter: Adapter, tmp_path: Path, data: st.DataObject) -> None:
    _check_too_short(adapter, tmp_path, data, COPY_ON_WRITE)


@pytest.mark.clause("map.errcode.file-too-short-meaning")
@pytest.mark.prerequisites("map.offset.maps-from-offset")
@given(data=st.data())
def test_required_size_is_offset_plus_size(
    adapter: Adapter, tmp_path: Path, data: st.DataObject
) -> None:
    """With an offset, the file must hold offset + size: exactly that many bytes map,
    one byte fewer fails (offsets within and beyond the file)."""
    p = os_page()
    offset = data.draw(sst.page_offsets(p, 4).filter(bool), label="offset")
    size = data.draw(sst.sizes(p, 3), label="size")
    content = pattern(offset + size, seed=offset + size)
    exact = new_file(tmp_path, content)
    short = new_file(tmp_path, content[:-1])
    with Maps(adapter) as maps:
        expect_map(maps, ref(exact), "", size, offset, why=f"a file of {offset + size} bytes")
        expect_fails(
            maps,
            ("file_too_short",),
            ref(short),
            "",
            size,
            offset,
            why=f"a file of {offset + size - 1} bytes",
        )


TOO_LARGE = 1 << 60
"""Far more memory than any machine has."""


@pytest.mark.clause("map.errcode.out-of-mem-size")
def test_pagefile_map_too_large(adapter: Adapter, maps: Maps) -> None:
    expect_fails(maps, ("out_of_mem", "file_too_short"), None, "", TOO_LARGE)


@pytest.mark.clause("map.pagefile.cannot-be-resized")
def test_pagefile_is_not_extended_with_write_access(adapter: Adapter, maps: Maps) -> None:
    expect_fails(maps, ("file_too_short", "out_of_mem"), None, "w", TOO_LARGE)


# ----------------------------------------------------------------------------- 'out_of_mem'


@pytest.mark.clause("map.errcode.out-of-mem-addr-too-large")
def test_address_too_large(adapter: Adapter, maps: Maps) -> None:
    expect_fails(maps, ("out_of_mem",), None, "w", os_page(), None, 1 << 62)


@pytest.mark.clause("map.errcode.out-of-mem-addr-in-use")
@pytest.mark.parametrize("where", ["same start", "overlapping"])
def test_address_in_use(adapter: Adapter, maps: Maps, where: str) -> None:
    """An address in use fails, and the map living there is untouched."""
    p = os_page()
    data = pattern(2 * p, seed=14)
    with prerequisite("map.file.omitted-maps-pagefile", f"map(nil, 'w', {2 * p}) and a write"):
        live = maps.map(None, "w", 2 * p)
        adapter.write(live.handle, 0, data)
    assert live.addr is not None
    at = live.addr if where == "same start" else live.addr + p
    expect_fails(maps, ("out_of_mem",), None, "w", 2 * p, None, at, why=f"{where} as a live map")
    same(
        adapter.read(live.handle, 0, 2 * p),
        data,
        f"{described(None, 'w', 2 * p, None, at)}: the live map at that address was clobbered",
    )


@pytest.mark.clause("map.addr.used")
def test_freed_address_can_be_reused(adapter: Adapter, maps: Maps) -> None:
    """Not "in use" once freed: the same address can be asked for again."""
    p = os_page()
    with prerequisite("free.releases-memory", f"map(nil, 'w', {p}) then free()"):
        where = free_address(adapter, maps, p)
    outcome = maps.try_map(None, "w", p, None, where)
    call = described(None, "w", p, None, where)
    assert outcome.kind == "value", f"{call}: expected a map, got: {outcome}"
    assert outcome.value.addr == where, (
        f"{call}: expected map.addr {where:#x}, got {outcome.value.addr!r}"
    )


# ----------------------------------------------------------------------------- OS errors


@pytest.mark.clause("map.errcode.os-specific")
def test_directory_as_file(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    directory = tmp_path / "a-directory"
    directory.mkdir()
    expect_fails(maps, ("os_error",), ref(directory), "w", 100, why="a directory")


# ----------------------------------------------------------------------------- 'disk_full'


DISK_FULL_SIZE = 4 << 20
"""More than the full filesystem (or the file-size limit) lets a file grow to."""


@contextlib.contextmanager
def full_disk(
    adapter: Adapter, tmp_path: Path, record_property: RecordProperty
) -> Iterator[tuple[Adapter, Path]]:
    """An implementation and a directory where no file can grow: a real 1 MiB tmpfs,
    filled up, when this process may mount one; otherwise a file-size limit
    (RLIMIT_FSIZE, 64 KiB) set on an isolated implementation process, whose files then
    cannot grow past it. Which one is recorded as the 'disk_full_method' property."""
    with small_tmpfs(tmp_path, "1m") as mounted:
        if mounted is not None:
            record_property("disk_full_method", "tmpfs size=1m, filled")
            # Files the tests need first; then fill what is left.
            yield adapter, _filled(mounted)
            return
    if not sys.platform.startswith("linux"):
        pytest.skip("no full disk to be had: cannot mount a tmpfs and no prlimit here")
    import resource  # POSIX only; prlimit on Linux

    record_property("disk_full_method", "RLIMIT_FSIZE=64KiB on an isolated implementation process")
    with isolated(adapter) as other:
        limit = 64 * 1024
        resource.prlimit(other.pid, resource.RLIMIT_FSIZE, (limit, limit))
        yield other, tmp_path


def _filled(directory: Path) -> Path:
    """A directory inside ``directory`` for the test's files, after filling the
    filesystem up to a few pages (kept for the files the test makes itself)."""
    work = directory / "work"
    work.mkdir()
    reserve = work / "reserve"
    reserve.write_bytes(b"\1" * (64 * 1024))
    with open(directory / "filler", "wb") as filler, contextlib.suppress(OSError):
        while True:
            filler.write(b"\0" * 65536)
            filler.flush()
    reserve.unlink()
    return work


@pytest.mark.clause("map.errcode.disk-full")
@pytest.mark.parametrize("file_was", ["missing", "short"])
def test_disk_full(
    adapter: Adapter, tmp_path: Path, record_property: RecordProperty, file_was: str
) -> None:
    """Extending a file beyond what the filesystem can hold fails with 'disk_full'."""
    content = pattern(os_page(), seed=15)
    with full_disk(adapter, tmp_path, record_property) as (impl, directory):
        path = new_path(directory) if file_was == "missing" else new_file(directory, content)
        with Maps(impl) as maps:
            expect_fails(
                maps, ("disk_full",), ref(path), "w", DISK_FULL_SIZE, why=f"{file_was}, disk full"
            )


@pytest.mark.clause("map.errcode.disk-full-meaning")
@pytest.mark.parametrize("case", ["no extension needed", "no write access"])
def test_disk_full_only_when_extending(
    adapter: Adapter, tmp_path: Path, record_property: RecordProperty, case: str
) -> None:
    """'disk_full' is about extending: on a full disk a map that needs no extension
    succeeds, and a short file without write access is not 'disk_full' (which code it
    is instead is map.errcode.file-too-short's business)."""
    p = os_page()
    content = pattern(p, seed=16)
    if case == "no extension needed":
        # The same map on a disk with room works, so a failure below is the full disk's.
        with (
            prerequisite("map.access.w", f"map(file of {p} bytes, 'w', {p})"),
            Maps(adapter) as maps,
        ):
            expect_map(maps, ref(new_file(tmp_path, content)), "w", p)
    with full_disk(adapter, tmp_path, record_property) as (impl, directory):
        path = new_file(directory, content)
        with Maps(impl) as maps:
            if case == "no extension needed":
                expect_map(maps, ref(path), "w", p, why="a file long enough on a full disk")
                return
            args = (ref(path), "", DISK_FULL_SIZE)
            outcome = maps.try_map(*args)
            assert not (outcome.kind == "fails" and outcome.errcode == "disk_full"), (
                f"{described(*args)} of a {p}-byte file on a full disk, without write access: "
                f"nothing to extend, yet got: {outcome}"
            )


# ----------------------------------------------------------------------------- aftermath


def _provoke(maps: Maps, case: str, path: Path, p: int) -> str:
    """Make ``map`` fail on an existing file in the way ``case`` names, inside the
    prerequisite of the clause that promises that failure; return the call."""
    if case == "short, read-only":
        args: tuple[Any, ...] = (ref(path), "", 4 * p)
        clause, codes = "map.errcode.file-too-short", ("file_too_short",)
    elif case == "empty, no size, 'w'":
        args = (ref(path), "w")
        clause, codes = "map.size.default-empty-file-fails", ("file_too_short",)
    else:
        args = (ref(path), "w", DISK_FULL_SIZE)
        clause, codes = "map.errcode.disk-full", ("disk_full",)
    with prerequisite(clause, f"{described(*args)} expected to fail with {codes[0]!r}"):
        expect_fails(maps, codes, *args)
    return described(*args)


@pytest.mark.clause("map.fails.leaves-files-alone")
@pytest.mark.parametrize("case", ["short, read-only", "empty, no size, 'w'", "disk full, 'w'"])
def test_failing_map_leaves_the_file_alone(
    adapter: Adapter, tmp_path: Path, record_property: RecordProperty, case: str
) -> None:
    """A failed map does not truncate, rewrite or remove the file it was given."""
    p = os_page()
    content = b"" if case.startswith("empty") else pattern(p, seed=17)
    if case.startswith("disk full"):
        with full_disk(adapter, tmp_path, record_property) as (impl, directory):
            path = new_file(directory, content)
            with Maps(impl) as maps:
                call = _provoke(maps, case, path, p)
            assert path.is_file(), f"{call} failed and removed {path.name}"
            same(path.read_bytes(), content, f"{call} failed; the file afterwards")
        return
    path = new_file(tmp_path, content)
    with Maps(adapter) as maps:
        call = _provoke(maps, case, path, p)
    assert path.is_file(), f"{call} failed and removed {path.name}"
    same(path.read_bytes(), content, f"{call} failed; the file afterwards")


def _failed(outcome: Outcome, call: str) -> None:
    """What this clause is about needs a failing map; whether it should fail is another
    clause's question."""
    if outcome.kind != "fails":
        pytest.skip(f"{call} {outcome}: no failure, so no debris to look for")


@pytest.mark.clause("map.fails.removes-created-file")
@pytest.mark.parametrize("case", ["no size", "disk full"])
def test_failing_map_removes_the_file_it_created(
    adapter: Adapter, tmp_path: Path, record_property: RecordProperty, case: str
) -> None:
    """A map with write access creates the missing file, then fails: the file is gone."""
    if case == "no size":
        path = new_path(tmp_path)
        with Maps(adapter) as maps:
            _failed(maps.try_map(ref(path), "w"), described(ref(path), "w"))
        assert not path.exists(), f"{described(ref(path), 'w')} failed and left {path.name}"
        return
    with full_disk(adapter, tmp_path, record_property) as (impl, directory):
        path = new_path(directory)
        call = described(ref(path), "w", DISK_FULL_SIZE)
        with Maps(impl) as maps:
            _failed(maps.try_map(ref(path), "w", DISK_FULL_SIZE), call)
        assert not path.exists(), f"{call} failed and left {path.name}"


@pytest.mark.clause("map.fails.removes-created-file")
@pytest.mark.needs("tagname")
def test_failing_map_removes_the_shared_memory_it_created(adapter: Adapter, maps: Maps) -> None:
    """A new tagname with write access and no size fails; its shared memory file
    (/dev/shm on Linux) is not left behind."""
    shm = Path("/dev/shm")
    if not shm.is_dir():
        pytest.skip("no /dev/shm: shared memory files are looked for on Linux only")
    tag = maps.tagname()
    call = described(None, "w", None, None, None, tag)
    _failed(maps.try_map(None, "w", None, None, None, tag), call)
    assert not (shm / tag).exists(), f"{call} failed and left /dev/shm/{tag}"
