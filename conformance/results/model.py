"""What a run found: each spec test's outcome, each clause's result, and the
:class:`Report` that holds them, with its JSON document (``report.schema.json``).

:mod:`mmapspec.results.clause_results` builds a Report from test outcomes;
:mod:`mmapspec.results.report_formats` renders it for the terminal, JSON, JUnit and Markdown.
"""

from __future__ import annotations

import dataclasses
import enum
import platform
import sys
from collections import Counter
from collections.abc import Mapping
from typing import Any

from mmapspec.results.expectations import Expectation
from mmapspec.results.status import (
    BLOCKED,
    CRASH,
    DIFFERS,
    ERROR,
    EXPECTED_FAIL,
    FAIL,
    HARNESS_ERROR,
    RANK,
    SKIPPED,
    STATUSES,
    Status,
)

SUITE_ERROR = "the suite's own code raised, not the implementation: "
"""How the message of a test with status ``error`` begins."""
HARNESS_FAILED = "the harness failed, not the implementation: "
"""How the message of a test with status ``harness-error`` begins."""


class Verdict(str, enum.Enum):
    """One word for the run (:attr:`Report.verdict`)."""

    CONFORMANT = "conformant"
    AS_EXPECTED = "as expected"
    """Every deviation is listed in the expectations file."""
    DEVIATIONS = "deviations"
    INCOMPLETE = "incomplete"
    """The run stopped before its end, whatever its clauses say."""

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


@dataclasses.dataclass(frozen=True)
class AdapterInfo:
    """The implementation judged. Only ``spec`` is certain: the rest is known when the
    adapter was loaded on the controller (always so with ``mmapspec run``)."""

    spec: str
    """How it was selected: a built-in name, module:attribute or entry point, with
    its ``--adapter-option`` settings."""
    name: str | None = None
    version: str | None = None
    capabilities: tuple[str, ...] = ()
    language: str | None = None
    """The language of a harness's binding, as its ``start`` says (the pipe adapter)."""

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"spec": self.spec}
        if self.name is not None:
            doc.update(name=self.name, version=self.version, capabilities=list(self.capabilities))
        if self.language is not None:
            doc["language"] = self.language
        return doc


@dataclasses.dataclass(frozen=True)
class HypothesisSettings:
    """The Hypothesis the tests ran under."""

    version: str
    profile: str
    seed: str | None
    """``--hypothesis-seed``, or None when Hypothesis chose."""
    derandomize: bool


@dataclasses.dataclass(frozen=True)
class RunEnvironment:
    """What ran besides the adapter."""

    mmapspec: str
    """The version of mmapspec (the runner and the spec)."""
    date: str
    """When the run ended, ISO 8601 in UTC."""
    spec: str
    """The spec package run."""
    spec_version: str | None
    """The spec package's version (its ``__version__``; mmapspec's for its own spec),
    or None when it names none."""
    timeout: float | None
    """The bound on the whole run in seconds (``--timeout``), or None."""
    hypothesis: HypothesisSettings

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class TestOutcome:
    """One spec test, all its phases merged."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    nodeid: str
    clauses: tuple[str, ...]
    """The clause the test gives a status to (several only for the stateful model,
    whose failures name the clause of the rule that broke: ``attributed``)."""
    status: Status = SKIPPED
    message: str | None = None
    example: str | None = None
    duration: float = 0.0
    notes: list[tuple[str, Any]] = dataclasses.field(default_factory=list)
    prerequisites: tuple[str, ...] = ()
    """Clauses the test declared it relies on (``@pytest.mark.prerequisites``)."""
    attributed: str | None = None
    """The clause a failure of a multi-clause test belongs to (a ``Violation``)."""
    broken_prerequisite: str | None = None
    """The clause whose promise a setup or observing call broke (``PrerequisiteFailed``):
    the failure is evidence against that clause and blocks the test's own."""
    harness_failure: bool = False
    """The failure was the runner-to-binding machinery's, not the binding's."""

    def merge(self, status: Status, message: str | None, example: str | None) -> None:
        """Fold in one phase; the worst phase wins. The plugin folds in the call
        phase always, and setup/teardown only when they did not pass."""
        if RANK[status] > RANK[self.status]:
            self.status, self.message = status, message
        elif status == self.status and self.message is None:
            self.message = message
        if example and not self.example:
            self.example = example


@dataclasses.dataclass
class ClauseResult:
    id: str
    section: str
    function: str
    kind: str
    quote: str
    basis: str
    reading: str | None
    actual: Status
    status: Status
    deviation: bool
    expectation: Expectation | None
    message: str | None
    example: str | None
    tests: list[TestOutcome]
    blocked_by: str | None = None
    """For ``blocked``: the prerequisite clause that did not pass."""
    tested_range: str | None = None
    """What the integer range the binding declares kept out of this clause's tests
    (their note ``int_range``), or None where it kept out nothing."""

    def to_json(self) -> dict[str, Any]:
        notes = [
            {"test": t.nodeid, "name": name, "value": _jsonable(value)}
            for t in self.tests
            for name, value in t.notes
        ]
        return {
            "id": self.id,
            "section": self.section,
            "function": self.function,
            "kind": self.kind,
            "quote": self.quote,
            "basis": self.basis,
            "reading": self.reading,
            "status": self.status.value,
            "actual": self.actual.value,
            "deviation": self.deviation,
            "blocked_by": self.blocked_by,
            "tested_range": self.tested_range,
            "expectation": None
            if self.expectation is None
            else {"status": self.expectation.status, "reason": self.expectation.reason},
            "message": self.message,
            "example": self.example,
            "tests": [
                {
                    "nodeid": t.nodeid,
                    "status": t.status.value,
                    "message": t.message,
                    "duration": round(t.duration, 4),
                }
                for t in self.tests
            ],
            "notes": notes,
        }


