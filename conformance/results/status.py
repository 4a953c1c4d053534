"""The statuses a clause (and one test's contribution to it) can have, each with its
facts (:class:`StatusFacts`: label, glyph, meaning, order, severity, rank for
``compare``, whether an expectation may name it), which of them are deviations, and
how a clause's tests combine. The renderers' tables, the schema's enums and the
README's table are made from these facts or checked against them.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping


class Word(str, enum.Enum):
    """A report's word (a status, a verdict): printed and formatted as its value,
    on every Python (``enum.StrEnum`` is 3.11+)."""

    _value_: str

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


class Status(Word):
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
    ERROR = "error"
    """The suite's own code raised (not an adapter call, not an assertion about one):
    nothing is known about the clause, and the run is incomplete. Never a deviation,
    and it blocks nothing."""
    HARNESS_ERROR = "harness-error"
    """The machinery between the runner and the binding failed: the harness answered
    ``harness_error``, broke the protocol (malformed, too deep, too long, a wrong id,
    wrong types), did not answer in time, closed its stdout, or was killed by the
    runner. Nothing is known about the clause, and the run is incomplete. Never a
    deviation, and it blocks nothing."""
    SKIPPED = "skipped"
    """Not checked here: every test of the clause was skipped for a reason other than
    a missing capability (say, no way to fill a disk on this machine), or none ran."""
    EXPECTED_FAIL = "expected-fail"
    UNEXPECTED_PASS = "unexpected-pass"

    @property
    def facts(self) -> StatusFacts:
        return FACTS[self]


@dataclasses.dataclass(frozen=True)
class StatusFacts:
    """What every renderer and check needs to know of one status."""

    label: str
    """How the terminal's list of clauses labels it."""
    heading: str
    """Its column's heading in the terminal and Markdown tables."""
    column: int
    """Its column's place in those tables."""
    glyph: str
    """How the page marks it beside its word (never by colour alone)."""
    meaning: str
    """What it means, as the page's legend says."""
    order: int
    """Its place on the page and in its legend, best first."""
    severity: int | None
    """Which of a clause's tests speaks for it: the one with the highest (see
    :func:`worst`). None for the statuses only an expectations file makes."""
    compare_rank: int | None
    """``mmapspec compare``: higher is better, and a clause whose rank drops got
    worse. None for the statuses only an expectations file makes (compare reads the
    actual status under them)."""
    expectable: bool = False
    """An expectations file may name it as a clause's expected status."""

    @property
    def actual(self) -> bool:
        """A test can observe it (the rest are what an expectations file makes of one)."""
        return self.severity is not None


# Module-level names for the statuses, as the renderers and tests spell them.
PASS = Status.PASS
FAIL = Status.FAIL
DIFFERS = Status.DIFFERS
BLOCKED = Status.BLOCKED
UNSUPPORTED = Status.UNSUPPORTED
CRASH = Status.CRASH
ERROR = Status.ERROR
HARNESS_ERROR = Status.HARNESS_ERROR
SKIPPED = Status.SKIPPED
EXPECTED_FAIL = Status.EXPECTED_FAIL
UNEXPECTED_PASS = Status.UNEXPECTED_PASS

STATUSES = tuple(Status)

NOT_YET_RUN = SKIPPED
"""A test's status before any of its phases is folded in
(:func:`~mmapspec.results.status_pipeline.fold`, the worst phase wins)."""

UNSUPPORTED_PREFIX = "unsupported: "
"""A skip reason starting so is the clause's ``unsupported`` status; the message of an
unsupported clause names the missing capabilities after it."""

