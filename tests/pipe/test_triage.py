"""Crash triage against real child processes: a crash the running test's calls cause
alone stays the test's; one that earlier calls cause is shrunk to a minimal sequence
that reproduces it in a fresh process, and reported under safety.process.survives."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import python_harness
from mmapspec.adapters.interface import FileRef, ImplementationCrashed
from mmapspec.adapters.pipe import PipeAdapter
from mmapspec.adapters.pipe.triage import (
    SURVIVES,
    Call,
    CrashCausedEarlier,
    FlakyCrash,
    shrink,
)

DOOMED = "crashing_adapter:DoomedAdapter"


def _file(tmp_path: Path) -> FileRef:
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 100)
    return FileRef(str(path), "name", "r")


def test_a_crash_caused_earlier_is_shrunk_to_the_calls_that_cause_it(tmp_path: Path) -> None:
    f = _file(tmp_path)
    with PipeAdapter(python_harness(DOOMED)) as adapter:
        adapter.begin_test()  # an earlier test: noise, then the call that dooms
        for _ in range(20):
            assert adapter.filesize(f) == 100
            adapter.aligned_size(5)
        adapter.aligned_size(13)  # dooms the process
        adapter.aligned_size(7)
        adapter.begin_test()  # the test that crashes: its calls alone do not
        adapter.aligned_size(9)
        with pytest.raises(CrashCausedEarlier) as caught:
            adapter.filesize(f)
    crash = caught.value
    assert crash.clause == SURVIVES
    assert len(crash.lines) == 2, crash.lines
    assert '"op": "aligned_size"' in crash.lines[0] and '"op": "filesize"' in crash.lines[1]
    assert "which does not crash alone" in str(crash)


def test_a_crash_of_the_test_alone_stays_the_tests(tmp_path: Path) -> None:
    f = _file(tmp_path)
    with PipeAdapter(python_harness(DOOMED)) as adapter:
        adapter.begin_test()
        adapter.aligned_size(5)
        adapter.aligned_size(13)
        with pytest.raises(ImplementationCrashed) as caught:
            adapter.filesize(f)
    assert type(caught.value) is ImplementationCrashed  # not re-attributed


def test_a_crash_that_does_not_replay_is_flaky(tmp_path: Path) -> None:
    """The log is cleared by hand after the call that dooms the process, as if the
    crash came from outside any call: nothing replayed crashes again."""
    f = _file(tmp_path)
    with PipeAdapter(python_harness(DOOMED)) as adapter:
        adapter.begin_test()
        adapter.aligned_size(13)
        adapter._log.calls.clear()  # noqa: SLF001  what a crash from nowhere looks like
        adapter._log.test_start = 0  # noqa: SLF001
        adapter.begin_test()
        adapter.aligned_size(3)
        with pytest.raises(FlakyCrash) as caught:
            adapter.filesize(f)
    assert caught.value.clause == SURVIVES and "flaky" in str(caught.value)


def test_shrink_keeps_only_what_the_crash_needs_within_its_time() -> None:
    calls = [Call("x", {"i": i}) for i in range(200)]

    def crashes(seq: object) -> bool:
        ids = {c.args["i"] for c in seq}  # type: ignore[attr-defined]
        return {17, 150} <= ids

    started = time.monotonic()
    got = shrink(calls, crashes, seconds=5)
    assert [c.args["i"] for c in got] == [17, 150]
    assert time.monotonic() - started < 5

    def slow(seq: object) -> bool:
        time.sleep(0.05)
        return crashes(seq)

    started = time.monotonic()
    shrink(calls, slow, seconds=0.3)
    assert time.monotonic() - started < 1.0, "shrinking ran past its time bound"
