"""Where a status is decided: every stage, from a test's phase to the exit status.

The other modules of the runner only carry typed facts here and render what comes
back: the collector turns a pytest report into a :class:`PhaseFact` (never a
status), :mod:`~mmapspec.results.clause_results` gathers what the stages say into
clause results, and the report model, the renderings and the commands read the
verdicts. The stages, in order:

1. phase: the status of one phase of a test (:func:`phase_status`); ``unsupported``
   is the typed fact :attr:`PhaseFact.skip`, never words of a skip reason;
2. test: its phases folded, the worst wins (:func:`fold_phase`, :func:`fold`, by
   :attr:`~mmapspec.results.status.StatusFacts.severity`);
3. the clause's contributions: what each test says of each clause (:func:`contributions`);
4. blocking and readings: a broken prerequisite blocks the clauses relying on it, a
   reading clause that failed differs (:func:`resolve_blocking`, :func:`clause_actual`);
5. expectations: an expectations file's entry turns the actual status into the
   reported one (:func:`judge`);
6. the verdict of each part, the document's clauses and the safety clauses
   (:func:`part_verdict`), and of the run (:func:`run_verdict`);
7. the exit status, of pytest on the spec (:func:`verdict_exit_status`) and of
   ``mmapspec run`` (:func:`command_exit_status`); the codes are in
   :mod:`~mmapspec.results.exit_status`.

``tests/conformance/test_status_pipeline.py`` checks that no other module of the
runner assigns a status.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from mmapspec.results.exit_status import (
    EXIT_DEVIATIONS,
    EXIT_OK,
    EXIT_RUN_FAILED,
    WHY_PYTEST_STOPPED,
    PytestCode,
)
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
    Word,
    severity,
    worst,
)

if TYPE_CHECKING:
    from mmapspec.results.expectations import Expectation
    from mmapspec.results.records import ClauseResult, TestOutcome, TestRecord

SUITE_ERROR = "the suite's own code raised, not the implementation: "
"""How the message of a test with status ``error`` begins."""
HARNESS_FAILED = "the harness failed, not the implementation: "
"""How the message of a test with status ``harness-error`` begins."""

UNCHECKED = SKIPPED
"""A clause's status where no test said anything of it."""


# -- 1. phase ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PhaseFact:
    """One phase of one spec test, as the collector read it from pytest's report and
    the facts its worker attached: facts only, no status."""

    when: str
    """``setup``, ``call`` or ``teardown``."""
    outcome: Literal["passed", "failed", "skipped"]
    worker_died: bool = False
    """xdist's report for a test whose worker died under it."""
    text: str = ""
    """The report's long representation, as text."""
    skip_reason: str = ""
    short_failure: str = ""
    """pytest's one-line failure (its crash line), else the end of :attr:`text`."""
    crash: bool = False
    harness: bool = False
    suite_error: bool = False
    skip: str | None = None
    """The suite's kind of skip (``unsupported``, ...); None for any other skip."""
    missing: tuple[str, ...] = ()
    """For an ``unsupported`` skip: the capabilities the adapter lacks."""
    message: str | None = None
    """The worker's ``Type: message`` of the failure."""
    example: str | None = None
    prerequisite: str | None = None
    attributed: str | None = None


def phase_status(p: PhaseFact) -> tuple[Status, str | None]:
    """The status of one phase of a spec test, and its message."""
    if p.outcome == "failed" and p.harness:
        # The machinery's failure, not the binding's: never a crash or a failure.
        return HARNESS_ERROR, HARNESS_FAILED + (p.message or p.text)
    if p.worker_died or p.crash:
        # xdist's report for a worker that died mid-test, or ImplementationCrashed.
        return CRASH, p.message or p.text
    if p.outcome == "skipped":
        return (UNSUPPORTED if p.skip == "unsupported" else SKIPPED), p.skip_reason
    if p.outcome == "failed":
        message = p.message if p.message is not None else p.short_failure
        if p.when != "call":
            message = f"error in {p.when}: {message}"
        if p.suite_error:
            return ERROR, SUITE_ERROR + message
        return FAIL, message
    return PASS, None


# -- 2. test ----------------------------------------------------------------------------


def fold(test: TestOutcome, status: Status, message: str | None, example: str | None) -> None:
    """Fold one phase's status into its test; the worst phase wins."""
    if severity(status) > severity(test.status):
        test.status, test.message = status, message
    elif status == test.status and test.message is None:
        test.message = message
    if example and not test.example:
        test.example = example


def fold_phase(test: TestOutcome, p: PhaseFact) -> Status:
    """Decide one phase's status and fold it into its test: the call phase always,
    setup and teardown only when they did not pass. A failure or crash keeps what
    the worker said of its prerequisite and attribution. Returns the phase's status."""
    status, message = phase_status(p)
    if p.when == "call" or p.worker_died or status != PASS:
        fold(test, status, message, p.example)
        if status in (FAIL, CRASH):
            test.broken_prerequisite = p.prerequisite
            test.attributed = p.attributed
            test.harness_failure = p.harness
        if status == UNSUPPORTED:
            test.missing = p.missing
    return status


# -- 3. the clause's contributions ------------------------------------------------------


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


# -- 4. blocking and readings -----------------------------------------------------------


def _declared_culprit(test: TestOutcome, actual: Mapping[str, Status]) -> str | None:
    """The first prerequisite ``test`` declared that did not pass, if any."""
    return next((p for p in test.prerequisites if actual.get(p, SKIPPED) in NOT_PASSING), None)


