"""The statuses a clause (and one test's contribution to it) can have, which of them
are deviations, how a clause's tests combine, and how an expectation turns an
actual status into the reported one.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from mmapspec.results.expectations import Expectation


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
ERROR = Status.ERROR
HARNESS_ERROR = Status.HARNESS_ERROR
SKIPPED = Status.SKIPPED
EXPECTED_FAIL = Status.EXPECTED_FAIL
UNEXPECTED_PASS = Status.UNEXPECTED_PASS

STATUSES = tuple(Status)

UNSUPPORTED_PREFIX = "unsupported: "
"""A skip reason starting so is the clause's ``unsupported`` status; the message of an
unsupported clause names the missing capabilities after it."""

# "A clause with mixed test results takes the worst." Skipped tests rank lowest so
# that a clause checked one way and not another is judged by the check that ran;
# a blocked test ranks below a failing one, so that a clause with a failure of
# its own is reported failing whatever else blocked. The suite's own error ranks
# above a pass (the clause was not fully checked) and below any evidence about the
# binding, so that it never hides a failure another test found; the harness's failure
# ranks with it, just above.
RANK = {
    SKIPPED: 0,
    PASS: 1,
    UNSUPPORTED: 2,
    ERROR: 3,
    HARNESS_ERROR: 4,
    BLOCKED: 5,
    DIFFERS: 6,
    FAIL: 7,
    CRASH: 8,
}

NOT_JUDGED = frozenset({ERROR, HARNESS_ERROR})
"""Statuses that say nothing about the binding and make the run incomplete."""

DEVIATIONS = frozenset({FAIL, UNSUPPORTED, CRASH, UNEXPECTED_PASS})
"""Statuses that make a run exit 1 (unless expected, in which case the status is
``expected-fail`` instead). ``differs-from-reading`` joins them under ``--strict``."""

NOT_PASSING = frozenset({FAIL, DIFFERS, BLOCKED, UNSUPPORTED, CRASH})
"""A prerequisite in one of these statuses blocks the clauses that rely on it."""


def worst(statuses: Iterable[Status]) -> Status:
    """The worst of some actual statuses; SKIPPED if there are none."""
    return max(statuses, key=RANK.__getitem__, default=SKIPPED)


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
