"""Which clause a failure belongs to, when it is not simply the test's own.

A spec test gives a status to exactly one clause, the one its ``clause`` marker
names. Two things can make a failure inside it someone else's:

* **A prerequisite.** The test calls another function to set up or to observe (it
  maps a file by descriptor to test an offset, it reads a file back after a flush).
  Wrapping those calls in :func:`prerequisite` says which clause promises what they
  rely on. If they go wrong, the failure is evidence against *that* clause, and the
  test's own clause is reported ``blocked`` by it, not failed.

  A test can also declare prerequisites statically with
  ``@pytest.mark.prerequisites("clause.id", ...)``: when any of them does not pass
  in the run, a failure of the test is reported as blocked by it. Use it where a
  knock-on failure cannot be caught at the call (a prerequisite that returned
  wrong bytes instead of failing). A prerequisite is always a ``document`` clause,
  never a reading, and the graph of prerequisites has no cycles (the catalogue
  linter checks both).

* **A rule of a multi-clause test.** The stateful model exercises several clauses in
  one run. Each of its rules and invariants runs inside :func:`checking`, so a
  failure is attributed to the clause of the rule that failed; the model's other
  clauses are not judged by that run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from mmapspec.adapters.call_origin import is_evidence
from mmapspec.adapters.interface import HarnessFailure, ImplementationCrashed, Unsupported


class PrerequisiteFailed(Exception):
    """A call made to set up or observe did not do what ``clause`` promises."""

    def __init__(self, clause: str, message: str, crashed: bool = False) -> None:
        super().__init__(f"prerequisite {clause} broke: {message}")
        self.clause = clause
        self.message = message
        self.crashed = crashed


class Violation(AssertionError):
    """A rule of a multi-clause test failed: the failure is ``clause``'s alone."""

    def __init__(self, clause: str, message: str, crashed: bool = False) -> None:
        super().__init__(message)
        self.clause = clause
        self.message = message
        self.crashed = crashed


def _triaged_elsewhere(exc: ImplementationCrashed) -> bool:
    """A crash that crash triage gave a clause of its own (``exc.clause``: one caused by
    earlier calls, or one that does not replay) belongs to no setup and no rule."""
    return isinstance(getattr(exc, "clause", None), str)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


@contextlib.contextmanager
def prerequisite(clause: str, what: str) -> Iterator[None]:
    """Calls in this block rely on ``clause``; ``what`` names them for the message
    (for example ``"map(fd of the file, 'w')"``). Any failure inside, whether an
    assertion, an unexpected outcome or a crash, becomes :class:`PrerequisiteFailed`.
    ``Unsupported`` and ``HarnessFailure`` pass through: a missing capability and a
    broken harness are the runner's business, not evidence against any clause, and so is
    an exception of the suite's own code (not from an adapter call, not an assertion)."""
    try:
        yield
    except (Unsupported, HarnessFailure, PrerequisiteFailed, Violation):
        raise
    except ImplementationCrashed as exc:
        if _triaged_elsewhere(exc):
            raise
        raise PrerequisiteFailed(clause, f"{what}: {_describe(exc)}", crashed=True) from exc
    except Exception as exc:
        if not is_evidence(exc):
            raise
        raise PrerequisiteFailed(clause, f"{what}: {_describe(exc)}") from exc


@contextlib.contextmanager
def checking(clause: str) -> Iterator[None]:
    """Inside a multi-clause test: a failure in this block is ``clause``'s."""
    try:
        yield
    except (Unsupported, HarnessFailure, PrerequisiteFailed, Violation):
        raise
    except ImplementationCrashed as exc:
        if _triaged_elsewhere(exc):
            raise
        raise Violation(clause, _describe(exc), crashed=True) from exc
    except Exception as exc:
        if not is_evidence(exc):
            raise
        raise Violation(clause, _describe(exc)) from exc
