"""From per-test outcomes to one verdict per clause.

The plugin feeds :class:`TestResult` objects (one per spec test, built on the
pytest controller from the reports the workers send) into :func:`build_report`,
which aggregates them per clause, applies an expectations file and produces the
:class:`Report` that every output format renders.
"""

from __future__ import annotations

import dataclasses
import enum
import platform
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mmapspec.expectations import NO_EXPECTATIONS, Expectation, Expectations


class Status(str, enum.Enum):
    """The status of a clause (and of one test's contribution to it)."""

    PASS = "pass"
    FAIL = "fail"
    """The document's words, or a safety expectation, are broken: a deviation."""
    DIFFERS = "differs-from-reading"
    """A ``reading`` clause failed: the binding reads a spot the document leaves
    ambiguous or silent differently from the suite. Not a deviation unless strict."""
    BLOCKED = "blocked"
    """The clause's test failed, but it relied on another clause that did not pass in
    this run: nothing is known about this one until that one is fixed."""
    UNSUPPORTED = "unsupported"
    """The adapter does not declare a capability this clause needs."""
    CRASH = "crash"
    """The implementation's process died."""
    SKIPPED = "skipped"
    """Not checked here: every test of the clause was skipped for a reason other than
    a missing capability (say, no way to fill a disk on this machine), or none ran."""
    EXPECTED_FAIL = "expected-fail"
    UNEXPECTED_PASS = "unexpected-pass"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


# Module-level names for the statuses, as the renderers and tests spell them.
PASS = Status.PASS
FAIL = Status.FAIL
DIFFERS = Status.DIFFERS
BLOCKED = Status.BLOCKED
UNSUPPORTED = Status.UNSUPPORTED
CRASH = Status.CRASH
SKIPPED = Status.SKIPPED
EXPECTED_FAIL = Status.EXPECTED_FAIL
UNEXPECTED_PASS = Status.UNEXPECTED_PASS

STATUSES = tuple(Status)

# "A clause with mixed test results takes the worst." Skipped tests rank lowest so
# that a clause checked one way and not another is judged by the check that ran;
# a blocked test ranks below a failing one, so that a clause with a failure of
# its own is reported failing whatever else blocked.
_RANK = {SKIPPED: 0, PASS: 1, UNSUPPORTED: 2, BLOCKED: 3, DIFFERS: 4, FAIL: 5, CRASH: 6}

DEVIATIONS = frozenset({FAIL, UNSUPPORTED, CRASH, UNEXPECTED_PASS})
"""Statuses that make a run exit 1 (unless expected, in which case the status is
``expected-fail`` instead). ``differs-from-reading`` joins them under ``--strict``."""

NOT_PASSING = frozenset({FAIL, DIFFERS, BLOCKED, UNSUPPORTED, CRASH})
"""A prerequisite in one of these statuses blocks the clauses that rely on it."""


def worst(statuses: Iterable[Status]) -> Status:
    """The worst of some actual statuses; SKIPPED if there are none."""
    return max(statuses, key=_RANK.__getitem__, default=SKIPPED)


@dataclasses.dataclass
class TestResult:
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
        if _RANK[status] > _RANK[self.status]:
            self.status, self.message = status, message
        elif status == self.status and self.message is None:
            self.message = message
        if example and not self.example:
            self.example = example


@dataclasses.dataclass(frozen=True)
class Contribution:
    """What one test says about one clause."""

    test: TestResult
    status: Status
    message: str | None


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
    tests: list[TestResult]
    blocked_by: str | None = None
    """For ``blocked``: the prerequisite clause that did not pass."""

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
    strict: bool = False
    """``--strict``: a clause that differs from the suite's reading is a deviation."""
    incomplete: str | None = None
    """Why the run stopped before its end (interrupted, timed out, a harness that
    kept failing), or None when it ran to the end. Never conformant when set."""
    environment: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """What ran besides the adapter: mmapspec's version, the Hypothesis profile and seed."""

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

    @property
    def failed_untagged(self) -> list[TestResult]:
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


