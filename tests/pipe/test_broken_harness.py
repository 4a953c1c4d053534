"""Broken and hostile harnesses: bounded time, bounded memory, nothing left behind.

Every harness here is a real child process (``bad_harness.py``), every runner a real
``mmapspec run`` where a whole run is the point. Time is only ever bounded loosely:
the deterministic evidence is how many children were started and what was raised.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import HERE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mmapspec.adapters import AdapterLoadError
from mmapspec.adapters.interface import FileRef, HarnessFailure, ImplementationCrashed
from mmapspec.adapters.pipe import (
    LINE_LIMIT,
    MAX_CRASHES_PER_TEST,
    PROBE_TIMEOUT,
    HarnessError,
    ImplementationTimeout,
    PipeAdapter,
    ProtocolError,
)

EXIT_RUN_FAILED = 2


def bad(*flags: str) -> str:
    return shlex.join([sys.executable, str(HERE / "bad_harness.py"), *flags])


def marked(marker: str) -> list[int]:
    """Running processes whose command line holds ``marker`` (a zombie's is empty)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue  # gone meanwhile
    return found


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


QUICK = settings(
    max_examples=40, database=None, deadline=None, suppress_health_check=list(HealthCheck)
)


# -- one adapter ----------------------------------------------------------------------


def test_an_endless_line_is_cut_at_the_limit_and_memory_stays_bounded() -> None:
    with PipeAdapter(bad("--endless-line-on", "aligned_size"), timeout=60) as adapter:
        child = adapter._child
        assert child is not None
        before = rss_kib()
        with pytest.raises(ProtocolError) as failure:
            adapter.aligned_size(1)
        grown = rss_kib() - before
        assert f"longer than the limit of {LINE_LIMIT} bytes" in str(failure.value)
        assert grown < 64 * 1024, f"the runner grew by {grown} KiB reading one line"
        assert child.proc.returncode is not None  # killed, not left writing


def test_the_limit_grows_with_what_a_read_asks_for(tiny_cmd: str) -> None:
    """A read whose base64 is longer than :data:`LINE_LIMIT` is legitimate."""
    size = 3 * LINE_LIMIT
    with PipeAdapter(tiny_cmd, timeout=60) as adapter:
        m = adapter.map(None, "w", size)
        data = os.urandom(size)
        adapter.write(m.handle, 0, data)
        assert adapter.read(m.handle, 0, size) == data


def test_a_harness_crashing_on_every_call_is_restarted_three_times_a_test() -> None:
    with PipeAdapter(bad("--segfault-on", "aligned_size"), timeout=20) as adapter:
        crashes = []
        for _ in range(MAX_CRASHES_PER_TEST):
            with pytest.raises(ImplementationCrashed) as crash:
                adapter.aligned_size(1)
            crashes.append(crash.value)
        assert len({id(c) for c in crashes}) == MAX_CRASHES_PER_TEST
        with pytest.raises(ImplementationCrashed) as again:
            adapter.aligned_size(1)
        assert again.value is crashes[-1]
        assert adapter._generation == MAX_CRASHES_PER_TEST  # no fourth child
        adapter.begin_test()
        with pytest.raises(ImplementationCrashed) as fresh:
            adapter.aligned_size(1)
        assert fresh.value not in crashes and adapter._generation == MAX_CRASHES_PER_TEST + 1


def test_a_crash_in_a_hypothesis_example_is_reported_as_that_crash(tmp_path: Path) -> None:
    """Crashing once, in one example: Hypothesis replays that example, and a fresh child
    would pass it, so Hypothesis would call the test flaky rather than crashing. Every
    later example must fail with the same crash at once."""
    flags = ("--serve", "reference", "--segfault-on", "aligned_size", "--once")
    with PipeAdapter(bad(*flags, str(tmp_path / "crashed")), timeout=20) as adapter:

        @QUICK
        @given(st.data())
        def aligned(data: st.DataObject) -> None:
            p = adapter.pagesize()
            adapter.aligned_size(data.draw(st.integers(0, 4 * p)))

        with pytest.raises(ImplementationCrashed) as crash:
            aligned()
        assert "during 'aligned_size'" in str(crash.value)
        assert adapter._generation == 1  # no example after the crash reached a child


def test_a_harness_that_answers_only_start_does_not_start() -> None:
    """Caught by the request that follows ``start``, within :data:`PROBE_TIMEOUT`, not
    by the first test's request, which would cost every test a whole ``timeout``."""
    started = time.monotonic()
    with pytest.raises(AdapterLoadError, match="did not start: no answer to 'pagesize'"):
        PipeAdapter(bad("--silent-after-start"), timeout=600)
    assert time.monotonic() - started < PROBE_TIMEOUT + 20


def test_a_hung_harness_costs_one_timeout_per_test() -> None:
    with PipeAdapter(bad("--hang-on", "aligned_size"), timeout=1) as adapter:

        @QUICK
        @given(st.integers(0, 100))
        def anything(n: int) -> None:
            adapter.aligned_size(n)

        started = time.monotonic()
        with pytest.raises(ImplementationTimeout):
            anything()
        assert time.monotonic() - started < 30  # one timeout, not one per example
        assert adapter._generation == 1


def test_a_replacement_that_will_not_start_is_a_harness_failure(tmp_path: Path) -> None:
    flag = tmp_path / "started-once"
    script = (
        f"if [ -e {shlex.quote(str(flag))} ]; then echo cannot start again >&2; exit 3; fi; "
        f"touch {shlex.quote(str(flag))}; exec {bad('--segfault-on', 'aligned_size')}"
    )
    with PipeAdapter(f"sh -c {shlex.quote(script)}", timeout=20) as adapter:
        with pytest.raises(ImplementationCrashed):
            adapter.aligned_size(1)
        with pytest.raises(HarnessError, match="did not start: exited with code 3") as failure:
            adapter.aligned_size(1)
        assert isinstance(failure.value, HarnessFailure)


def test_a_dead_childs_handles_fail_with_the_standing_failure(tmp_path: Path) -> None:
    """After a harness failure even a handle of the dead child gets the failure, so that
    a replay fails the same way wherever it first touches the adapter."""
    path = tmp_path / "f"
    path.write_bytes(b"x" * 4096)
    cmd = bad("--serve", "reference", "--garbage-on", "read")
    with PipeAdapter(cmd, timeout=20) as adapter:
        m = adapter.map(FileRef(str(path)), "w")
        with pytest.raises(ProtocolError, match="not JSON") as failure:
            adapter.read(m.handle, 0, 1)
        with pytest.raises(ProtocolError) as again:
            adapter.free(m.handle)
        assert again.value is failure.value


# -- whole runs -----------------------------------------------------------------------


def run_env(prefix: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "MMAPSPEC_PIPE"))}
    env["MMAPSPEC_RUN_PREFIX"] = prefix
    return env


