"""From test outcomes to one result per clause: :func:`build_report`.

The plugin feeds :class:`~mmapspec.results.records.TestOutcome` objects (one per spec
test, built on the pytest controller from the reports the workers send) into
:func:`build_report`, which produces the :class:`~mmapspec.results.model.Report` that
every output format renders. A clause's status is decided in these stages:

1. phase: the status of one phase of a test, from the facts its worker sent
   (:func:`mmapspec.plugin.collector._phase_status`; ``unsupported`` is the typed
   fact ``WorkerFacts.skip``, never words of a skip reason);
2. test: its phases folded, the worst wins
   (:meth:`~mmapspec.results.records.TestOutcome.merge`, by
   :attr:`~mmapspec.results.status.StatusFacts.severity`);
3. the clause's contributions: what each test says of each clause (:func:`contributions`);
4. blocking and readings: a broken prerequisite blocks the clauses relying on it
   (:func:`_resolve_blocking`);
5. expectations: an expectations file's entry turns the actual status into the
   reported one (:func:`judge`);
6. the verdict of each part, the document's clauses and the safety clauses
   (:meth:`~mmapspec.results.model.Report.part_verdict`), which every rendering and
   the exit status read.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mmapspec.results.expectations import NO_EXPECTATIONS, Expectation, Expectations
from mmapspec.results.model import Report
from mmapspec.results.records import AdapterInfo, ClauseResult, TestOutcome, TestRecord
from mmapspec.results.status import (
    BLOCKED,
    CRASH,
    DEVIATIONS,
    DIFFERS,
    ERROR,
    EXPECTED_FAIL,
    FAIL,
    HARNESS_ERROR,
    NOT_PASSING,
    PASS,
    SKIPPED,
    UNEXPECTED_PASS,
    UNSUPPORTED,
    Status,
    worst,
)


@dataclasses.dataclass(frozen=True)
class Contribution:
    """What one test says about one clause."""

    test: TestOutcome
    status: Status
    message: str | None


def contributions(test: TestOutcome) -> list[tuple[str, Status, str | None]]:
    """What one test says about each clause: (clause, status, message).

    A test speaks for its own clause. A multi-clause test (the stateful model) that
    failed speaks only for the clause its failure is attributed to; the others are
    not judged by that run; the suite's own error or the harness's leaves every clause
    of the test unjudged (``error``, ``harness-error``). A broken prerequisite blocks
    the test's own clause and is a failure of the prerequisite's."""
    if test.broken_prerequisite is not None:
        said = [
            (c, BLOCKED, f"blocked by {test.broken_prerequisite}: {test.message}")
            for c in test.clauses
        ]
        evidence = f"seen while {test.nodeid} set up or observed: {test.message}"
        return [*said, (test.broken_prerequisite, test.status, evidence)]
    if test.status in (PASS, SKIPPED, UNSUPPORTED, ERROR, HARNESS_ERROR) or len(test.clauses) <= 1:
        return [(c, test.status, test.message) for c in test.clauses]
    culprit = test.attributed if test.attributed in test.clauses else test.clauses[0]
    return [
        (c, test.status, test.message)
        if c == culprit
        else (c, SKIPPED, f"not judged by this run: it stopped at a failure of {culprit}")
        for c in test.clauses
    ]


def _declared_culprit(test: TestOutcome, actual: Mapping[str, Status]) -> str | None:
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
    tests: Iterable[TestOutcome],
    expectations: Expectations = NO_EXPECTATIONS,
    adapter: AdapterInfo | None = None,
    selected: Iterable[str] | None = None,
    duration: float = 0.0,
    section_sizes: Mapping[str, int] | None = None,
    strict: bool = False,
) -> Report:
    """Aggregate test outcomes per clause of ``catalogue`` (``spec.catalogue.Clause``
    objects) and apply ``expectations``. ``selected``: the clause IDs the run was
    limited to (``--mmap-clause``); None means the whole catalogue, in which case a
    clause that no test checked is reported ``skipped``."""
    said, ran, untagged = _gather(tests)
    basis = {c.id: c.basis for c in catalogue}
    actual, blocked_by = _resolve_blocking(said, basis)
    wanted = set(selected) if selected is not None else None
    results = [
        _clause_result(
            clause,
            said.get(clause.id, []),
            ran.get(clause.id, []),
            actual.get(clause.id, SKIPPED),
            expectations.entries.get(clause.id),
            strict,
            blocked_by,
        )
        for clause in catalogue
        if wanted is None or clause.id in wanted or said.get(clause.id)
    ]
    # Tests naming clauses that are not in the catalogue: the spec's own linter
    # rejects them, but never let their failures disappear from a report.
    for cid in sorted(set(said) - set(basis)):
        untagged.extend(x.test for x in said[cid] if x.test not in untagged)
    if section_sizes is None:
        section_sizes = dict(Counter(c.section for c in catalogue))
    return Report(
        adapter=adapter or AdapterInfo(spec=""),
        clauses=results,
        section_sizes=section_sizes,
        stale=expectations.stale(basis),
        expectations_file=expectations.path,
        untagged=[TestRecord.of(t, notes=False) for t in untagged],
        duration=round(duration, 3),
        strict=strict,
    )


def _gather(
    tests: Iterable[TestOutcome],
) -> tuple[dict[str, list[Contribution]], dict[str, list[TestOutcome]], list[TestOutcome]]:
    """What the tests say about each clause, the tests that ran for each clause, and
    the tests that name no clause."""
    said: dict[str, list[Contribution]] = {}
    ran: dict[str, list[TestOutcome]] = {}
    untagged: list[TestOutcome] = []
    for t in tests:
        if not t.clauses:
            untagged.append(t)
        for cid, status, message in contributions(t):
            said.setdefault(cid, []).append(Contribution(t, status, message))
            ran.setdefault(cid, [])
            if t not in ran[cid]:
                ran[cid].append(t)
    return said, ran, untagged


def _clause_result(
    clause: Any,
    xs: list[Contribution],
    tests: list[TestOutcome],
    actual: Status,
    exp: Expectation | None,
    strict: bool,
    blocked_by: Mapping[str, str],
) -> ClauseResult:
    """One clause's result: its actual status judged against its expectation, with
    the message and example of the test that decided it."""
    status, deviation, note = judge(actual, exp, strict)
    # A reading clause differs where its tests failed.
    looking_for = FAIL if actual == DIFFERS else actual
    culprit = next((x for x in xs if x.status == looking_for), None)
    message = culprit.message if culprit and actual != PASS else None
    if actual == SKIPPED and not xs:
        message = "no test of this clause ran"
    if note:
        message = f"{note}: {message}" if message else note
    return ClauseResult(
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
        example=culprit.test.example if culprit and actual != PASS else None,
        tests=[TestRecord.of(t) for t in tests],
        blocked_by=_blocker(clause.id, xs, blocked_by) if actual == BLOCKED else None,
        tested_range=next((str(v) for t in tests for n, v in t.notes if n == "int_range"), None),
    )


def judge(
    actual: Status, exp: Expectation | None, strict: bool = False
) -> tuple[Status, bool, str | None]:
    """Apply one expectation to a clause's actual status.

    Returns (status, deviation, a note to put before the message or None)."""
    deviating = actual in DEVIATIONS or (strict and actual == DIFFERS)
    if exp is None:
        return actual, deviating, None
    if actual in (SKIPPED, BLOCKED, ERROR, HARNESS_ERROR):
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
