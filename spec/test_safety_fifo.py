"""Safety of FIFOs: a FIFO put where a file or a tagname's shared memory is expected is
refused at once, by every call that takes one, never waited on.

Every way in is tried (a tagname and a file by name with each access mode,
``filesize`` getting and setting, ``mirror``), and the message names each one that
hung, not only the first. Each call runs in an isolated implementation process that
is watched: when it has not answered within a tenth of a second, the OS is asked what
the process is blocked on (:mod:`mmapspec.spec.support.hangs`), and one asleep in the
kernel's FIFO wait is hanging now: it is killed, the hang recorded, and the next call
goes to a fresh process. The long deadline is the last resort, where the OS cannot say.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mmapspec.adapters.interface import (
    Adapter,
    AdapterError,
    FileRef,
    HarnessFailure,
    MapInfo,
    MirrorInfo,
)
from mmapspec.spec.support import Maps, isolated, os_page, ref, shm_path
from mmapspec.spec.support.hangs import Watched, watch_call
from mmapspec.spec.support.platforms import current

LONG_DEADLINE = 15.0
"""Seconds a call may take where the OS cannot say what it waits on: the last resort."""


@dataclasses.dataclass(frozen=True)
class Way:
    """One call that is handed a FIFO."""

    what: str
    call: Callable[[Adapter], Any]


def _ways(adapter: Adapter, tag: str | None, fifo: Path) -> list[Way]:
    """Every call the binding declares that takes a FIFO where a file is expected
    (``tag``: a tagname with a FIFO planted under it, or None where none can be)."""
    caps = adapter.capabilities.names()
    p = os_page()
    ways: list[Way] = []
    for access in ("", "w", "c", "x", "wx", "cx"):
        if f"access:{access}" not in caps:
            continue
        if tag is not None:
            what = f"map(nil, {access!r}, {p}, nil, nil, {tag!r})"
            ways.append(Way(what, _map_call(None, access, p, tag)))
        if "file:name" in caps:
            ways.append(Way(f"map(fifo, {access!r})", _map_call(ref(fifo), access, None, None)))
    if "file:name" in caps and "filesize" in caps:
        ways.append(Way("filesize(fifo)", lambda a: a.filesize(ref(fifo))))
        ways.append(Way(f"filesize(fifo, {p})", lambda a: a.filesize(ref(fifo), p)))
    if "file:name" in caps and "mirror" in caps:
        ways.append(Way(f"mirror(fifo, {p})", lambda a: a.mirror(ref(fifo), p)))
    return ways


def _map_call(
    file: FileRef | None, access: str, size: int | None, tag: str | None
) -> Callable[[Adapter], Any]:
    def call(a: Adapter) -> Any:
        return a.map(file, access, size, tagname=tag)

    return call


def _verdict(way: Way, watched: Watched, other: Adapter) -> str | None:
    """What is wrong with how ``way`` ended, or None if it was refused at once."""
    if watched.hang is not None:
        return f"{way.what}: hangs: {watched.hang} after {watched.seconds:.2f} s"
    exc = watched.error
    if isinstance(exc, HarnessFailure):
        return f"{way.what}: no answer within {LONG_DEADLINE:g} s, it waits on the FIFO ({exc})"
    if exc is not None and not isinstance(exc, AdapterError):
        raise exc
    if watched.seconds >= LONG_DEADLINE:
        return f"{way.what}: took {watched.seconds:.0f} s"
    if exc is None:
        got = watched.result
        if isinstance(got, (MapInfo, MirrorInfo)):
            with contextlib.suppress(AdapterError, HarnessFailure):
                other.free(got.handle)
            return f"{way.what}: mapped a FIFO ({got})"
        return f"{way.what}: returned {got!r} for a FIFO"
    return None  # refused: what is asked


def _bound(way: Way, other: Adapter) -> Callable[[], Any]:
    return lambda: way.call(other)


@contextlib.contextmanager
def _processes(adapter: Adapter) -> Iterator[Callable[[bool], Adapter]]:
    """Isolated implementation processes, one at a time: ``next_one()`` gives the
    current one, or a fresh one once the current was killed for hanging."""
    stack = contextlib.ExitStack()
    current: list[Adapter] = []

    def next_one(fresh: bool = False) -> Adapter:
        if fresh or not current:
            stack.close()
            current[:] = [stack.enter_context(isolated(adapter, timeout=LONG_DEADLINE))]
        return current[0]

    with stack:
        yield next_one


@pytest.mark.clause("safety.fifo.no-hang")
def test_a_fifo_is_refused_at_once_by_every_call(
    adapter: Adapter, maps: Maps, tmp_path: Path
) -> None:
    """A FIFO under a tagname, or as a file name, is refused without waiting for a
    writer, by every call that takes one; every call that hangs is named."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("this OS has no FIFOs (os.mkfifo) to plant")
    caps = adapter.capabilities.names()
    tag: str | None = None
    planted: Path | None = None
    # A FIFO under a tagname where anyone may plant one there (Linux's /dev/shm);
    # elsewhere the file-name ways alone.
    if "tagname" in caps and current.tagnames_unplantable() is None:
        tag = maps.tagname()
        planted = Path(shm_path(tag) or "")
        os.mkfifo(planted, 0o666)
    named = tmp_path / "fifo"
    os.mkfifo(named, 0o666)
    ways = _ways(adapter, tag, named)
    if not ways:
        pytest.skip("the binding declares no call that takes a file name or a tagname")
    wrong: list[str] = []
    with _processes(adapter) as process:
        for way in ways:
            other = process(False)
            watched = watch_call(other.pid, _bound(way, other), LONG_DEADLINE)
            problem = _verdict(way, watched, other)
            if problem is not None:
                wrong.append(problem)
            if watched.hang is not None or isinstance(watched.error, HarnessFailure):
                process(True)  # that process was killed: the next call gets a fresh one
    assert not wrong, f"{len(wrong)} of {len(ways)} calls given a FIFO: " + "; ".join(wrong)
    for fifo in filter(None, (planted, named)):
        assert stat.S_ISFIFO(os.stat(fifo).st_mode), f"{fifo} is no longer a FIFO"