def judge(
    actual: Status, exp: Expectation | None, strict: bool = False
) -> tuple[Status, bool, str | None]:
    """Apply one expectation to a clause's actual status.

    Returns (status, deviation, a note to put before the message or None)."""
    deviating = actual in DEVIATIONS or (strict and actual == DIFFERS)
    if exp is None:
        return actual, deviating, None
    if actual in (SKIPPED, BLOCKED):
        return actual, False, f"not checked here; expected {exp.status}: {exp.reason}"
    if actual == PASS:
        return (
            UNEXPECTED_PASS,
            True,
            f"listed as expected {exp.status} ({exp.reason}) but passed: remove the entry",
        )
    if actual.value == exp.status or (actual == DIFFERS and exp.status == FAIL.value):
        return EXPECTED_FAIL, False, None
    if not deviating:
        return actual, False, f"expected {exp.status} ({exp.reason}), got {actual}"
    return actual, True, f"expected {exp.status} ({exp.reason}), got {actual}"


def contributions(test: TestResult) -> list[tuple[str, Status, str | None]]:
    """What one test says about each clause: (clause, status, message).

    A test speaks for its own clause. A multi-clause test (the stateful model) that
    failed speaks only for the clause its failure is attributed to; the others are
    not judged by that run. A broken prerequisite blocks the test's own clause and is
    a failure of the prerequisite's."""
    if test.broken_prerequisite is not None:
        said = [
            (c, BLOCKED, f"blocked by {test.broken_prerequisite}: {test.message}")
            for c in test.clauses
        ]
        evidence = f"seen while {test.nodeid} set up or observed: {test.message}"
        return [*said, (test.broken_prerequisite, test.status, evidence)]
    if test.status in (PASS, SKIPPED, UNSUPPORTED) or len(test.clauses) <= 1:
        return [(c, test.status, test.message) for c in test.clauses]
    culprit = test.attributed if test.attributed in test.clauses else test.clauses[0]
    return [
        (c, test.status, test.message)
        if c == culprit
        else (c, SKIPPED, f"not judged by this run: it stopped at a failure of {culprit}")
        for c in test.clauses
    ]


def _declared_culprit(test: TestResult, actual: Mapping[str, Status]) -> str | None:
    """The first prerequisite ``test`` declared that did not pass, if any."""
    return next((p for p in test.prerequisites if actual.get(p, SKIPPED) in NOT_PASSING), None)


def _resolve_blocking(
    said: dict[str, list[Contribution]], basis: Mapping[str, str]
) -> tuple[dict[str, Status], dict[str, str]]:
    """Each clause's actual status, with the failures of tests whose declared
    prerequisites did not pass turned into ``blocked``.

    First, a test whose declared prerequisite did not pass is no witness either: what
    it saw of another clause at a setup call (its evidence against a prerequisite
    broken at the call) is set aside, since the declared one may be the cause. Then
    the blocking is repeated until nothing changes, since a blocked clause blocks in
    turn (the prerequisite graph has no cycles: the catalogue linter checks it)."""
    actual = {cid: worst(x.status for x in xs) for cid, xs in said.items()}
    for cid, xs in said.items():
        for i, x in enumerate(xs):
            culprit = _declared_culprit(x.test, actual)
            if culprit is not None and x.test.broken_prerequisite == cid and x.status != BLOCKED:
                why = f"not judged by {x.test.nodeid}: it relied on {culprit}, which did not pass"
                xs[i] = Contribution(x.test, SKIPPED, why)
    blocked_by: dict[str, str] = {}
    while True:
        actual = {cid: worst(x.status for x in xs) for cid, xs in said.items()}
        changed = False
        for cid, xs in said.items():
            for i, x in enumerate(xs):
                runtime_blocked = x.status == BLOCKED and cid not in blocked_by
                if x.status not in (FAIL, CRASH) and not runtime_blocked:
                    continue
                culprit = _declared_culprit(x.test, actual)
                if culprit is None or culprit == cid:
                    continue
                why = f"blocked by {culprit} ({actual[culprit]}): {x.message}"
                xs[i] = Contribution(x.test, BLOCKED, why)
                blocked_by.setdefault(cid, culprit)
                changed = changed or x.status != BLOCKED
        if not changed:
            break
    for cid, status in actual.items():
        if status == FAIL and basis.get(cid) == "reading":
            actual[cid] = DIFFERS
    return actual, blocked_by


