"""From test outcomes to one result per clause: :func:`build_report`.

The plugin feeds :class:`~mmapspec.results.records.TestOutcome` objects (one per spec
test, built on the pytest controller from the reports the workers send) into
:func:`build_report`, which produces the :class:`~mmapspec.results.model.Report` that
every output format renders. It decides no status: each stage of a clause's status
(the clause's contributions, blocking and readings, expectations) is
:mod:`mmapspec.results.status_pipeline`'s; here what the stages say is gathered into
each clause's :class:`~mmapspec.results.records.ClauseResult`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mmapspec.results.expectations import NO_EXPECTATIONS, Expectation, Expectations
from mmapspec.results.model import Report
from mmapspec.results.records import AdapterInfo, ClauseResult, TestOutcome, TestRecord
from mmapspec.results.status import BLOCKED, SKIPPED, UNSUPPORTED, Status
from mmapspec.results.status_pipeline import (
    Contribution,
    clause_actual,
    contributions,
    decisive,
    judge,
    resolve_blocking,
)


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
    actual, blocked_by = resolve_blocking(said, basis)
    wanted = set(selected) if selected is not None else None
    results = [
        _clause_result(
            clause,
            said.get(clause.id, []),
            ran.get(clause.id, []),
            clause_actual(actual, clause.id),
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
    culprit = decisive(xs, actual)
    message = culprit.message if culprit else None
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
        example=culprit.test.example if culprit else None,
        tests=[TestRecord.of(t) for t in tests],
        blocked_by=_blocker(clause.id, xs, blocked_by) if actual == BLOCKED else None,
        missing=culprit.test.missing if culprit and actual == UNSUPPORTED else (),
        tested_range=next((str(v) for t in tests for n, v in t.notes if n == "int_range"), None),
    )