# "A clause with mixed test results takes the worst" (``severity``). Skipped tests rank
# lowest so that a clause checked one way and not another is judged by the check that
# ran; a blocked test ranks below a failing one, so that a clause with a failure of its
# own is reported failing whatever else blocked. The suite's own error ranks above a
# pass (the clause was not fully checked) and below any evidence about the binding, so
# that it never hides a failure another test found; the harness's failure ranks with
# it, just above. For ``compare`` a pass is best, a crash worst, and what says nothing
# either way (not checked, not judged, read differently) sits between pass and fail.
FACTS: Mapping[Status, StatusFacts] = {
    Status.PASS: StatusFacts(
        "PASS", "pass", 0, "✓", "the implementation does what the clause says", 0, 1, 3
    ),
    Status.FAIL: StatusFacts(
        "FAIL",
        "fail",
        1,
        "✗",
        "it does not: a deviation from the document (or from a safety expectation)",
        9,
        7,
        1,
        expectable=True,
    ),
    Status.DIFFERS: StatusFacts(
        "DIFFERS",
        "differ",
        2,
        "≠",
        "the document is ambiguous or silent here and the implementation reads it "
        "differently from the suite (a deviation only under --strict)",
        3,
        6,
        2,
    ),
    Status.BLOCKED: StatusFacts(
        "BLOCKED", "block", 3, "⊘", "not judged: a clause its test relies on did not pass", 4, 5, 2
    ),
    Status.UNSUPPORTED: StatusFacts(
        "UNSUPPORTED",
        "unsup",
        4,
        "∅",
        "the adapter does not declare a capability the clause needs",
        7,
        2,
        2,
        expectable=True,
    ),
    Status.CRASH: StatusFacts(
        "CRASH", "crash", 5, "⚠", "the implementation's process died", 10, 8, 0, expectable=True
    ),
    Status.ERROR: StatusFacts(
        "ERROR",
        "error",
        6,
        "?",
        "not judged: the suite's own code raised, not the implementation",
        5,
        3,
        2,
    ),
    Status.HARNESS_ERROR: StatusFacts(
        "HARNESS-ERROR",
        "harn",
        7,
        "?!",
        "not judged: the harness failed (its own error, a protocol error, a timeout, a "
        "closed stdout), not the implementation",
        6,
        4,
        2,
    ),
    Status.SKIPPED: StatusFacts("SKIP", "skip", 10, "–", "not checked on this machine", 8, 0, 2),
    Status.EXPECTED_FAIL: StatusFacts(
        "XFAIL",
        "xfail",
        8,
        "(✗)",
        "deviates as the implementation's expectations file says, for the reason it gives",
        1,
        None,
        None,
    ),
    Status.UNEXPECTED_PASS: StatusFacts(
        "XPASS",
        "xpass",
        9,
        "!✓",
        "listed as an expected deviation, but passed: the entry is stale",
        2,
        None,
        None,
    ),
}

ACTUAL = tuple(s for s in Status if s.facts.actual)
"""The statuses a test can observe (a clause record's ``actual``)."""
EXPECTABLE = tuple(s for s in Status if s.facts.expectable)
"""The statuses an expectations file may name."""


def severity(status: Status) -> int:
    """How bad one test's status is, for :func:`worst`."""
    rank = status.facts.severity
    if rank is None:
        raise ValueError(f"{status} is an expectations file's verdict, not a test's status")
    return rank


NOT_JUDGED = frozenset({ERROR, HARNESS_ERROR})
"""Statuses that say nothing about the binding and make the run incomplete."""

DEVIATIONS = frozenset({FAIL, UNSUPPORTED, CRASH, UNEXPECTED_PASS})
"""Statuses that make a run exit 1 (unless expected, in which case the status is
``expected-fail`` instead). ``differs-from-reading`` joins them under ``--strict``."""

NOT_PASSING = frozenset({FAIL, DIFFERS, BLOCKED, UNSUPPORTED, CRASH})
"""A prerequisite in one of these statuses blocks the clauses that rely on it."""


def worst(statuses: Iterable[Status]) -> Status:
    """The worst of some actual statuses; SKIPPED if there are none."""
    return max(statuses, key=severity, default=SKIPPED)
