"""From per-test outcomes to one verdict per clause.

The plugin feeds :class:`TestResult` objects (one per spec test, built on the
pytest controller from the reports the workers send) into :func:`build_report`,
which aggregates them per clause, applies an expectations file and produces the
:class:`Report` that every output format renders.
"""

from __future__ import annotations

import dataclasses
import platform
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mmapspec.expectations import NO_EXPECTATIONS, Expectation, Expectations

# Statuses of a clause. The first five are what tests observed ("actual");
# expected-fail and unexpected-pass are what an expectations file makes of them.
PASS = "pass"
FAIL = "fail"
UNSUPPORTED = "unsupported"
CRASH = "crash"
SKIPPED = "skipped"
"""Not checked here: every test of the clause was skipped for a reason other than
a missing capability (say, no way to fill a disk on this machine), or no test ran."""
EXPECTED_FAIL = "expected-fail"
UNEXPECTED_PASS = "unexpected-pass"

STATUSES = (PASS, FAIL, UNSUPPORTED, CRASH, EXPECTED_FAIL, UNEXPECTED_PASS, SKIPPED)

# "A clause with mixed test results takes the worst." Skipped tests rank lowest so
# that a clause checked one way and not another is judged by the check that ran.
_RANK = {SKIPPED: 0, PASS: 1, UNSUPPORTED: 2, FAIL: 3, CRASH: 4}

DEVIATIONS = frozenset({FAIL, UNSUPPORTED, CRASH, UNEXPECTED_PASS})
"""Statuses that make a run exit 1 (unless expected, in which case the status is
``expected-fail`` instead)."""


def worst(statuses: Iterable[str]) -> str:
    """The worst of some actual statuses; SKIPPED if there are none."""
    return max(statuses, key=_RANK.__getitem__, default=SKIPPED)


@dataclasses.dataclass
class TestResult:
    """One spec test, all its phases merged."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    nodeid: str
    clauses: tuple[str, ...]
    status: str = SKIPPED
    message: str | None = None
    example: str | None = None
    duration: float = 0.0
    notes: list[tuple[str, Any]] = dataclasses.field(default_factory=list)

    def merge(self, status: str, message: str | None, example: str | None) -> None:
        """Fold in one phase; the worst phase wins. The plugin folds in the call
        phase always, and setup/teardown only when they did not pass."""
        if _RANK[status] > _RANK[self.status]:
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
    reading: str | None
    actual: str
    status: str
    deviation: bool
    expectation: Expectation | None
    message: str | None
    example: str | None
    tests: list[TestResult]

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
            "reading": self.reading,
            "status": self.status,
            "actual": self.actual,
            "deviation": self.deviation,
            "expectation": None
            if self.expectation is None
            else {"status": self.expectation.status, "reason": self.expectation.reason},
            "message": self.message,
            "example": self.example,
            "tests": [
                {
                    "nodeid": t.nodeid,
                    "status": t.status,
                    "message": t.message,
                    "duration": round(t.duration, 4),
                }
                for t in self.tests
            ],
            "notes": notes,
        }


@dataclasses.dataclass
class Report:
    adapter: Mapping[str, Any]
    clauses: list[ClauseResult]
    section_sizes: Mapping[str, int]
    """The catalogue's clause count per documentation section."""
    stale: list[Expectation]
    expectations_file: str | None
    untagged: list[TestResult]
    """Spec tests that name no clause (the spec's self-check forbids them; a failing
    one still counts as a deviation rather than vanishing)."""
    duration: float = 0.0
    incomplete: str | None = None
    """Why the run stopped before its end (interrupted, timed out, a harness that
    kept failing), or None when it ran to the end. Never conformant when set."""
    environment: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """What ran besides the adapter: mmapspec's version, the Hypothesis profile and seed."""

    @property
    def counts(self) -> Counter[str]:
        return Counter(c.status for c in self.clauses)

    @property
    def deviations(self) -> list[ClauseResult]:
        return [c for c in self.clauses if c.deviation]

    @property
    def failed_untagged(self) -> list[TestResult]:
        return [t for t in self.untagged if t.status in (FAIL, CRASH)]

    @property
    def conformant(self) -> bool:
        """Conformant, or deviating exactly as the expectations file says, in a run
        that went to its end."""
        if self.incomplete is not None:
            return False
        return not (self.deviations or self.stale or self.failed_untagged)

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
            "adapter": dict(self.adapter),
            "platform": {
                "system": sys.platform,
                "machine": platform.machine(),
                "python": platform.python_version(),
            },
            "duration": round(self.duration, 3),
            "conformant": self.conformant,
            "summary": {"clauses": len(self.clauses), **{s: counts.get(s, 0) for s in STATUSES}},
            "sections": [
                {
                    "section": section,
                    "catalogue": self.section_sizes.get(section, 0),
                    "counts": dict(Counter(c.status for c in clauses)),
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
                {"nodeid": t.nodeid, "status": t.status, "message": t.message}
                for t in self.untagged
            ],
        }


