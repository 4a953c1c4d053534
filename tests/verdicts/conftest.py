"""The verdict tests' summary table, printed at the end of the session.

Each test records its row as the ``verdict_row`` user property, which pytest-xdist
carries from the workers to the controller, where this table is printed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

_ROWS: dict[str, dict[str, Any]] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for name, value in report.user_properties:
        if name == "verdict_row":
            row = json.loads(str(value))
            _ROWS[row["deviant"]] = row


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _ROWS:
        return
    tr = terminalreporter
    tr.section("one defect, one clause")
    tr.write_line(
        f"{'deviant':32} {'via':10} {'intended':38} {'failing':>7} {'blocked':>7} "
        f"{'time':>7} {'shm':>4}  other failing clauses"
    )
    defects = failing = 0
    for row in _ROWS.values():
        others = [c for c in row["failing"] if c not in row["intended"]]
        defects += len(row["intended"])
        failing += len(row["failing"])
        tr.write_line(
            f"{row['deviant']:32} {row['via']:10} {', '.join(row['intended']):38} "
            f"{len(row['failing']):7} {len(row['blocked']):7} {row['seconds']:6.1f}s "
            f"{row['shm_left']:4}  {', '.join(others)}"
        )
    tr.write_line(
        f"{len(_ROWS)} deviants, {defects} planted defects, {failing} failing clauses: "
        f"{failing / defects:.2f} per defect (target 1.00)"
    )
