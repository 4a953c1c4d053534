"""Whether an exception came out of a call to the implementation, or out of the suite.

A spec test reaches an implementation only through its adapter's operations. The
runner wraps those methods on the adapter object it hands to the tests
(:func:`mark_escapes`), so that any exception escaping from one is marked as the
implementation's. An exception without the mark, and not an assertion about an
outcome, was raised by the suite's own code (a missing ``os.pread``, a full
``TMPDIR``, a Hypothesis misuse): it says nothing about the binding, and the runner
reports it as the suite's ``error`` rather than as the clause's failure.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import Any

from mmapspec.adapters.interface import Adapter, AdapterError, HarnessFailure
from mmapspec.adapters.operations import OPERATIONS

_MARK = "_mmapspec_raised_by_implementation"

CALLS = (*(op.name for op in OPERATIONS), "pid")
"""The adapter's methods that reach the implementation."""


def raised_by_implementation(exc: BaseException) -> bool:
    """Whether ``exc`` came out of an adapter call (or is one of the adapter contract's
    own exceptions, which only an adapter raises)."""
    return isinstance(exc, (AdapterError, HarnessFailure)) or bool(getattr(exc, _MARK, False))


def is_evidence(exc: BaseException) -> bool:
    """Whether ``exc`` says something about the implementation: it came out of an
    adapter call, or it is an assertion (the spec's check of what a call did)."""
    return isinstance(exc, AssertionError) or raised_by_implementation(exc)


def _marking(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except BaseException as exc:
            # An exception object takes attributes; one that refuses (a C type with
            # no __dict__) counts as the suite's, which only makes a run incomplete.
            with contextlib.suppress(AttributeError, TypeError):
                setattr(exc, _MARK, True)
            raise

    call._mmapspec_marking = True  # type: ignore[attr-defined]
    return call


def mark_escapes(adapter: Adapter) -> Adapter:
    """Wrap ``adapter``'s operations on the instance itself (its class, identity and
    every other attribute stay as they are) so that exceptions escaping them are
    marked as the implementation's. Returns the same object."""
    for name in CALLS:
        method = getattr(adapter, name, None)
        if callable(method) and not getattr(method, "_mmapspec_marking", False):
            setattr(adapter, name, _marking(method))
    return adapter
