"""What stands failed for the rest of a test, so that a broken harness is paid for
once per test, not once per call, nor once per Hypothesis replay."""

from __future__ import annotations

import sys
from typing import NoReturn

from mmapspec.adapters.interface import HarnessFailure, ImplementationCrashed

Failure = HarnessFailure | ImplementationCrashed
MAX_CRASHES_PER_TEST = 3
"""Children that may die in one test; the last crash then stands for the rest of it."""


class FailureLedger:
    """The failures of the current test (see ``PipeAdapter.begin_test``)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """A new test begins: forget the failure and the crashes of the last one."""
        self._failure: Failure | None = None
        self.failed_op = ""
        self.crashes = 0
        self._crash: tuple[ImplementationCrashed, object, str] | None = None

    def record(self, exc: Failure, op: str) -> None:
        """``op`` failed with ``exc``: a harness failure, or the crash that uses up
        :data:`MAX_CRASHES_PER_TEST`, stands at once; an earlier crash stands from
        the next Hypothesis example on (the same example may start a fresh child)."""
        if exc is self._failure:
            return
        if isinstance(exc, ImplementationCrashed):
            self.crashes += 1
            if self.crashes < MAX_CRASHES_PER_TEST:
                self._crash = (exc, _hypothesis_example(), op)
                return
        self._failure, self.failed_op = exc, op

    @property
    def standing(self) -> Failure | None:
        """The failure standing for the rest of this test, if any."""
        if self._failure is None and self._crash is not None:
            crash, example, op = self._crash
            if example is not None and example is not _hypothesis_example():
                self._failure, self.failed_op = crash, op
        return self._failure

    def check(self) -> None:
        """Raise the standing failure, if any."""
        failure = self.standing
        if failure is not None:
            raise_failure(failure)


def raise_failure(failure: Failure) -> NoReturn:
    # Every failure reaches the test from this one line with a traceback that
    # starts here: Hypothesis tells failures apart by the innermost frame, and
    # a replay failing at once must count as the same failure.
    raise failure.with_traceback(None)


def _hypothesis_example() -> object | None:
    """The Hypothesis example running now (its build context), or None."""
    control = sys.modules.get("hypothesis.control")
    if control is None:
        return None
    try:
        return control.current_build_context()  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001 - Hypothesis says "no build context" by raising
        return None
