"""The whole spec, in process and through the pipe: the same report, clause by clause.

Slow (three runs of the spec), and CI runs it: it is the proof that the pipe
adapter and the Python harness are transparent, and that the Lua harness holds
the protocol over every clause. Durations are recorded as properties (the pipe /
in-process ratio is a measurement, never asserted here).
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
from conftest import HERE, lua_harness, python_harness

REPO = HERE.parents[1]
# The plugin's capability check needs the session's fixtures to be under way, which
# they are not for the very first test of a process (pytest 9 then reports "not
# available during teardown"); one harmless test goes first so both runs start alike.
FIRST = "tests/pipe/test_protocol.py::test_schema_is_valid_draft_2020_12"

pytestmark = pytest.mark.slow


def run_spec(tmp_path: Path, label: str, *adapter_args: str) -> tuple[dict[str, Any], float]:
    """Run the spec in a child pytest; its per-test results and its wall time."""
    results = tmp_path / f"{label}.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "MMAPSPEC_PIPE"))}
    env["MMAPSPEC_CLAUSE_RESULTS"] = str(results)
    argv = [
        sys.executable, "-m", "pytest", FIRST, "spec", "-q", "-p", "no:randomly",
        "-p", "no:cacheprovider", "-p", "clause_results", "--hypothesis-profile=ci",
        "-W", "ignore::pytest.PytestRemovedIn10Warning", *adapter_args,
    ]  # fmt: skip
    started = time.monotonic()
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=800)
    elapsed = time.monotonic() - started
    assert results.exists(), f"{label}: the spec run wrote no results:\n{done.stdout[-3000:]}"
    spec = {k: v for k, v in json.loads(results.read_text()).items() if k.startswith("spec/")}
    assert spec, f"{label}: no spec tests ran:\n{done.stdout[-3000:]}"
    return spec, elapsed


def by_clause(results: dict[str, Any]) -> dict[str, str]:
    """Each clause's status: failed if any of its tests failed, else passed if any
    passed, else the skip reasons."""
    tests: dict[str, list[dict[str, Any]]] = {}
    for entry in results.values():
        for clause in entry["clauses"]:
            tests.setdefault(clause, []).append(entry)
    status = {}
    for clause, entries in tests.items():
        outcomes = {e["outcome"] for e in entries}
        if any(o not in ("passed", "skipped") for o in outcomes):
            status[clause] = "failed"
        elif "passed" in outcomes:
            status[clause] = "passed"
        else:
            status[clause] = "skipped: " + "; ".join(sorted({e["detail"] for e in entries}))
    return status


@pytest.mark.usefixtures("reference")
def test_python_harness_gives_the_in_process_report(tmp_path: Path, record_property: Any) -> None:
    here, t_here = run_spec(tmp_path, "in-process", "--mmap-adapter", "reference")
    pipe_cmd = python_harness("reference")
    there, t_there = run_spec(
        tmp_path, "pipe", "--mmap-adapter", "pipe", "--adapter-option", f"pipe_cmd={pipe_cmd}"
    )
    record_property("spec_seconds_in_process", round(t_here, 2))
    record_property("spec_seconds_pipe", round(t_there, 2))
    record_property("pipe_over_in_process", round(t_there / t_here, 2))
    outcome = {
        k: (v["outcome"], v["detail"] if v["outcome"] == "skipped" else "") for k, v in here.items()
    }
    piped = {
        k: (v["outcome"], v["detail"] if v["outcome"] == "skipped" else "")
        for k, v in there.items()
    }
    assert piped == outcome
    assert by_clause(there) == by_clause(here)
    assert "passed" in by_clause(here).values()


def test_lua_harness_holds_the_protocol_over_the_whole_spec(
    tmp_path: Path, record_property: Any
) -> None:
    """Every clause gets a verdict about the demo binding, none about the harness:
    with validation on, no protocol error and no harness error anywhere."""
    results, elapsed = run_spec(
        tmp_path, "lua", "--mmap-adapter", "pipe",
        "--adapter-option", f"pipe_cmd={lua_harness()}", "--adapter-option", "validate=1",
    )  # fmt: skip
    record_property("spec_seconds_lua", round(elapsed, 2))
    statuses = by_clause(results)
    record_property("lua_demo_clauses", json.dumps(statuses, sort_keys=True))
    assert all(entry["outcome"] is not None for entry in results.values())
    harness_trouble = {
        k: v["detail"]
        for k, v in results.items()
        if any(word in v["detail"] for word in ("ProtocolError", "HarnessError", "harness failed"))
    }
    assert harness_trouble == {}
    assert "passed" in statuses.values()


@pytest.fixture
def reference() -> None:
    pytest.importorskip("mmapspec.adapters.reference", reason="the reference adapter is not there")
