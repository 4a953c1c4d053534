"""The whole spec, in process and through the pipe: the same report, clause by clause.

Slow (three runs of the spec with ``mmapspec run``), and CI runs it: it is the proof
that the pipe adapter and the Python harness are transparent, and that the Lua
harness holds the protocol over every clause. Durations are recorded as properties
(the pipe / in-process ratio is a measurement, never asserted here).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import lua_harness, python_harness

pytestmark = pytest.mark.slow

EXIT_RUN_FAILED = 2  # mmapspec run: 0 conformant, 1 deviations, 2 the run itself failed
RUN_LIMIT = 1500
"""Seconds a whole run may take: one run takes under a minute alone and about two on a
2-core machine with three more beside it."""
STACKS_AFTER = 300
"""Seconds one spec test may run before the run dumps its threads' stacks."""


def _tails(overstayed: subprocess.TimeoutExpired) -> str:
    """The end of what a killed run printed: its last tests, and any stack dump."""

    def tail(out: str | bytes | None) -> str:
        text = out.decode(errors="replace") if isinstance(out, bytes) else out or ""
        return text[-4000:]

    out, err = tail(overstayed.stdout), tail(overstayed.stderr)
    return f"its output ended:\n{out}\nits errors ended:\n{err}"


def run_spec(tmp_path: Path, label: str, *adapter_args: str) -> tuple[dict[str, Any], float]:
    """``mmapspec run`` in a child process, serially; its JSON report and wall time."""
    report = tmp_path / f"{label}.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "MMAPSPEC_PIPE"))}
    argv = [sys.executable, "-m", "mmapspec.commands.cli", "run", *adapter_args, "-n", "0"]
    # Verbose, and a spec test that runs for minutes has every thread's stack dumped
    # (pytest's faulthandler_timeout): a run that overstays says where it stands.
    argv += ["--json", str(report), "--", "-v", "-o", f"faulthandler_timeout={STACKS_AFTER}"]
    started = time.monotonic()
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=RUN_LIMIT)
    except subprocess.TimeoutExpired as overstayed:
        pytest.fail(f"{label}: no report after {RUN_LIMIT} s; {_tails(overstayed)}")
    elapsed = time.monotonic() - started
    output = f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert done.returncode != EXIT_RUN_FAILED and report.exists(), f"{label}: {output}"
    loaded: dict[str, Any] = json.loads(report.read_text())
    assert loaded["clauses"], f"{label}: no clause in the report: {output}"
    return loaded, elapsed


def verdicts(report: dict[str, Any]) -> dict[str, Any]:
    """Per clause: its status, and the status of each of its tests."""
    return {
        c["id"]: (c["status"], sorted((t["nodeid"], t["status"]) for t in c["tests"]))
        for c in report["clauses"]
    }


def test_python_harness_gives_the_in_process_report(tmp_path: Path, record_property: Any) -> None:
    here, t_here = run_spec(tmp_path, "in-process", "--adapter", "reference")
    there, t_there = run_spec(tmp_path, "pipe", "--pipe-cmd", python_harness("reference"))
    record_property("spec_seconds_in_process", round(t_here, 2))
    record_property("spec_seconds_pipe", round(t_there, 2))
    record_property("pipe_over_in_process", round(t_there / t_here, 2))
    assert verdicts(there) == verdicts(here)
    assert there["summary"] == here["summary"]
    assert here["summary"]["pass"] > 0
    assert there["adapter"]["capabilities"] == here["adapter"]["capabilities"]


def test_lua_harness_holds_the_protocol_over_the_whole_spec(
    tmp_path: Path, record_property: Any
) -> None:
    """Every clause gets a verdict about the demo binding, none about the harness:
    with validation on, no protocol error and no harness error anywhere."""
    report, elapsed = run_spec(
        tmp_path, "lua", "--pipe-cmd", lua_harness(), "--adapter-option", "validate=1"
    )
    record_property("spec_seconds_lua", round(elapsed, 2))
    record_property("lua_demo_summary", json.dumps(report["summary"]))
    record_property(
        "lua_demo_not_passing",
        json.dumps({c["id"]: c["status"] for c in report["clauses"] if c["status"] != "pass"}),
    )
    messages = [t["message"] or "" for c in report["clauses"] for t in c["tests"]]
    harness_trouble = [
        m
        for m in messages
        if any(w in m for w in ("ProtocolError", "HarnessError", "harness failed"))
    ]
    assert harness_trouble == []
    assert report["adapter"]["name"] == "lua:mmap"
    assert report["summary"]["pass"] > 0


def test_a_crashing_binding_is_reported_per_clause_and_the_run_goes_on(tmp_path: Path) -> None:
    """lua/crashy.lua segfaults in aligned_addr: those clauses are crashes (the readings
    of already-aligned addresses, which rely on them, are blocked), and the clauses run
    after them pass in fresh children."""
    report, _ = run_spec(
        tmp_path, "crashy", "--pipe-cmd", lua_harness(module="crashy"),
        "--clause", "aligned_addr.*", "--clause", "pagesize.*",
    )  # fmt: skip
    status = {c["id"]: c for c in report["clauses"] if c["status"] != "skipped"}
    assert {k: c["status"] for k, c in status.items() if k.startswith("aligned_addr.")} == {
        "aligned_addr.left": "crash",
        "aligned_addr.left.aligned-unchanged": "blocked",
        "aligned_addr.right-default": "crash",
        "aligned_addr.right.aligned-unchanged": "blocked",
        "aligned_addr.negative-raises": "crash",
    }
    assert status["aligned_addr.left.aligned-unchanged"]["blocked_by"] == "aligned_addr.left"
    assert all("signal 11" in (t["message"] or "") for t in status["aligned_addr.left"]["tests"])
    pagesize = {k: c["status"] for k, c in status.items() if k.startswith("pagesize.")}
    assert pagesize and set(pagesize.values()) == {"pass"}, pagesize
