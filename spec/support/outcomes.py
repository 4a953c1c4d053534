"""How a call to the implementation ended, in the document's terms, and the checks on it.

:func:`outcome_of` runs one adapter call and normalises how it ended into an
:class:`Outcome` (a value, ``nil,err,errcode``, or a raised error); the ``assert_*``
helpers check an outcome and name the call first when it is not the expected one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Literal

from mmapspec.adapters.interface import ArgumentError, DocumentedFailure
from mmapspec.spec.catalogue import OS_ERRCODE


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How a call ended, in the document's terms: a value, ``nil,err,errcode``, or a raise."""

    kind: Literal["value", "fails", "raises"]
    value: Any = None
    errcode: str | int | None = None
    message: str = ""
    call: str = dataclasses.field(default="", compare=False)
    """The call as written, e.g. ``map(FileRef('.../f.bin', kind='fd'), 'w', 4096)``.
    Not part of how the call ended, so it takes no part in comparing two outcomes."""

    def __str__(self) -> str:
        if self.kind == "value":
            return f"returned {self.value!r}"
        if self.kind == "fails":
            return f"failed with errcode {self.errcode!r}: {self.message!r}"
        return f"raised an error: {self.message!r}"


def describe_call(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """``name(arg, ..., key=value)``: how a failure message names the call first."""
    name = getattr(fn, "__name__", repr(fn))
    return f"{name}{_show(args, kwargs)}"


def outcome_of(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Outcome:
    """Call ``fn`` and normalise how it ended. ``Unsupported`` and crashes propagate:
    they are the runner's business, not an outcome the document names."""
    what = describe_call(fn, args, kwargs)
    try:
        return Outcome("value", value=fn(*args, **kwargs), call=what)
    except DocumentedFailure as exc:
        return Outcome("fails", errcode=exc.errcode, message=exc.message, call=what)
    except ArgumentError as exc:
        return Outcome("raises", message=exc.message, call=what)


def errcode_matches(errcode: str | int | None, expected: str) -> bool:
    """Whether a failure's errcode is the documented one (``OS_ERRCODE``: any int)."""
    if expected == OS_ERRCODE:
        return isinstance(errcode, int) and not isinstance(errcode, bool)
    return errcode == expected


def _why(why: str) -> str:
    return f" ({why})" if why else ""


def _called(outcome: Outcome) -> str:
    return f"{outcome.call}: " if outcome.call else ""


def assert_fails(outcome: Outcome, *errcodes: str, why: str = "") -> None:
    """The outcome is a documented failure with one of ``errcodes``."""
    assert outcome.kind == "fails" and any(errcode_matches(outcome.errcode, e) for e in errcodes), (
        f"{_called(outcome)}expected a failure with errcode "
        f"{' or '.join(map(repr, errcodes))}{_why(why)}; got: {outcome}"
    )


def assert_raises(outcome: Outcome, why: str = "") -> None:
    """The outcome is the document's "an error is raised"."""
    assert outcome.kind == "raises", (
        f"{_called(outcome)}expected an error to be raised{_why(why)}; got: {outcome}"
    )


def assert_value(outcome: Outcome, why: str = "") -> Any:
    """The call returned; its value is handed back."""
    assert outcome.kind == "value", f"{_called(outcome)}expected success{_why(why)}; got: {outcome}"
    return outcome.value


def same(got: bytes | bytearray, want: bytes | bytearray, what: str = "") -> None:
    """Two byte strings are equal; if not, say where they first differ. (pytest's own
    explanation of ``assert a == b`` diffs pages of bytes with difflib, which takes
    minutes per failure while Hypothesis shrinks.)"""
    a, b = bytes(got), bytes(want)
    if a == b:
        return
    first = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    differing = sum(x != y for x, y in zip(a, b, strict=False)) + abs(len(a) - len(b))
    raise AssertionError(
        f"{what + ': ' if what else ''}got {len(a)} bytes, expected {len(b)}; {differing} differ, "
        f"the first at index {first}: got {a[first : first + 16]!r}, "
        f"expected {b[first : first + 16]!r}"
    )


def _show(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"({', '.join(parts)})"