@dataclasses.dataclass
class Report:
    adapter: AdapterInfo
    clauses: list[ClauseResult]
    section_sizes: Mapping[str, int]
    """The catalogue's clause count per documentation section."""
    stale: list[Expectation]
    expectations_file: str | None
    untagged: list[TestOutcome]
    """Spec tests that name no clause (the spec's self-check forbids them; a failing
    one still counts as a deviation rather than vanishing)."""
    duration: float = 0.0
    strict: bool = False
    """``--strict``: a clause that differs from the suite's reading is a deviation."""
    incomplete: str | None = None
    """Why the run stopped before its end (interrupted, timed out, a harness that
    kept failing), or None when it ran to the end. Never conformant when set."""
    environment: RunEnvironment | None = None
    """What ran besides the adapter; None when the report is built by other means
    than a run (its JSON then has an empty ``run``)."""

    @property
    def counts(self) -> Counter[Status]:
        return Counter(c.status for c in self.clauses)

    @property
    def deviations(self) -> list[ClauseResult]:
        return [c for c in self.clauses if c.deviation]

    @property
    def differing(self) -> list[ClauseResult]:
        """Reading clauses the binding reads differently (deviations only if strict)."""
        return [c for c in self.clauses if c.actual == DIFFERS]

    @property
    def blocked(self) -> list[ClauseResult]:
        return [c for c in self.clauses if c.status == BLOCKED]

    def suite_errors(self, status: Status = ERROR) -> list[TestOutcome]:
        """Tests with ``status`` (by default the suite's own errors), each once."""
        seen: dict[str, TestOutcome] = {}
        for t in [*(t for c in self.clauses for t in c.tests), *self.untagged]:
            if t.status == status:
                seen.setdefault(t.nodeid, t)
        return list(seen.values())

    def suite_error_summary(self) -> str | None:
        """Why the suite's own errors make the run incomplete, naming the first test
        and its exception; None when there were none."""
        return self._not_judged(ERROR, SUITE_ERROR, "the suite's own code raised")

    def harness_error_summary(self) -> str | None:
        """Why the harness's failures make the run incomplete, naming the first test
        and the failure; None when there were none."""
        return self._not_judged(HARNESS_ERROR, HARNESS_FAILED, "the harness failed")

    def _not_judged(self, status: Status, prefix: str, what: str) -> str | None:
        errors = self.suite_errors(status)
        if not errors:
            return None
        first = errors[0]
        more = f" and {len(errors) - 1} more" if len(errors) > 1 else ""
        cause = (first.message or "").removeprefix(prefix)
        return f"{what} in {first.nodeid}{more}: {cause}"

    @property
    def failed_untagged(self) -> list[TestOutcome]:
        return [t for t in self.untagged if t.status in (FAIL, CRASH)]

    def _clean(self, safety: bool) -> bool:
        return not any(c.deviation for c in self.clauses if (c.basis == "safety") == safety)

    @property
    def conformant(self) -> bool:
        """The document's clauses (and readings, if strict) pass, or deviate exactly as
        the expectations file says, in a run that went to its end. Safety clauses have
        their own verdict, ``safe``."""
        if self.incomplete is not None:
            return False
        return self._clean(safety=False) and not (self.stale or self.failed_untagged)

    @property
    def safe(self) -> bool:
        """No safety clause deviates (beyond what the expectations file says)."""
        return self._clean(safety=True)

    @property
    def ok(self) -> bool:
        """What the exit status says: conformant and safe."""
        return self.conformant and self.safe

    @property
    def verdict(self) -> Verdict:
        """Incomplete (whatever its clauses say), deviations (of the document's clauses
        or the safety clauses), as expected (every deviation listed), or conformant."""
        if self.incomplete is not None:
            return Verdict.INCOMPLETE
        if not self.ok:
            return Verdict.DEVIATIONS
        if self.expectations_file and self.counts.get(EXPECTED_FAIL):
            return Verdict.AS_EXPECTED
        return Verdict.CONFORMANT

    def by_section(self) -> dict[str, list[ClauseResult]]:
        """Clauses grouped per section, sections in catalogue order."""
        groups: dict[str, list[ClauseResult]] = {s: [] for s in self.section_sizes}
        for c in self.clauses:
            groups.setdefault(c.section, []).append(c)
        return {s: cs for s, cs in groups.items() if cs}

    def to_json(self) -> dict[str, Any]:
        counts = self.counts
        return {
            "format": "mmapspec-report",
            "version": 1,
            "adapter": self.adapter.to_json(),
            "platform": {
                "system": sys.platform,
                "machine": platform.machine(),
                "python": platform.python_version(),
            },
            "duration": round(self.duration, 3),
            "strict": self.strict,
            "conformant": self.conformant,
            "safe": self.safe,
            "summary": {
                "clauses": len(self.clauses),
                **{s.value: counts.get(s, 0) for s in STATUSES},
            },
            "sections": [
                {
                    "section": section,
                    "catalogue": self.section_sizes.get(section, 0),
                    "counts": {s.value: n for s, n in Counter(c.status for c in clauses).items()},
                }
                for section, clauses in self.by_section().items()
            ],
            "expectations": {
                "file": self.expectations_file,
                "stale": [
                    {"clause": e.clause, "status": e.status, "reason": e.reason} for e in self.stale
                ],
            },
            "clauses": [c.to_json() for c in self.clauses],
            "untagged": [
                {"nodeid": t.nodeid, "status": t.status.value, "message": t.message}
                for t in self.untagged
            ],
        }


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
