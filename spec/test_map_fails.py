"""``mmap.map``: what a failing map leaves behind (the ``map.fails.*`` clauses): the
file it was given untouched, no file or shared memory it created.

Each test provokes the failure inside a prerequisite (its errcode is another
clause's business) and judges only what the failing call left behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mmapspec.adapters.interface import Adapter
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import (
    DISK_FULL_SIZE,
    Maps,
    Outcome,
    full_disk,
    new_file,
    new_path,
    os_page,
    pattern,
    ref,
    same,
)
from mmapspec.spec.support.full_disk import RecordProperty
from mmapspec.spec.support.map_calls import described, expect_fails
from mmapspec.spec.support.tagnames import require_shm, shm_exists, shm_name

"""pytest's ``record_property`` fixture."""


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
    with prerequisite(clause, f"{described('map', *args)} expected to fail with {codes[0]!r}"):
        expect_fails(maps, codes, *args)
    return described("map", *args)


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
            _failed(maps.try_map(ref(path), "w"), described("map", ref(path), "w"))
        assert not path.exists(), f"{described('map', ref(path), 'w')} failed and left {path.name}"
        return
    with full_disk(adapter, tmp_path, record_property) as (impl, directory):
        path = new_path(directory)
        call = described("map", ref(path), "w", DISK_FULL_SIZE)
        with Maps(impl) as maps:
            _failed(maps.try_map(ref(path), "w", DISK_FULL_SIZE), call)
        assert not path.exists(), f"{call} failed and left {path.name}"


@pytest.mark.clause("map.fails.removes-created-file")
@pytest.mark.needs("tagname")
def test_failing_map_removes_the_shared_memory_it_created(adapter: Adapter, maps: Maps) -> None:
    """A new tagname with write access and no size fails; its shared memory file
    (/dev/shm on Linux, a named section on Windows) is not left behind."""
    require_shm("whether the failed map left shared memory is asked of the OS")
    tag = maps.tagname()
    call = described("map", None, "w", None, None, None, tag)
    _failed(maps.try_map(None, "w", None, None, None, tag), call)
    assert not shm_exists(tag), f"{call} failed and left {shm_name(tag)}"
