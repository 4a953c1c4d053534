"""Safety after ``free``: a freed map or mirror leaves no descriptor open
(/proc/PID/fd; Windows: handles) and nothing mapped (/proc/PID/maps, /proc/PID/mem;
Windows: ``VirtualQueryEx``, ``ReadProcessMemory``).

These clauses (``basis="safety"``) are in no sentence of the document, yet every user
of a memory-mapping library counts on them. They are judged like any other, from what
the OS says about the implementation's process; where the OS or the machine cannot
say, a test is skipped and says why.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from mmapspec.adapters.interface import Adapter, MapInfo, MirrorInfo
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import (
    Maps,
    assert_no_new_fds,
    backing_file,
    is_anonymous,
    mapped_name,
    mappings_source,
    new_file,
    open_fds,
    os_page,
    overlaps,
    pattern,
    proc_maps,
    read_mem,
    ref,
    require_fds,
    require_proc,
    shm_path,
)


@dataclasses.dataclass
class Made:
    """One map or mirror a test made: what to look for in /proc once it is freed."""

    info: MapInfo | MirrorInfo
    span: int
    """Bytes from ``addr`` the map or mirror covers (all copies of a mirror)."""
    backing: frozenset[str]
    """The files and shared-memory objects it maps."""
    marker: bytes | None = None
    """Bytes written at ``addr`` of anonymous memory, which only a leaked map still holds."""


def _leftovers(pid: int, made: Made) -> list[str]:
    """What of a freed map or mirror the process still maps."""
    left = []
    addr = made.info.addr
    for r in proc_maps(pid):
        if backing_file(r) in made.backing:
            left.append(f"{r.start:#x}-{r.end:#x} {r.perms} {r.path}")
            continue
        if addr is None or not overlaps(r, addr, addr + made.span) or not is_anonymous(r):
            continue
        if r.perms.startswith("---"):
            left.append(f"{r.start:#x}-{r.end:#x} {r.perms}: a reservation at the map's address")
        elif made.marker is not None and r.perms.startswith("r"):
            held = read_mem(pid, addr, len(made.marker))
            if held is None:
                pytest.skip(
                    f"the memory of process {pid} cannot be read: anonymous memory found "
                    "at the map's address cannot be told from the runtime's own"
                )
            if held == made.marker:
                left.append(f"{r.start:#x}-{r.end:#x} {r.perms}: still holds what the test wrote")
    return left


KINDS = (
    pytest.param("name", "", id="name-r", marks=pytest.mark.needs("file:name")),
    pytest.param("name", "w", id="name-w", marks=pytest.mark.needs("file:name", "access:w")),
    pytest.param("fd", "w", id="fd", marks=pytest.mark.needs("file:fd", "access:w")),
    pytest.param("fileobj", "w", id="fileobj", marks=pytest.mark.needs("file:fileobj", "access:w")),
    pytest.param("tagname", "w", id="tagname", marks=pytest.mark.needs("tagname", "access:w")),
    pytest.param("pagefile", "w", id="pagefile", marks=pytest.mark.needs("anonymous", "access:w")),
    pytest.param("mirror", "w", id="mirror", marks=pytest.mark.needs("mirror", "file:name")),
)


def _closing_promised(params: tuple[Any, ...]) -> tuple[Any, ...]:
    """``KINDS`` where a file map opened by name declares the document's own promise
    to close it (``free.closes-file-opened-by-map``) a prerequisite: a binding that
    breaks it fails that clause, and this one is blocked rather than failed twice."""
    closing = pytest.mark.prerequisites("free.closes-file-opened-by-map")
    return tuple(
        pytest.param(
            *p.values, id=p.id, marks=[*p.marks, closing] if p.values[0] == "name" else p.marks
        )
        for p in params
    )


def _mirror_freeing_promised(params: tuple[Any, ...]) -> tuple[Any, ...]:
    """``KINDS`` where the mirror declares the document's own promise that freeing it
    frees every copy (``mirror.free-frees-all``) a prerequisite: a copy left mapped
    fails that clause, and this one is blocked rather than failed twice."""
    frees_all = pytest.mark.prerequisites("mirror.free-frees-all")
    return tuple(
        pytest.param(
            *p.values, id=p.id, marks=[*p.marks, frees_all] if p.values[0] == "mirror" else p.marks
        )
        for p in params
    )


PROMISED_BY = {
    "name": "map.file.name",
    "fd": "map.file.fd",
    "fileobj": "map.file.fileobj",
    "tagname": "map.tagname.same-process",
    "pagefile": "map.file.omitted-maps-pagefile",
    "mirror": "mirror.form.table",
}
"""The clause that promises a map (or mirror) of each kind can be made."""


def _make(adapter: Adapter, maps: Maps, tmp_path: Path, kind: str, access: str) -> Made:
    """Map (or mirror) something of ``kind``, touch its memory, and say what it maps."""
    with prerequisite(PROMISED_BY[kind], f"making a map of kind {kind!r} and touching it"):
        return _made(adapter, maps, tmp_path, kind, access)


def _made(adapter: Adapter, maps: Maps, tmp_path: Path, kind: str, access: str) -> Made:
    p = os_page()
    if kind == "pagefile":
        m = maps.map(None, access, 3 * p)
        marker = pattern(64, seed=900)
        adapter.write(m.handle, 0, marker)
        return Made(m, 3 * p, frozenset(), marker)
    if kind == "tagname":
        name = maps.tagname()
        m = maps.map(None, access, 3 * p, tagname=name)
        marker = pattern(64, seed=901)
        adapter.write(m.handle, 0, marker)
        on_disk = shm_path(name)
        if on_disk is None:  # no file to look for (Windows): the memory at its address
            return Made(m, 3 * p, frozenset(), marker)
        return Made(m, 3 * p, frozenset({on_disk}))
    path = new_file(tmp_path, pattern(3 * p, seed=902))
    backing = frozenset({mapped_name(path)})
    if kind == "mirror":
        mi = maps.mirror(ref(path), 2 * p, 2)  # two copies, whatever the default
        adapter.write(mi.handle, 2 * p - 8, pattern(16, seed=903))
        return Made(mi, 4 * p, backing)
    m = maps.map(ref(path, kind, "r+" if access else "r"), access)
    adapter.read(m.handle, 0, 64)
    return Made(m, 3 * p, backing)


@pytest.mark.clause("safety.descriptors.no-leak-after-free")
@pytest.mark.parametrize(("kind", "access"), _closing_promised(KINDS))
def test_free_leaves_no_descriptor(
    adapter: Adapter, maps: Maps, tmp_path: Path, kind: str, access: str
) -> None:
    pid = adapter.pid
    require_fds(pid)
    maps.free(_make(adapter, maps, tmp_path, kind, access).info)  # one-time setup goes here
    before = open_fds(pid)
    made = _make(adapter, maps, tmp_path, kind, access)
    maps.free(made.info)
    assert_no_new_fds(before, open_fds(pid), f"map ({kind}, {access!r}) + free")


@pytest.mark.clause("safety.mappings.no-leak-after-free")
@pytest.mark.parametrize(("kind", "access"), _mirror_freeing_promised(KINDS))
def test_free_leaves_nothing_mapped(
    adapter: Adapter, maps: Maps, tmp_path: Path, kind: str, access: str
) -> None:
    pid = adapter.pid
    require_proc(pid)
    made = _make(adapter, maps, tmp_path, kind, access)
    assert (
        made.info.addr is None
        or not made.backing
        or any(backing_file(r) in made.backing for r in proc_maps(pid))
    ), f"the live map ({kind}) is not in {mappings_source(pid)} under {sorted(made.backing)}"
    maps.free(made.info)
    left = _leftovers(pid, made)
    assert not left, f"after map ({kind}, {access!r}) + free, still mapped: " + "; ".join(left)
