"""A skipped phase is ``unsupported`` because the worker's facts say so, never because
of the words of its skip reason."""

from __future__ import annotations

import pytest
from mmapspec.plugin.collector import phase_fact
from mmapspec.plugin.worker_facts import WorkerFacts
from mmapspec.results.status import SKIPPED, UNSUPPORTED
from mmapspec.results.status_pipeline import phase_status


def _skipped(reason: str) -> pytest.TestReport:
    return pytest.TestReport(
        "spec/test_x.py::test_x", ("spec/test_x.py", 1, "test_x"), {}, "skipped",
        ("spec/test_x.py", 1, f"Skipped: {reason}"), "setup",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "reason", "status"),
    [
        ("unsupported", "unsupported: tagname", UNSUPPORTED),
        ("unsupported", "the binding cannot do this", UNSUPPORTED),
        (None, "unsupported: tagname", SKIPPED),  # a test's own skip, whatever it says
        ("not-applicable", "not applicable here: file:handle (not on linux)", SKIPPED),
        ("check-only", "this check needs mirror, which the adapter does not declare", SKIPPED),
    ],
)
def test_the_skip_kind_decides(kind: str | None, reason: str, status: object) -> None:
    facts = WorkerFacts(["c.a"], [], skip=kind)
    assert phase_status(phase_fact(_skipped(reason), facts)) == (status, reason)


def test_the_skip_kind_survives_the_trip_to_the_controller() -> None:
    report = _skipped("unsupported: tagname")
    WorkerFacts(["c.a"], [], skip="unsupported").attach(report)
    rebuilt = pytest.TestReport._from_json(report._to_json())
    facts = WorkerFacts.of(rebuilt)
    assert facts is not None and facts.skip == "unsupported"
