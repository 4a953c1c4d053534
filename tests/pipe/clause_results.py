"""A pytest plugin (``-p clause_results``) that writes each test's outcome and the
clauses it checks to the JSON file named by $MMAPSPEC_CLAUSE_RESULTS, so that two
runs of the spec (in process and through the pipe) can be compared clause by clause."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

_results: dict[str, dict[str, Any]] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        clauses = [cid for mark in item.iter_markers("clause") for cid in mark.args]
        _results[item.nodeid] = {"clauses": clauses, "outcome": None, "detail": ""}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    entry = _results.setdefault(report.nodeid, {"clauses": [], "outcome": None, "detail": ""})
    if report.failed:
        entry["outcome"] = "failed" if report.when == "call" else f"error in {report.when}"
        crash = getattr(report.longrepr, "reprcrash", None)
        entry["detail"] = crash.message if crash is not None else str(report.longrepr)[:500]
    elif report.skipped and entry["outcome"] is None:
        entry["outcome"] = "skipped"
        longrepr = report.longrepr
        entry["detail"] = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    elif report.passed and report.when == "call" and entry["outcome"] is None:
        entry["outcome"] = "passed"


def pytest_sessionfinish(session: pytest.Session) -> None:
    with open(os.environ["MMAPSPEC_CLAUSE_RESULTS"], "w", encoding="utf-8") as out:
        json.dump(_results, out, indent=1, sort_keys=True)