def _blocker(cid: str, xs: list[Contribution], declared: Mapping[str, str]) -> str | None:
    """The prerequisite that blocked a clause: a declared one that did not pass (the
    root of the chain), else the one a setup call broke."""
    at_call = next(
        (
            x.test.broken_prerequisite
            for x in xs
            if x.status == BLOCKED and x.test.broken_prerequisite
        ),
        None,
    )
    return declared.get(cid) or at_call


def build_report(
    catalogue: Sequence[Any],
    tests: Iterable[TestResult],
    expectations: Expectations = NO_EXPECTATIONS,
    adapter: Mapping[str, Any] | None = None,
    selected: Iterable[str] | None = None,
    duration: float = 0.0,
    section_sizes: Mapping[str, int] | None = None,
    strict: bool = False,
) -> Report:
    """Aggregate test results per clause of ``catalogue`` (``spec.catalogue.Clause``
    objects) and apply ``expectations``. ``selected``: the clause IDs the run was
    limited to (``--mmap-clause``); None means the whole catalogue, in which case a
    clause that no test checked is reported ``skipped``."""
    said: dict[str, list[Contribution]] = {}
    ran: dict[str, list[TestResult]] = {}
    untagged: list[TestResult] = []
    for t in tests:
        if not t.clauses:
            untagged.append(t)
        for cid, status, message in contributions(t):
            said.setdefault(cid, []).append(Contribution(t, status, message))
            ran.setdefault(cid, [])
            if t not in ran[cid]:
                ran[cid].append(t)
    basis = {c.id: c.basis for c in catalogue}
    actual_by_id, blocked_by = _resolve_blocking(said, basis)
    wanted = set(selected) if selected is not None else None
    known = set(basis)
    results = []
    for clause in catalogue:
        xs = said.get(clause.id, [])
        if wanted is not None and clause.id not in wanted and not xs:
            continue
        actual = actual_by_id.get(clause.id, SKIPPED)
        exp = expectations.entries.get(clause.id)
        status, deviation, note = judge(actual, exp, strict)
        # A reading clause differs where its tests failed.
        looking_for = FAIL if actual == DIFFERS else actual
        culprit = next((x for x in xs if x.status == looking_for), None)
        message = culprit.message if culprit and actual != PASS else None
        if actual == SKIPPED and not xs:
            message = "no test of this clause ran"
        if note:
            message = f"{note}: {message}" if message else note
        example = culprit.test.example if culprit and actual != PASS else None
        results.append(
            ClauseResult(
                id=clause.id,
                section=clause.section,
                function=clause.function,
                kind=clause.kind,
                quote=clause.quote,
                basis=clause.basis,
                reading=clause.reading,
                actual=actual,
                status=status,
                deviation=deviation,
                expectation=exp,
                message=message,
                example=example,
                tests=ran.get(clause.id, []),
                blocked_by=_blocker(clause.id, xs, blocked_by) if actual == BLOCKED else None,
            )
        )
    # Tests naming clauses that are not in the catalogue: the spec's own linter
    # rejects them, but never let their failures disappear from a report.
    for cid in sorted(set(said) - known):
        untagged.extend(x.test for x in said[cid] if x.test not in untagged)
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
        strict=strict,
    )


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
