"""A harness's failure is the harness's: status ``harness-error``, never a deviation,
never a crash, blocking nothing, and the run is incomplete (exit 2).

Real harness processes (``bad_harness.py``) and real ``mmapspec run`` processes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from mmapspec.adapters.interface import HarnessFailure, ImplementationCrashed
from mmapspec.adapters.pipe import PipeAdapter
from mmapspec.adapters.pipe.errors import ClosedOutput
from test_broken_harness import EXIT_RUN_FAILED, bad, run_env


def test_a_harness_that_closes_its_stdout_and_lingers_is_the_harness_failure() -> None:
    """The runner kills such a harness: its SIGKILL is no crash of the binding."""
    adapter = PipeAdapter(bad("--close-stdout-on", "aligned_size"), timeout=20)
    with adapter, pytest.raises(HarnessFailure) as failure:
        adapter.aligned_size(1)
    assert isinstance(failure.value, ClosedOutput)
    assert not isinstance(failure.value, ImplementationCrashed)
    assert "closed its stdout" in str(failure.value)


def test_a_harness_that_dies_by_itself_is_still_a_crash() -> None:
    adapter = PipeAdapter(bad("--segfault-on", "aligned_size"), timeout=20)
    with adapter, pytest.raises(ImplementationCrashed) as crash:
        adapter.aligned_size(1)
    assert crash.value.signal == 11


CASES = {
    "harness_error answer": ["--harness-error-on", "aligned_size"],
    "malformed line": ["--garbage-on", "aligned_size"],
    "wrong id": ["--wrong-id-on", "aligned_size"],
    "wrong type": ["--bad-value-on", "aligned_size"],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_one_harness_failure_is_harness_error_and_the_run_incomplete(
    case: str, tmp_path: Path
) -> None:
    flags = [*CASES[case], "--once", str(tmp_path / "once")]
    report = tmp_path / "r.json"
    argv = [sys.executable, "-m", "mmapspec.commands.cli", "run", "--pipe-cmd"]
    argv += [bad("--serve", "reference", *flags), "-n", "0", "--json", str(report)]
    argv += ["--clause", "aligned_size.*", "--adapter-option", "timeout=20"]
    done = subprocess.run(
        argv,
        env=run_env(f"mmapspec-t{uuid.uuid4().hex[:10]}-"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout[-3000:] + done.stderr[-2000:]
    assert done.returncode == EXIT_RUN_FAILED, output
    doc = json.loads(report.read_text())
    statuses = {c["id"]: c["status"] for c in doc["clauses"] if c["id"].startswith("aligned_size.")}
    assert "harness-error" in statuses.values(), output
    assert set(statuses.values()) <= {"pass", "harness-error"}, statuses
    assert not any(c["deviation"] for c in doc["clauses"])
    assert doc["verdict"] == "incomplete"
    assert doc["incomplete"].startswith("the harness failed in "), doc["incomplete"]
    assert "HARNESS-ERROR" in done.stdout


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_lone_surrogate_from_a_harness_loses_no_report(tmp_path: Path, workers: str) -> None:
    """Valid JSON, no UTF-8: every report is written whole and readable, and nothing
    raw reaches the terminal."""
    flags = ["--surrogate-on", "aligned_size", "--once", str(tmp_path / "once")]
    reports = {f: tmp_path / f"r.{f}" for f in ("json", "junit", "markdown")}
    argv = [sys.executable, "-m", "mmapspec.commands.cli", "run", "--pipe-cmd"]
    argv += [bad("--serve", "reference", *flags), "-n", workers, "--clause", "aligned_size.*"]
    for flag, path in reports.items():
        argv += [f"--{flag}", str(path)]
    done = subprocess.run(
        argv,
        env=run_env(f"mmapspec-t{uuid.uuid4().hex[:10]}-"),
        capture_output=True,
        text=True,
        errors="strict",
        timeout=300,
    )
    assert done.returncode == EXIT_RUN_FAILED, done.stdout[-3000:] + done.stderr
    assert "\x1b[32m" not in done.stdout + done.stderr
    doc = json.loads(reports["json"].read_text(encoding="utf-8"))
    assert doc["verdict"] == "incomplete"
    ET.fromstring(reports["junit"].read_bytes())
    markdown = reports["markdown"].read_text(encoding="utf-8")
    assert "\n## ✅" not in markdown and "<img" not in markdown.replace("\\<img", "")
