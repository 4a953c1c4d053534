"""Several processes, and the documented crashes: everything here runs a second instance
of the implementation in a fresh process (``Adapter.isolated``), so a crash kills that
process and is reported as :class:`ImplementationCrashed`, never the runner."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from mmapspec.adapters.interface import Adapter, ImplementationCrashed
from mmapspec.spec.support import Maps, isolated, new_file, page, pattern, ref, same

CRASH_SIGNALS = (signal.SIGSEGV, signal.SIGBUS)


def _expect_crash(action: object, what: str) -> None:
    with pytest.raises(ImplementationCrashed) as crash:
        action()  # type: ignore[operator]
    assert crash.value.signal in CRASH_SIGNALS, (
        f"{what}: the implementation process died, but by {crash.value}, not SIGSEGV or SIGBUS"
    )


@pytest.mark.clause("map.tagname.two-processes", "map.note.synchronized-sharing")
def test_tagname_shares_memory_between_processes(adapter: Adapter, maps: Maps) -> None:
    """Same tagname in two processes, accesses strictly ordered: each sees the other's writes."""
    p = page(adapter)
    tag = maps.tagname()
    here = maps.map(None, "w", 2 * p, None, None, tag)
    data = pattern(2 * p, seed=60)
    adapter.write(here.handle, 0, data)
    with isolated(adapter) as other:
        there = other.map(None, "w", None, None, None, tag)
        assert there.size == 2 * p
        same(other.read(there.handle, 0, 2 * p), data, "the other process sees other bytes")
        other.write(there.handle, p - 3, b"from afar")
        same(adapter.read(here.handle, p - 3, 9), b"from afar")
        other.free(there.handle)
    same(adapter.read(here.handle, p - 3, 9), b"from afar", "after the other process exited")


@pytest.mark.clause("unlink.while-mapped")
def test_unlink_while_another_process_maps(adapter: Adapter, maps: Maps) -> None:
    p = page(adapter)
    tag = maps.tagname()
    here = maps.map(None, "w", p, None, None, tag)
    with isolated(adapter) as other:
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
    if needed - caps:
        pytest.skip("unsupported: " + ", ".join(sorted(needed - caps)))
    p = page(adapter)
    content = pattern(p, seed=61)
    path = new_file(tmp_path, content)
    with isolated(adapter) as other:
        m = other.map(ref(path), access, p) if target == "file" else other.map(None, access, p)
        _expect_crash(
            lambda: other.write(m.handle, 10, b"forbidden"), f"writing to a {access!r} map"
        )
    same(path.read_bytes(), content, "the forbidden write reached the file")


@pytest.mark.clause("mmap.limitation.io-error-crashes")
def test_io_error_in_mapped_memory_crashes(adapter: Adapter, tmp_path: Path) -> None:
    """The file shrinks under a live map; touching a page past its new end is an I/O error."""
    p = page(adapter)
    path = new_file(tmp_path, pattern(3 * p, seed=62))
    with isolated(adapter) as other:
        m = other.map(ref(path), "", 3 * p)
        os.truncate(path, 0)
        _expect_crash(
            lambda: other.read(m.handle, 2 * p, 16), "reading past a truncated file's end"
        )
