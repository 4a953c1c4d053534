"""Several processes, and the documented crashes: everything here runs a second instance
of the implementation in a fresh process (``isolated()`` in ``support/processes.py``),
so a crash kills that process and is reported as :class:`ImplementationCrashed`, never
the runner."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mmapspec.adapters.interface import Adapter, ImplementationCrashed
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import (
    Maps,
    is_memory_fault,
    isolated,
    memory_faults,
    new_file,
    os_page,
    pattern,
    ref,
    same,
)


def _expect_crash(action: object, what: str) -> None:
    with pytest.raises(ImplementationCrashed) as crash:
        action()  # type: ignore[operator]
    assert is_memory_fault(crash.value), (
        f"{what}: the implementation process died, but by {crash.value}, not {memory_faults}"
    )


@pytest.mark.clause("map.tagname.two-processes")
@pytest.mark.prerequisites("map.tagname.same-process")
def test_tagname_shares_memory_between_processes(adapter: Adapter, maps: Maps) -> None:
    """Same tagname in two processes, both giving the size: each sees the other's
    writes, and the memory outlives the other process."""
    p = os_page()
    tag = maps.tagname()
    call = f"map(nil, 'w', {2 * p}, nil, nil, {tag!r})"
    here = maps.map(None, "w", 2 * p, None, None, tag)
    data = pattern(2 * p, seed=60)
    adapter.write(here.handle, 0, data)
    with isolated(adapter) as other:
        there = other.map(None, "w", 2 * p, None, None, tag)
        same(other.read(there.handle, 0, 2 * p), data, f"{call} in another process")
        other.write(there.handle, p - 3, b"from afar")
        same(adapter.read(here.handle, p - 3, 9), b"from afar", f"{call}: the other's write")
        other.free(there.handle)
    same(
        adapter.read(here.handle, p - 3, 9),
        b"from afar",
        f"{call}: the other's write after the other process exited",
    )


@pytest.mark.clause("map.note.synchronized-sharing")
@pytest.mark.prerequisites("map.tagname.two-processes")
def test_synchronized_turns_see_each_other(adapter: Adapter, maps: Maps) -> None:
    """Two processes take strictly ordered turns writing the same shared memory, each
    turn a different part of it: after every turn the other process sees everything
    written so far, its own bytes included."""
    p = os_page()
    size = 2 * p
    tag = maps.tagname()
    call = f"map(nil, 'w', {size}, nil, nil, {tag!r})"
    with isolated(adapter) as other:
        with prerequisite("map.tagname.two-processes", f"{call} in both processes"):
            here = maps.map(None, "w", size, None, None, tag)
            there = other.map(None, "w", size, None, None, tag)
        expected = bytearray(size)
        sides = ((adapter, here.handle, "this"), (other, there.handle, "the other"))
        for turn in range(8):
            writer, handle, name = sides[turn % 2]
            reader, seen_by, reader_name = sides[1 - turn % 2]
            chunk = pattern(p // 4, seed=70 + turn)
            at = (turn * 613) % (size - len(chunk))
            writer.write(handle, at, chunk)
            expected[at : at + len(chunk)] = chunk
            same(
                reader.read(seen_by, 0, size),
                expected,
                f"{call}: after turn {turn} ({name} process wrote {len(chunk)} bytes at {at}), "
                f"{reader_name} process",
            )


@pytest.mark.clause("unlink.while-mapped")
@pytest.mark.prerequisites("map.tagname.two-processes")
def test_unlink_while_another_process_maps(adapter: Adapter, maps: Maps) -> None:
    p = os_page()
    tag = maps.tagname()
    with isolated(adapter) as other:
        with prerequisite("map.tagname.two-processes", f"map(nil, 'w', {p}, nil, nil, {tag!r})"):
            here = maps.map(None, "w", p, None, None, tag)
            there = other.map(None, "w", p, None, None, tag)
        other.unlink(tag)
        adapter.write(here.handle, 0, b"after unlink")
        same(other.read(there.handle, 0, 12), b"after unlink")
        other.write(there.handle, 0, b"and back....")
        same(adapter.read(here.handle, 0, 12), b"and back....")


@pytest.mark.clause("map.note.write-read-only-crashes")
@pytest.mark.parametrize("access", ["", "x"])
@pytest.mark.parametrize("target", ["file", "pagefile"])
def test_writing_a_read_only_map_crashes(
    adapter: Adapter, tmp_path: Path, access: str, target: str
) -> None:
    caps = adapter.capabilities.names()
    needed = {f"access:{access}", "file:name" if target == "file" else "anonymous"}
    if needed - caps:  # this case's needs, not the clause's: the other cases judge it
        pytest.skip(f"this check needs {', '.join(sorted(needed - caps))}, which the adapter lacks")
    p = os_page()
    content = pattern(p, seed=61)
    path = new_file(tmp_path, content)
    clause = "map.access.x" if access == "x" else "map.access.default-read-only"
    if target == "pagefile":
        clause = "map.file.omitted-maps-pagefile"
    with isolated(adapter) as other:
        with prerequisite(clause, f"map of the {target}, access {access!r}, in another process"):
            m = other.map(ref(path), access, p) if target == "file" else other.map(None, access, p)
        _expect_crash(
            lambda: other.write(m.handle, 10, b"forbidden"), f"writing to a {access!r} map"
        )
    same(path.read_bytes(), content, "the forbidden write reached the file")


@pytest.mark.clause("mmap.limitation.io-error-crashes")
def test_io_error_in_mapped_memory_crashes(adapter: Adapter, tmp_path: Path) -> None:
    """The file shrinks under a live map; touching a page past its new end is an I/O error."""
    p = os_page()
    path = new_file(tmp_path, pattern(3 * p, seed=62))
    with isolated(adapter) as other:
        with prerequisite("map.access.default-read-only", f"map(file, '', {3 * p})"):
            m = other.map(ref(path), "", 3 * p)
        try:
            os.truncate(path, 0)
        except OSError as exc:
            pytest.skip(
                f"the OS refuses to shrink a file while it is mapped ({exc}; Windows: "
                "ERROR_USER_MAPPED_FILE), so the I/O error of mapped memory cannot be provoked"
            )
        if path.stat().st_size != 0:  # Wine: the call succeeds and the size stays
            pytest.skip(
                f"the OS did not shrink the mapped file (still {path.stat().st_size} bytes "
                "after truncating it to 0), so the I/O error of mapped memory cannot be provoked"
            )
        _expect_crash(
            lambda: other.read(m.handle, 2 * p, 16), "reading past a truncated file's end"
        )