def _set_aside_witnesses(said: dict[str, list[Contribution]]) -> None:
    """A test whose declared prerequisite did not pass is no witness either: what it
    saw of another clause at a setup call (its evidence against a prerequisite broken
    at the call) is set aside, since the declared one may be the cause."""
    actual = {cid: worst(x.status for x in xs) for cid, xs in said.items()}
    for cid, xs in said.items():
        for i, x in enumerate(xs):
            culprit = _declared_culprit(x.test, actual)
            if culprit is not None and x.test.broken_prerequisite == cid and x.status != BLOCKED:
                why = f"not judged by {x.test.nodeid}: it relied on {culprit}, which did not pass"
                xs[i] = Contribution(x.test, SKIPPED, why)


def resolve_blocking(
    said: dict[str, list[Contribution]], basis: Mapping[str, str]
) -> tuple[dict[str, Status], dict[str, str]]:
    """Each clause's actual status, with the failures of tests whose declared
    prerequisites did not pass turned into ``blocked``, and a reading clause that
    failed turned into ``differs-from-reading``.

    The blocking is repeated until nothing changes, since a blocked clause blocks in
    turn (the prerequisite graph has no cycles: the catalogue linter checks it)."""
    _set_aside_witnesses(said)
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


def clause_actual(actual: Mapping[str, Status], cid: str) -> Status:
    """A clause's actual status; ``skipped`` where no test said anything of it."""
    return actual.get(cid, UNCHECKED)


def decisive(xs: Sequence[Contribution], actual: Status) -> Contribution | None:
    """The contribution whose message and example speak for a clause that did not
    pass (a reading clause differs where its tests failed); None for a pass."""
    if actual == PASS:
        return None
    looking_for = FAIL if actual == DIFFERS else actual
    return next((x for x in xs if x.status == looking_for), None)


# -- 5. expectations --------------------------------------------------------------------


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
    return actual, deviating, f"expected {exp.status} ({exp.reason}), got {actual}"


# -- 6. the verdict of each part, and of the run ----------------------------------------


class Verdict(Word):
    """One word for the run (:attr:`~mmapspec.results.model.Report.verdict`)."""

    CONFORMANT = "conformant"
    AS_EXPECTED = "as expected"
    """Every deviation is listed in the expectations file."""
    DEVIATIONS = "deviations"
    INCOMPLETE = "incomplete"
    """The run stopped before its end, whatever its clauses say."""


@dataclasses.dataclass(frozen=True)
class PartVerdict:
    """The verdict on one part of a run: the document's clauses or the safety clauses."""

    safety: bool
    deviations: int
    """The part's deviating clauses (for the document's part, with stale expectations
    and failing untagged tests)."""
    as_expected: bool
    """Some clause of the part deviates exactly as the expectations file says."""
    incomplete: str | None
    """Why the run stopped before its end, or None."""

    def __str__(self) -> str:
        if self.incomplete is not None:
            return f"incomplete: {self.incomplete}"
        if self.deviations:
            return f"{self.deviations} deviation(s)"
        if self.as_expected:
            return "as expected"
        return "safe" if self.safety else "conformant"


def failing(tests: Iterable[TestRecord]) -> list[TestRecord]:
    """The tests that failed or crashed (of the untagged ones, each a deviation)."""
    return [t for t in tests if t.status in (FAIL, CRASH)]


def part_verdict(
    clauses: Iterable[ClauseResult],
    safety: bool,
    *,
    stale: int,
    failed_untagged: int,
    expectations_file: str | None,
    incomplete: str | None,
) -> PartVerdict:
    """The verdict on the document's clauses (with ``stale`` expectations and
    ``failed_untagged`` tests), or on the safety clauses."""
    part = [c for c in clauses if (c.basis == "safety") == safety]
    deviations = sum(c.deviation for c in part)
    if not safety:
        deviations += stale + failed_untagged
    expected = bool(expectations_file) and any(c.status == EXPECTED_FAIL for c in part)
    return PartVerdict(safety, deviations, expected, incomplete)


def run_verdict(parts: Sequence[PartVerdict], incomplete: str | None) -> Verdict:
    """Incomplete (whatever its clauses say), deviations (of either part), as expected
    (every deviation listed), or conformant."""
    if incomplete is not None:
        return Verdict.INCOMPLETE
    if any(part.deviations for part in parts):
        return Verdict.DEVIATIONS
    if any(part.as_expected for part in parts):
        return Verdict.AS_EXPECTED
    return Verdict.CONFORMANT


# -- 7. the exit status -----------------------------------------------------------------


def verdict_exit_status(pytest_status: int, incomplete: str | None, ok: bool) -> int:
    """pytest on the spec with the verdict: ``ok`` (the report is conformant and safe,
    and no other test failed) is 0, else 1; an incomplete run is 2; a run that did
    not happen keeps pytest's code."""
    if incomplete is not None:
        return PytestCode.INTERRUPTED
    if pytest_status in (PytestCode.OK, PytestCode.TESTS_FAILED):
        return EXIT_OK if ok else EXIT_DEVIATIONS
    return pytest_status


def command_exit_status(pytest_status: int, incomplete: str | None) -> tuple[int, str | None]:
    """``mmapspec run``: its exit status from the verdict mode's, and the line that
    says why the run failed (None when it did not)."""
    if incomplete is not None:
        return EXIT_RUN_FAILED, f"run incomplete: {incomplete}"
    if pytest_status in (EXIT_OK, EXIT_DEVIATIONS):
        return pytest_status, None
    why = WHY_PYTEST_STOPPED.get(pytest_status, "unknown")
    return EXIT_RUN_FAILED, f"the run itself failed: pytest exit code {pytest_status}, {why}"
