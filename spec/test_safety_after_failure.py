"""Safety after a documented failure: a failing map or mirror leaves no descriptor open
(/proc/PID/fd; Windows: handles), maps nothing, and leaves the mapping in its way as
it was (/proc/PID/maps; Windows: ``VirtualQueryEx``).

These clauses (``basis="safety"``) are in no sentence of the document, yet every user
of a memory-mapping library counts on them. They are judged like any other, from what
the OS says about the implementation's process; where the OS or the machine cannot
say, a test is skipped and says why.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
from mmapspec.adapters.interface import Adapter, MapInfo
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.catalogue import BY_ID
from mmapspec.spec.support import (
    Maps,
    Outcome,
    ProcMapsEntry,
    assert_no_new_fds,
    backing_file,
    mapped_name,
    new_file,
    new_path,
    open_fds,
    os_page,
    overlaps,
    pattern,
    proc_maps,
    ref,
    require_fds,
    require_proc,
    shm_path,
)


@dataclasses.dataclass(frozen=True)
class Scene:
    """What a failing call is made against, set up once before anything is counted."""

    way: MapInfo | None = None
    """A live map whose address the call asks for."""
    tagname: str | None = None
    """The tagname of an existing one-page shared memory object."""


Provoke = Callable[[Adapter, Maps, Path, set[str], Scene], Outcome]


@dataclasses.dataclass(frozen=True)
class Failing:
    """A documented failure, provoked: ``provoke`` makes the call that must fail and
    returns its outcome; ``promised_by`` is the clause that says it fails."""

    promised_by: str
    provoke: Provoke
    """(adapter, maps, tmp_path, backing, scene): adds the files it uses to ``backing``."""
    scene: tuple[str, ...] = ()
    """What of :class:`Scene` the call needs: ``way``, ``tagname``."""


def _file(tmp_path: Path, backing: set[str], content: bytes) -> Path:
    path = new_file(tmp_path, content)
    backing.add(mapped_name(path))
    return path


def _no_file(a: Adapter, maps: Maps, tmp: Path, backing: set[str], scene: Scene) -> Outcome:
    path = new_path(tmp)
    backing.add(mapped_name(path))
    return maps.try_map(ref(path), "")


def _empty(access: str) -> Provoke:
    def provoke(a: Adapter, maps: Maps, tmp: Path, backing: set[str], scene: Scene) -> Outcome:
        return maps.try_map(ref(_file(tmp, backing, b"")), access)

    return provoke


def _short(kind: str) -> Provoke:
    def provoke(a: Adapter, maps: Maps, tmp: Path, backing: set[str], scene: Scene) -> Outcome:
        path = _file(tmp, backing, pattern(os_page(), seed=910))
        return maps.try_map(ref(path, kind, "r"), "", 3 * os_page())

    return provoke


def _short_tagname(a: Adapter, maps: Maps, tmp: Path, backing: set[str], scene: Scene) -> Outcome:
    assert scene.tagname is not None
    on_disk = shm_path(scene.tagname)
    if on_disk is not None:  # Windows: a named section has no file to look for
        backing.add(on_disk)
    return maps.try_map(None, "", 3 * os_page(), tagname=scene.tagname)


def _map_in_use(a: Adapter, maps: Maps, tmp: Path, backing: set[str], scene: Scene) -> Outcome:
    assert scene.way is not None
    path = _file(tmp, backing, pattern(os_page(), seed=911))
    return maps.try_map(ref(path), "", os_page(), addr=scene.way.addr)


def _mirror_in_use(a: Adapter, maps: Maps, tmp: Path, backing: set[str], scene: Scene) -> Outcome:
    assert scene.way is not None
    path = _file(tmp, backing, pattern(os_page(), seed=912))
    return maps.try_mirror(ref(path), os_page(), 2, scene.way.addr)


FAILURES = (
    pytest.param(
        Failing("map.errcode.no-file", _no_file), id="no_file", marks=pytest.mark.needs("file:name")
    ),
    pytest.param(
        Failing("map.size.default-empty-file-fails", _empty("")),
        id="file_too_short-empty",
        marks=pytest.mark.needs("file:name"),
    ),
    pytest.param(
        Failing("map.size.default-empty-file-fails", _empty("w")),
        id="file_too_short-empty-w",
        marks=pytest.mark.needs("file:name", "access:w"),
    ),
    pytest.param(
        Failing("map.errcode.file-too-short", _short("name")),
        id="file_too_short-short",
        marks=pytest.mark.needs("file:name"),
    ),
    pytest.param(
        Failing("map.errcode.file-too-short", _short("fd")),
        id="file_too_short-short-fd",
        marks=pytest.mark.needs("file:fd"),
    ),
    pytest.param(
        Failing("map.tagname.short-read-only-fails", _short_tagname, ("tagname",)),
        id="file_too_short-tagname",
        marks=pytest.mark.needs("tagname", "access:w"),
    ),
    pytest.param(
        Failing("map.errcode.out-of-mem-addr-in-use", _map_in_use, ("way",)),
        id="out_of_mem-map",
        marks=pytest.mark.needs("file:name", "anonymous", "addr", "addr_request"),
    ),
    pytest.param(
        Failing("mirror.errcode.out-of-mem-addr-in-use", _mirror_in_use, ("way",)),
        id="out_of_mem-mirror",
        marks=pytest.mark.needs("mirror", "file:name", "anonymous", "addr", "addr_request"),
    ),
)


def _failing(
    adapter: Adapter, maps: Maps, tmp_path: Path, case: Failing
) -> tuple[Callable[[set[str]], None], Scene]:
    """Sets up ``case``'s scene; returns the call that provokes it once (it must fail)."""
    p = os_page()
    way = maps.map(None, "w", 4 * p) if "way" in case.scene else None
    tagname = maps.tagname() if "tagname" in case.scene else None
    if tagname is not None:
        maps.free(maps.map(None, "w", p, tagname=tagname))
    scene = Scene(way, tagname)

    def provoke(backing: set[str]) -> None:
        if BY_ID[case.promised_by].basis == "reading":
            # A reading cannot block (a binding may read the spot otherwise): a call that
            # does not fail leaves no failure to judge here, and the reading says so.
            outcome = case.provoke(adapter, maps, tmp_path, backing, scene)
            if outcome.kind == "value":
                pytest.skip(f"the call did not fail ({case.promised_by} reads it as one)")
            return
        with prerequisite(case.promised_by, "provoking the failure"):
            outcome = case.provoke(adapter, maps, tmp_path, backing, scene)
            assert outcome.kind != "value", f"the call was to fail, but it {outcome}"

    return provoke, scene


