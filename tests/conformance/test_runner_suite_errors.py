"""The suite's own errors never count against an implementation.

An exception raised by a spec test's own code (not out of an adapter call, not an
assertion about one) gives the clause the status ``error``: it is no deviation, it
blocks nothing, it names the test and the exception, and the run is incomplete.
What comes out of an adapter call stays the implementation's failure.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .minirun import DEVIANT, RUNNER_DEVIANTS, check_deviant, mini, one_error_line, run

SUITE_ERROR = {"MINISPEC_SUITE_ERROR": "1"}


def _clause(doc: dict, cid: str) -> dict:
    return next(c for c in doc["clauses"] if c["id"] == cid)


def test_an_attribute_error_in_a_test_is_the_suites_error(tmp_path: Path) -> None:
    junit = tmp_path / "r.xml"
    proc, doc = mini(
        tmp_path, "--adapter", DEVIANT, "-n", "0", "--junit", str(junit), env=SUITE_ERROR
    )
    line = one_error_line(proc)  # exit 2: incomplete, said in one line
    assert "incomplete" in line and "test_own_code_raises" in line, line
    assert doc["verdict"] == "incomplete" and doc["conformant"] is False
    assert "AttributeError" in doc["incomplete"] and "no_such_call" in doc["incomplete"]
    for cid in ("runner.suite-error", "runner.suite-error-in-setup"):
        record = _clause(doc, cid)
        assert (record["status"], record["actual"]) == ("error", "error"), record
        assert not record["deviation"] and record["blocked_by"] is None, record
        assert "suite's own code raised" in record["message"], record["message"]
        assert "AttributeError" in record["message"], record["message"]
    # the prerequisite named around the suite's error is not charged with it
    assert _clause(doc, "runner.pass")["status"] == "pass"
    # every other verdict is as without the suite's errors
    check_deviant(doc, "runner.suite-error", "runner.suite-error-in-setup")
    assert doc["summary"]["error"] == 2
    assert "ERROR       runner.suite-error" in proc.stdout, proc.stdout[-3000:]
    case = next(
        c
        for c in ET.parse(junit).getroot().iter("testcase")
        if c.get("name") == "runner.suite-error"
    )
    assert case.find("error") is not None and case.find("failure") is None


@pytest.mark.parametrize("transport", ["in-process", "pipe"])
def test_what_an_adapter_call_raises_is_the_implementations_failure(
    tmp_path: Path, transport: str
) -> None:
    """One defect, one status, whatever the transport: an exception the adapter did
    not convert fails the clause in process, and through the Python harness too
    (which answers harness_error with "implementation raised ..." for it)."""
    adapter = ["--adapter", f"{RUNNER_DEVIANTS}:RaisingAdapter"]
    if transport == "pipe":
        raising = f"{RUNNER_DEVIANTS}:RaisingAdapter"
        harness = f"{sys.executable} -m mmapspec.adapters.harness --adapter {raising}"
        adapter = ["--pipe-cmd", harness]
    proc, doc = mini(
        tmp_path, *adapter, "-n", "0", "--clause", "runner.binding-raises",
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    record = _clause(doc, "runner.binding-raises")
    assert (record["status"], record["deviation"]) == ("fail", True), record
    assert "AttributeError: 'NoneType' object has no attribute 'close'" in record["message"]
    assert doc["incomplete"] is None


def test_an_error_in_the_spec_model_is_the_suites_not_a_clause_failure(tmp_path: Path) -> None:
    """The real spec's stateful model with a binding that maps no file read-only: the
    model has no file kind to draw from and Hypothesis raises InvalidArgument in the
    suite's own code. Its clauses get ``error`` and the run is incomplete; none fails."""
    out = tmp_path / "report.json"
    proc = run(
        "run", "--adapter", f"{RUNNER_DEVIANTS}:NoReadOnlyFileAdapter", "-n", "0",
        "--clause", "map.access.w", "--json", str(out), cwd=tmp_path,
    )  # fmt: skip
    line = one_error_line(proc)
    assert "InvalidArgument" in line and "test_file_and_its_maps" in line, line
    doc = json.loads(out.read_text())
    record = _clause(doc, "map.access.w")
    assert (record["status"], record["deviation"]) == ("error", False), record
    assert "InvalidArgument" in record["message"]
    assert doc["verdict"] == "incomplete"
