"""Safety across exec: no descriptor the implementation opens for a map is inherited by
a program the process starts (``FD_CLOEXEC``, seen in /proc/PID/fdinfo).

A binding that opens files without ``O_CLOEXEC`` hands every file it maps to every
child started with fork+exec: they hold it open (a deleted file's space is never
freed, a lock never released) and can read or write it. These clauses
(``basis="safety"``) are in no sentence of the document; where the OS cannot say, a
test is skipped and says why.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mmapspec.adapters.interface import Adapter, MapInfo, MirrorInfo
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import Maps, new_file, open_fds, os_page, pattern, ref, require_fds
from mmapspec.spec.support.descriptors import close_on_exec, fdinfo_readable

KINDS = (
    pytest.param("name", "", id="name-r", marks=pytest.mark.needs("file:name")),
    pytest.param("name", "w", id="name-w", marks=pytest.mark.needs("file:name", "access:w")),
    pytest.param("tagname", "w", id="tagname", marks=pytest.mark.needs("tagname", "access:w")),
    pytest.param("pagefile", "w", id="pagefile", marks=pytest.mark.needs("anonymous", "access:w")),
    pytest.param("mirror", "w", id="mirror", marks=pytest.mark.needs("mirror", "file:name")),
)
"""Maps whose descriptors the implementation opens itself (by fd or FILE*, the file
is handed over already open: its descriptor is the caller's)."""

PROMISED_BY = {
    "name": "map.file.name",
    "tagname": "map.tagname.same-process",
    "pagefile": "map.file.omitted-maps-pagefile",
    "mirror": "mirror.form.table",
}


def _made(maps: Maps, tmp_path: Path, kind: str, access: str) -> MapInfo | MirrorInfo:
    p = os_page()
    with prerequisite(PROMISED_BY[kind], f"making a map of kind {kind!r}"):
        if kind == "pagefile":
            return maps.map(None, access, p)
        if kind == "tagname":
            return maps.map(None, access, p, tagname=maps.tagname())
        path = new_file(tmp_path, pattern(2 * p, seed=940))
        if kind == "mirror":
            return maps.mirror(ref(path), p, 2)
        return maps.map(ref(path, "name", "r+" if access else "r"), access)


@pytest.mark.clause("safety.descriptors.close-on-exec")
@pytest.mark.parametrize(("kind", "access"), KINDS)
def test_descriptors_of_a_live_map_are_closed_on_exec(
    adapter: Adapter, maps: Maps, tmp_path: Path, kind: str, access: str
) -> None:
    pid = adapter.pid
    require_fds(pid)
    if not fdinfo_readable(pid):
        pytest.skip(f"no /proc/{pid}/fdinfo: descriptor flags are checked on Linux only")
    maps.free(_made(maps, tmp_path, kind, access))  # one-time setup is not counted
    before = open_fds(pid)
    made = _made(maps, tmp_path, kind, access)
    opened = sorted(open_fds(pid) - before)
    inherited = [f"{fd} -> {target}" for fd, target in opened if close_on_exec(pid, fd) is False]
    maps.free(made)
    assert not inherited, (
        f"while a map ({kind}, {access!r}) is live, {len(inherited)} descriptor(s) the "
        "implementation opened would be inherited by any program it starts (no FD_CLOEXEC): "
        + ", ".join(inherited)
    )
