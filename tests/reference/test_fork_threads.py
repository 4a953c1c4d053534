"""The reference after fork() and under threads: a child forked while another thread
of the parent was inside the reference can still use and free the maps it inherited,
and a flush() racing free() in another thread gives the freed map's error.

Real forks, real threads, real maps; each child is waited for with a deadline, so a
deadlocked child is a failed test (and is killed), not a hung suite.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from mmapspec import reference as mm
from mmapspec.reference import _buffer

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX's"),
    # Python 3.12 warns that fork() in a threaded process may deadlock: that is the
    # very thing tested here.
    pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning"),
]

CHILD_DEADLINE = 10.0


def _wait_child(pid: int) -> int | None:
    """The child's exit code, or None when it did not end within the deadline (it is
    then killed: it deadlocked)."""
    deadline = time.monotonic() + CHILD_DEADLINE
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def _fork(child: object) -> int:
    """Fork; the child runs ``child()`` and exits 0, or 1 if it raised."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - in the child
        code = 1
        try:
            child()  # type: ignore[operator]
            code = 0
        finally:
            os._exit(code)
    return pid


def _use_and_free(maps: list[mm.Map]) -> None:
    for m in maps:
        m[0:4] = b"kid!"
        assert m[0:4] == b"kid!" and m[0] == ord("k")
        with memoryview(m) as v:
            assert bytes(v[0:4]) == b"kid!"
        m.free()
        assert m.freed


def test_a_child_forked_while_another_thread_holds_the_lock_can_use_and_free() -> None:
    """The worst case made certain: a thread of the parent holds the reference's lock
    at the moment of the fork (as it does inside free() or a buffer export)."""
    maps = [mm.map(size=4096, access="w") for _ in range(3)]
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with _buffer.lock:
            held.set()
            release.wait()

    t = threading.Thread(target=holder)
    t.start()
    held.wait()
    try:
        pid = _fork(lambda: _use_and_free(maps))
    finally:
        release.set()
        t.join()
    try:
        assert _wait_child(pid) == 0, "the child deadlocked or failed on an inherited map"
    finally:
        for m in maps:
            m.free()


def test_children_forked_while_threads_are_busy_in_the_reference_never_hang() -> None:
    """Ten forks while two threads map, slice, view and free in a loop."""
    stop = threading.Event()

    def busy() -> None:
        while not stop.is_set():
            m = mm.map(size=4096, access="w")
            m[0:8] = b"12345678"
            with memoryview(m) as v:
                v[0] = 0
            _ = m[0:4096]
            m.free()

    threads = [threading.Thread(target=busy) for _ in range(2)]
    for t in threads:
        t.start()
    results = []
    try:
        for _ in range(10):
            inherited = [mm.map(size=4096, access="w")]
            pid = _fork(lambda inherited=inherited: _use_and_free(inherited))
            results.append(_wait_child(pid))
            inherited[0].free()
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert results == [0] * 10, f"exit codes (None: hung): {results}"


def test_flush_racing_free_gives_the_freed_maps_error() -> None:
    """500 races: a thread flushes in a loop (msync lets go of the GIL) while the main
    thread frees; each flush either flushes (True) or says the map is freed."""
    other: list[BaseException] = []
    for _ in range(500):
        m = mm.map(size=1 << 20, access="w")
        started = threading.Event()

        def flusher(m: mm.Map = m, started: threading.Event = started) -> None:
            while True:
                try:
                    m[0:1] = b"x"  # dirty again, so that msync has work (or: freed)
                    started.set()
                    assert m.flush() is True
                except ValueError as exc:
                    assert str(exc) == "map is freed", exc
                    return
                except BaseException as exc:  # noqa: BLE001 - the defect under test
                    other.append(exc)
                    return

        t = threading.Thread(target=flusher)
        t.start()
        started.wait()
        while True:
            try:
                m.free()
                break
            except BufferError:  # the flusher's slice write holds a view a moment
                continue
        t.join()
    assert not other, f"{len(other)} flushes racing free gave another error: {other[0]!r}"
