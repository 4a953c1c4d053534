"""What a worker attaches to the pytest report of each phase of a spec test, for the
controller to aggregate.

Under pytest-xdist the report travels from a worker to the controller serialised:
plain attributes survive (``TestReport(**extra)``), objects do not. So the facts
travel as ``mmapspec_*`` attributes of the report, and :class:`WorkerFacts` is how
both sides read and write them. Without xdist the same object makes the same trip
within one process.
"""

from __future__ import annotations

import dataclasses

import pytest

_PREFIX = "mmapspec_"


@dataclasses.dataclass
class WorkerFacts:
    """One phase of one spec test, as the worker saw it."""

    clauses: list[str]
    """The clauses the test gives a status to (``@pytest.mark.clause``)."""
    prerequisites: list[str]
    """The clauses it declared it relies on (``@pytest.mark.prerequisites``)."""
    crash: bool = False
    """The phase failed because the implementation (or its harness) died."""
    harness: bool = False
    """The failure was the harness's (:class:`~mmapspec.adapters.interface.HarnessFailure`),
    no evidence about the binding."""
    suite_error: bool = False
    """The phase failed because the suite's own code raised (not an adapter call, not
    an assertion about one): no evidence about the binding."""
    prerequisite: str | None = None
    """The clause whose promise a setup or observing call broke."""
    attributed: str | None = None
    """The clause a failure of a multi-clause test belongs to."""
    message: str | None = None
    """``Type: message`` of the failure."""
    example: str | None = None
    """Hypothesis's falsifying example, as lines that reproduce it."""
    skip: str | None = None
    """Why the suite skipped the phase (a :data:`~mmapspec.plugin.spec_items.SkipKind`:
    ``unsupported``, ``not-applicable``, ``check-only``); None for any other skip."""
    missing: list[str] = dataclasses.field(default_factory=list)
    """For an ``unsupported`` skip: the capabilities the adapter lacks."""

    def attach(self, report: pytest.TestReport) -> None:
        """Write the facts onto ``report``; those left at their defaults are left off."""
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value or field.name in ("clauses", "prerequisites"):
                setattr(report, _PREFIX + field.name, value)

    @classmethod
    def of(cls, report: pytest.TestReport) -> WorkerFacts | None:
        """The facts a worker attached to ``report``; None for a test not of the spec."""
        clauses = getattr(report, _PREFIX + "clauses", None)
        if clauses is None:
            return None
        values = {
            f.name: getattr(report, _PREFIX + f.name)
            for f in dataclasses.fields(cls)
            if hasattr(report, _PREFIX + f.name)
        }
        return cls(**values)