@pytest.mark.clause("safety.descriptors.no-leak-after-failure")
@pytest.mark.parametrize("case", FAILURES)
def test_failure_leaves_no_descriptor(
    adapter: Adapter, maps: Maps, tmp_path: Path, case: Failing
) -> None:
    pid = adapter.pid
    require_fds(pid)
    provoke, _ = _failing(adapter, maps, tmp_path, case)
    provoke(set())  # once first, so that one-time setup is not counted
    before = open_fds(pid)
    provoke(set())
    assert_no_new_fds(before, open_fds(pid), f"the failing call ({case.promised_by})")


@pytest.mark.clause("safety.mappings.no-leak-after-failure")
@pytest.mark.parametrize("case", FAILURES)
def test_failure_leaves_nothing_mapped(
    adapter: Adapter, maps: Maps, tmp_path: Path, case: Failing
) -> None:
    pid = adapter.pid
    require_proc(pid)
    provoke, scene = _failing(adapter, maps, tmp_path, case)
    way = scene.way
    lo, hi = (way.addr, way.addr + way.size) if way is not None and way.addr else (0, 0)

    def watched() -> set[ProcMapsEntry]:
        # Clipped to the map in the way: the kernel merges it with neighbours of the same
        # kind, which the runtime may grow or shrink meanwhile.
        return {
            ProcMapsEntry(max(r.start, lo), min(r.end, hi), r.perms, r.path)
            for r in proc_maps(pid)
            if overlaps(r, lo, hi)
        }

    before = watched()
    mapped_before = set(proc_maps(pid))
    backing: set[str] = set()
    provoke(backing)
    if not backing and way is None:
        pytest.skip(
            "nothing to look for: the OS shows a tagname's shared memory under no file "
            "name (Windows: a named section), and the call asked for no address"
        )
    left = [r for r in proc_maps(pid) if backing_file(r) in backing and r not in mapped_before]
    assert not left, f"the failing call ({case.promised_by}) left mapped: " + "; ".join(
        f"{r.start:#x}-{r.end:#x} {r.perms} {r.path}" for r in left
    )
    after = watched()
    assert after == before, (
        f"the mapping in the way at {lo:#x} changed: {sorted(before, key=str)} became "
        f"{sorted(after, key=str)}"
    )
