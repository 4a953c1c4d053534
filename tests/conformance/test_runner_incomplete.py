"""A run that did not finish is never reported conformant.

Each way a run can stop early (Ctrl-C, SIGTERM, ``--timeout``, a harness that
keeps failing) is provoked for real in a subprocess of ``mmapspec run`` on the
mini spec, and every output must say *incomplete*: the JSON verdict, the
Markdown heading, the JUnit suite, the terminal, one line on stderr, exit 2.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from mmapspec.results import model, report_formats

from .minirun import DEVIANT, HERE, MINI, MINI_PYTEST, one_error_line, pythonpath, run

REPORTS = ("r.json", "r.xml", "r.md")


def report_args(tmp_path: Path) -> list[str]:
    return ["--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "r.xml")] + [
        "--markdown",
        str(tmp_path / "r.md"),
    ]


def check_incomplete(
    tmp_path: Path, proc: subprocess.CompletedProcess[str], reason: str
) -> dict[str, Any]:
    """Every output of the run says incomplete, naming ``reason``."""
    line = one_error_line(proc)
    assert "incomplete" in line and reason in line, line
    doc = json.loads((tmp_path / "r.json").read_text())
    jsonschema.validate(doc, model.schema())
    assert doc["verdict"] == "incomplete" and doc["conformant"] is False
    assert reason in doc["incomplete"]
    md = (tmp_path / "r.md").read_text()
    assert "✅" not in md and md.startswith("## ⚠️"), md[:200]
    assert f"**Incomplete run: {doc['incomplete']}**" in md
    suite = ET.parse(tmp_path / "r.xml").getroot().find("testsuite")
    assert suite is not None
    incomplete = [c for c in suite.iter("testcase") if c.get("name") == "run-complete"]
    assert len(incomplete) == 1 and incomplete[0].find("error") is not None
    assert int(suite.get("errors") or 0) >= 1
    assert "-> incomplete: " + reason in proc.stdout, proc.stdout[-2000:]
    return doc


@pytest.mark.parametrize("workers", ["0", "2"])
def test_three_harness_failures_in_a_row_stop_the_run(tmp_path: Path, workers: str) -> None:
    proc = run(
        "run",
        *MINI,
        "--adapter",
        "stuck:BrokenHarnessAdapter",
        "-n",
        workers,
        # The mini spec's tests that reach the adapter: four of them fail in its harness.
        *("--clause", "runner.pass", "--clause", "runner.offset"),
        *("--clause", "runner.mixed", "--clause", "runner.notes"),
        *report_args(tmp_path),
        *MINI_PYTEST,
        cwd=tmp_path,
    )
    doc = check_incomplete(tmp_path, proc, "3 spec tests in a row failed in the harness")
    assert "HarnessTimeout: harness did not answer" in str(doc["incomplete"])
    assert "Interrupted: 3 spec tests in a row" in proc.stdout  # pytest itself was stopped
    if workers == "0":  # one test at a time: the fourth never ran
        # a harness failure is never a clause's failure nor a crash: the harness's
        failed = [t for c in doc["clauses"] for t in c["tests"] if t["status"] != "pass"]
        assert [t["status"] for t in failed] == ["harness-error"] * 3
        touched = [c for c in doc["clauses"] if c["status"] == "harness-error"]
        assert touched and not any(c["deviation"] for c in touched)


def interrupted_run(tmp_path: Path, workers: str, *extra: str) -> subprocess.Popen[str]:
    """``mmapspec run`` on an adapter that hangs in its first map, started and left
    running until that map has begun."""
    marker = tmp_path / "map-started"
    env = {
        **os.environ,
        "PYTHONPATH": pythonpath(),
    }
    env.pop("PYTEST_XDIST_WORKER", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mmapspec.commands.cli", "run", *MINI]
        + ["--adapter", "stuck:HangingAdapter", "--adapter-option", f"marker={marker}"]
        + ["-n", workers, "--clause", "runner.pass", *report_args(tmp_path), *extra, *MINI_PYTEST],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
        preexec_fn=default_signals,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"the hanging test never started:\n{out}\n{err}")
        time.sleep(0.05)
    return proc


def default_signals() -> None:
    """In the runner's process before it starts: SIGINT and SIGHUP back to their
    defaults, which a test run started in the background (``nohup``, ``cmd &``) passes
    on as ignored, so that the signals the tests send reach the runner."""
    for signum in (signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def finished(proc: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the run did not end after the signal:\n{out}\n{err}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("workers", ["0", "2"])
@pytest.mark.parametrize(
    ("signum", "reason"),
    [(signal.SIGINT, "interrupted (SIGINT)"), (signal.SIGTERM, "terminated (SIGTERM)")],
)
def test_a_signal_mid_run_makes_it_incomplete(
    tmp_path: Path, workers: str, signum: signal.Signals, reason: str
) -> None:
    proc = interrupted_run(tmp_path, workers)
    proc.send_signal(signum)
    check_incomplete(tmp_path, finished(proc), reason)


def test_timeout_bounds_the_whole_run(tmp_path: Path) -> None:
    proc = interrupted_run(tmp_path, "0", "--timeout", "2")
    check_incomplete(tmp_path, finished(proc), "timed out after 2 s")


def test_a_harness_that_stops_answering_ends_the_run(tmp_path: Path) -> None:
    """The real pipe adapter with a harness that answers ``start`` and then hangs."""
    harness = HERE.parent / "pipe" / "bad_harness.py"
    proc = run(
        "run",
        *MINI,
        "--pipe-cmd",
        # pagesize answers (the pipe asks it once at start), every map hangs
        f"{sys.executable} {harness} --hang-on map",
        "--adapter-option",
        "timeout=1",
        "-n",
        "0",
        # tests that reach map (a test that only asks the page size would pass)
        *("--clause", "runner.pass", "--clause", "runner.offset"),
        *("--clause", "runner.crash-reported", "--clause", "runner.blocked-at-setup"),
        *report_args(tmp_path),
        *MINI_PYTEST,
        cwd=tmp_path,
    )
    check_incomplete(tmp_path, proc, "3 spec tests in a row failed in the harness")


def test_reports_of_an_incomplete_run_render_it() -> None:
    """The report objects themselves: incomplete overrides any other verdict."""
    from mmapspec.results.clause_results import build_report
    from mmapspec.results.records import AdapterInfo, TestOutcome
    from mmapspec.results.status import PASS

    from .test_runner_units import CATALOGUE

    rep = build_report(
        CATALOGUE, [TestOutcome("t", ("c.a",), PASS)], adapter=AdapterInfo("fake"), selected=["c.a"]
    )
    assert rep.conformant
    rep.incomplete = "interrupted (SIGINT)"
    assert not rep.conformant
    doc = json.loads(report_formats.to_json(rep))
    jsonschema.validate(doc, model.schema())
    assert (doc["verdict"], doc["conformant"]) == ("incomplete", False)
    assert report_formats.summary_line(rep).endswith("-> incomplete: interrupted (SIGINT)")
    rep.incomplete = None
    assert json.loads(report_formats.to_json(rep))["verdict"] == "conformant"


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_run_stopped_at_its_first_failure_is_incomplete(tmp_path: Path, workers: str) -> None:
    """pytest's -x ends the run at a failure: what follows was never checked."""
    proc = run(
        "run", *MINI, "--adapter", DEVIANT, "-n", workers,
        *report_args(tmp_path), *MINI_PYTEST, "-x",
    )  # fmt: skip
    check_incomplete(tmp_path, proc, "pytest stopped: stopping after 1 failures")
