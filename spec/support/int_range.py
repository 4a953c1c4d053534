"""The integer range a binding declares (``Capabilities.int_range``), as the spec obeys it.

A binding takes and returns integers natively in one range: ``u64`` (the default),
``i64`` or ``f64`` (:data:`~mmapspec.adapters.interface.INT_RANGES`). The spec never
sends a value outside it, nor expects one back: the strategies draw within it
(:mod:`mmapspec.spec.strategies`), and a test's fixed values pass through
:func:`sendable`, :func:`require_within` or :func:`capped`. What the range kept out of a
test is recorded (:func:`kept_out`), and the spec's ``conftest.py`` writes it to the
test's report as the note ``int_range``, so the report says per clause what was not
tried. Values inside the range are judged as everywhere else.
"""

from __future__ import annotations

import pytest
from mmapspec.adapters.interface import INT_RANGES, Adapter

_state = {"range": "u64"}
_kept_out: set[str] = set()

_NOT_TRIED = {
    "i64": "integers >= 2^63 not tried: the binding declares i64",
    "f64": "integers beyond +-2^53 not tried: the binding declares f64 (doubles, exact to 2^53)",
    "u64": "integers beyond the 64-bit range not tried: the binding declares u64",
}


def declare(adapter: Adapter) -> None:
    """The current test runs against ``adapter``: obey its declared range."""
    _state["range"] = adapter.capabilities.int_range
    _kept_out.clear()


def limits() -> tuple[int, int]:
    """The lowest and highest integer the spec may send to the current adapter."""
    return INT_RANGES[_state["range"]]


def high() -> int:
    return limits()[1]


def mark_kept_out() -> None:
    """Something the test would have sent lies beyond the declared range."""
    _kept_out.add(_state["range"])


def sendable(*values: int) -> bool:
    """Whether every value (arguments, and results the test expects back) is within the
    declared range; if not, the test must not send them, and that is recorded."""
    low, top = limits()
    if all(low <= v <= top for v in values):
        return True
    mark_kept_out()
    return False


def require_within(*values: int) -> None:
    """Skip the test unless every value is within the declared range."""
    if not sendable(*values):
        pytest.skip(_NOT_TRIED[_state["range"]].replace(" not tried", " not sent"))


def capped(value: int) -> int:
    """``value``, or the highest integer of the declared range where that is smaller
    (for a test that needs only "more than any machine has")."""
    if value > high():
        mark_kept_out()
        return high()
    return value


def kept_out() -> str | None:
    """What the declared range kept out of the current test, in words, or None."""
    return _NOT_TRIED[_state["range"]] if _kept_out else None