def shm_left(prefix: str) -> list[str]:
    return sorted(e.name for e in Path("/dev/shm").iterdir() if e.name.startswith(prefix))


def cleanup(marker: str, prefix: str) -> None:
    """What a failing assertion would otherwise leave for the next test."""
    for pid in marked(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            continue
    for name in shm_left(prefix):
        Path("/dev/shm", name).unlink(missing_ok=True)


BROKEN = {
    "silent-after-start": ["--silent-after-start"],
    "garbage-for-read": ["--garbage-on", "read"],
    "crashes-once": ["--segfault-on", "aligned_size", "--once", "{once}"],
    "endless-line": ["--endless-line-on", "read"],
    "wrong-id-for-free": ["--wrong-id-on", "free"],
    "segfault-in-unlink": ["--segfault-on", "unlink"],
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_run_against_a_broken_harness_is_bounded_and_leaves_nothing(
    case: str, tmp_path: Path, record_property: Any
) -> None:
    marker = f"mmapspec-test-marker-{uuid.uuid4().hex}"
    prefix = f"mmapspec-t{uuid.uuid4().hex[:10]}-"
    flags = [f.format(once=tmp_path / "once") for f in BROKEN[case]]
    cmd = bad("--serve", "reference", *flags, "--marker", marker)
    report = tmp_path / "report.json"
    argv = [sys.executable, "-m", "mmapspec.commands.cli", "run", "--pipe-cmd", cmd]
    argv += ["--adapter-option", "timeout=2", "-n", "2", "--json", str(report)]
    started = time.monotonic()
    try:
        env = run_env(prefix)
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
        elapsed = time.monotonic() - started
        time.sleep(1)  # a killed child's group is reaped asynchronously
        orphans, leftovers = marked(marker), shm_left(prefix)
    finally:
        cleanup(marker, prefix)
    record_property("seconds", round(elapsed, 1))
    output = f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    assert elapsed < 120, output
    assert orphans == [] and leftovers == [], output
    assert done.returncode in (1, EXIT_RUN_FAILED), output
    if done.returncode == 1:
        statuses = {c["status"] for c in json.loads(report.read_text())["clauses"]}
        assert statuses - {"pass", "skip"}, output  # the harness's defects show


def default_signals() -> None:
    for signum in (signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "workers"),
    [
        (signal.SIGTERM, "2"),
        (signal.SIGINT, "2"),
        (signal.SIGHUP, "2"),
        (signal.SIGKILL, "2"),
        (signal.SIGKILL, "0"),
    ],
    ids=lambda v: getattr(v, "name", f"n{v}"),
)
def test_no_harness_outlives_the_runner(
    signum: signal.Signals, workers: str, tmp_path: Path
) -> None:
    """Harnesses that never read stdin again (they hang in ``map``), behind a shell
    wrapper (so grandchildren of the runner): the runner is killed with ``signum``."""
    marker = f"mmapspec-test-marker-{uuid.uuid4().hex}"
    prefix = f"mmapspec-t{uuid.uuid4().hex[:10]}-"
    note = tmp_path / "hanging"
    hung = bad("--serve", "reference", "--hang-on", "map", "--hang-note", str(note))
    hung += f" --marker {marker}"
    argv = [sys.executable, "-m", "mmapspec.commands.cli", "run", "-n", workers, "--adapter-option"]
    argv += ["timeout=600", "--pipe-cmd", f"sh -c {shlex.quote(hung + '; true')}"]
    runner = subprocess.Popen(
        argv,
        env=run_env(prefix),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        # A test run started in the background (nohup, cmd &) passes SIGINT and SIGHUP
        # on as ignored: back to their defaults, so that the signal sent reaches it.
        preexec_fn=default_signals,
    )
    try:
        # Each worker's harness hangs in its first map (under a guard and a shell).
        deadline = time.monotonic() + 120
        while len(hanging(note)) < max(1, int(workers)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert set(hanging(note)) <= set(marked(marker)), "the harnesses never hung"
        runner.send_signal(signum)
        deadline = time.monotonic() + 60
        while marked(marker) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = marked(marker)
    finally:
        with_runner_gone(runner)
        cleanup(marker, prefix)
    assert left == []


def hanging(note: Path) -> list[int]:
    return [int(pid) for pid in note.read_text().split()] if note.exists() else []


def with_runner_gone(runner: subprocess.Popen[bytes]) -> None:
    """The runner's own process group (its xdist workers) ends with the test."""
    with contextlib.suppress(OSError):
        os.killpg(runner.pid, signal.SIGKILL)
    runner.wait()
