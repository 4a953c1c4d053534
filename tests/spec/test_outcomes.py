"""How the spec's tests compare call outcomes: by how the call ended, not by its text.

The stateful model counts a map as flushed only when ``flush`` returned true; it asks
that by comparing with ``Outcome("value", value=True)``. When the call's text took part
in the comparison, that was never equal, and the model never freed a written map.
"""

from __future__ import annotations

from mmapspec.spec.support import Outcome, outcome_of


def _flush(handle: int) -> bool:
    return handle > 0


def test_an_outcome_equals_the_same_ending_whatever_the_call() -> None:
    got = outcome_of(_flush, 1)
    assert got.call == "_flush(1)"
    assert got == Outcome("value", value=True)


def test_outcomes_that_ended_differently_differ() -> None:
    assert outcome_of(_flush, 0) != Outcome("value", value=True)
    assert Outcome("fails", errcode="EINVAL") != Outcome("fails", errcode="ENOENT")