def judge(actual: str, exp: Expectation | None) -> tuple[str, bool, str | None]:
    """Apply one expectation to a clause's actual status.

    Returns (status, deviation, a note to put before the message or None)."""
    if exp is None:
        return actual, actual in DEVIATIONS, None
    if actual == SKIPPED:
        return SKIPPED, False, f"not checked here; expected {exp.status}: {exp.reason}"
    if actual == PASS:
        return (
            UNEXPECTED_PASS,
            True,
            f"listed as expected {exp.status} ({exp.reason}) but passed: remove the entry",
        )
    if actual == exp.status:
        return EXPECTED_FAIL, False, None
    return actual, True, f"expected {exp.status} ({exp.reason}), got {actual}"


def build_report(
    catalogue: Sequence[Any],
    tests: Iterable[TestResult],
    expectations: Expectations = NO_EXPECTATIONS,
    adapter: Mapping[str, Any] | None = None,
    selected: Iterable[str] | None = None,
    duration: float = 0.0,
    section_sizes: Mapping[str, int] | None = None,
) -> Report:
    """Aggregate test results per clause of ``catalogue`` (``spec.catalogue.Clause``
    objects) and apply ``expectations``. ``selected``: the clause IDs the run was
    limited to (``--mmap-clause``); None means the whole catalogue, in which case a
    clause that no test checked is reported ``skipped``."""
    per_clause: dict[str, list[TestResult]] = {}
    untagged: list[TestResult] = []
    for t in tests:
        if not t.clauses:
            untagged.append(t)
        for cid in t.clauses:
            per_clause.setdefault(cid, []).append(t)
    wanted = set(selected) if selected is not None else None
    known = {c.id for c in catalogue}
    results = []
    for clause in catalogue:
        ran = per_clause.get(clause.id, [])
        if wanted is not None and clause.id not in wanted and not ran:
            continue
        actual = worst(t.status for t in ran)
        exp = expectations.entries.get(clause.id)
        status, deviation, note = judge(actual, exp)
        culprit = next((t for t in ran if t.status == actual), None)
        message = culprit.message if culprit and actual != PASS else None
        if actual == SKIPPED and not ran:
            message = "no test of this clause ran"
        if note:
            message = f"{note}: {message}" if message else note
        results.append(
            ClauseResult(
                id=clause.id,
                section=clause.section,
                function=clause.function,
                kind=clause.kind,
                quote=clause.quote,
                reading=clause.reading,
                actual=actual,
                status=status,
                deviation=deviation,
                expectation=exp,
                message=message,
                example=next((t.example for t in ran if t.example and t.status == actual), None),
                tests=ran,
            )
        )
    # Tests naming clauses that are not in the catalogue: the spec's own linter
    # rejects them, but never let their failures disappear from a report.
    for cid in sorted(set(per_clause) - known):
        untagged.extend(t for t in per_clause[cid] if t not in untagged)
    if section_sizes is None:
        section_sizes = dict(Counter(c.section for c in catalogue))
    return Report(
        adapter=adapter or {},
        clauses=results,
        section_sizes=section_sizes,
        stale=expectations.stale(known),
        expectations_file=expectations.path,
        untagged=untagged,
        duration=duration,
    )


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
