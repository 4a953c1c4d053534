"""``mmap.aligned_size`` and ``mmap.aligned_addr`` against their arithmetic definition.

Over the whole 64-bit range (:func:`strategies.u64`), with the page the OS reports (so
a wrong ``pagesize()`` fails the pagesize clauses only). Rounding up stays in 64 bits:
a value whose next page multiple is 2**64 has no answer a 64-bit binding can give, and
is not drawn for 'right'. Values that are already page multiples belong to the reading
clauses (``*.aligned-unchanged``); the others to the words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from hypothesis import example, given
from mmapspec.adapters.interface import Adapter
from mmapspec.spec import strategies as sst
from mmapspec.spec.support import assert_raises, os_page, outcome_of
from mmapspec.spec.support.int_range import sendable

PAGE = os_page()
TOP = 2**64
Test = TypeVar("Test", bound=Callable[..., Any])

EDGES_RIGHT = [
    1,
    PAGE - 1,
    PAGE + 1,
    2**31 - 1,
    2**31 + 1,
    2**32 - PAGE + 1,  # low bits above the last page of the low word: the carry
    2**32 - 1,
    2**32 + 1,
    5 * 2**32 - 1,
    2**53 + 1,
    2**63 - 1,
    2**63 + 1,
    TOP - PAGE - 1,  # the largest value whose next page multiple fits 64 bits
]
EDGES_LEFT = [*EDGES_RIGHT, TOP - 1]
ALIGNED_EDGES = [0, PAGE, 2**31, 2**32 - PAGE, 2**32, 2**32 + PAGE, 2**63, TOP - PAGE]


def _right(n: int) -> int:
    return -(-n // PAGE) * PAGE


def _left(n: int) -> int:
    return n // PAGE * PAGE


def _check(name: str, fn: Callable[..., int], n: int, dirs: tuple[str | None, ...]) -> None:
    for d in dirs:
        want = _left(n) if d == "left" else _right(n)
        if not sendable(n, want):  # an edge beyond the binding's declared range
            continue
        got = fn(n) if d is None else fn(n, d)
        args = f"{n:#x}" if d is None else f"{n:#x}, {d!r}"
        assert got == want, f"{name}({args}): expected {want:#x}, got {got!r}"


def _examples(values: list[int]) -> Callable[[Test], Test]:
    """Explicit edge cases, always run whatever Hypothesis draws."""

    def decorate(test: Test) -> Test:
        for v in reversed(values):
            test = example(n=v)(test)
        return test

    return decorate


# ----------------------------------------------------------------------------- aligned_size


@pytest.mark.clause("aligned_size.right-default")
@given(n=sst.unaligned_u64(PAGE, end=TOP - PAGE))
@_examples(EDGES_RIGHT)
def test_aligned_size_right(adapter: Adapter, n: int) -> None:
    """The next larger page multiple, with dir omitted and 'right'."""
    _check("aligned_size", adapter.aligned_size, n, (None, "right"))


@pytest.mark.clause("aligned_size.left")
@given(n=sst.unaligned_u64(PAGE))
@_examples(EDGES_LEFT)
def test_aligned_size_left(adapter: Adapter, n: int) -> None:
    _check("aligned_size", adapter.aligned_size, n, ("left",))


@pytest.mark.clause("aligned_size.right.aligned-unchanged")
@pytest.mark.prerequisites("aligned_size.right-default")  # the arithmetic over the whole range
@given(n=sst.aligned_u64(PAGE))
@_examples(ALIGNED_EDGES)
def test_aligned_size_right_of_aligned(adapter: Adapter, n: int) -> None:
    _check("aligned_size", adapter.aligned_size, n, (None, "right"))


@pytest.mark.clause("aligned_size.left.aligned-unchanged")
@pytest.mark.prerequisites("aligned_size.left")  # the arithmetic over the whole range
@given(n=sst.aligned_u64(PAGE))
@_examples(ALIGNED_EDGES)
def test_aligned_size_left_of_aligned(adapter: Adapter, n: int) -> None:
    _check("aligned_size", adapter.aligned_size, n, ("left",))


# ----------------------------------------------------------------------------- aligned_addr


@pytest.mark.clause("aligned_addr.right-default")
@given(n=sst.unaligned_u64(PAGE, end=TOP - PAGE))
@_examples(EDGES_RIGHT)
def test_aligned_addr_right(adapter: Adapter, n: int) -> None:
    """The next page-aligned address, with dir omitted and 'right'."""
    _check("aligned_addr", adapter.aligned_addr, n, (None, "right"))


@pytest.mark.clause("aligned_addr.left")
@given(n=sst.unaligned_u64(PAGE))
@_examples(EDGES_LEFT)
def test_aligned_addr_left(adapter: Adapter, n: int) -> None:
    _check("aligned_addr", adapter.aligned_addr, n, ("left",))


@pytest.mark.clause("aligned_addr.right.aligned-unchanged")
@pytest.mark.prerequisites("aligned_addr.right-default")  # the arithmetic over the whole range
@given(n=sst.aligned_u64(PAGE))
@_examples(ALIGNED_EDGES)
def test_aligned_addr_right_of_aligned(adapter: Adapter, n: int) -> None:
    _check("aligned_addr", adapter.aligned_addr, n, (None, "right"))


@pytest.mark.clause("aligned_addr.left.aligned-unchanged")
@pytest.mark.prerequisites("aligned_addr.left")  # the arithmetic over the whole range
@given(n=sst.aligned_u64(PAGE))
@_examples(ALIGNED_EDGES)
def test_aligned_addr_left_of_aligned(adapter: Adapter, n: int) -> None:
    _check("aligned_addr", adapter.aligned_addr, n, ("left",))


NEGATIVE = (-1, -PAGE, -(2**53 - 1))
"""The most negative, -(2**53 - 1), is the most negative integer the pipe protocol carries."""


@pytest.mark.clause("aligned_size.negative-raises")
@pytest.mark.parametrize("dir", [None, "right", "left"])
def test_aligned_size_of_a_negative_size_raises(adapter: Adapter, dir: str | None) -> None:
    for n in NEGATIVE:
        args = (n,) if dir is None else (n, dir)
        assert_raises(outcome_of(adapter.aligned_size, *args), "a size is never negative")


@pytest.mark.clause("aligned_addr.negative-raises")
@pytest.mark.parametrize("dir", [None, "right", "left"])
def test_aligned_addr_of_a_negative_address_raises(adapter: Adapter, dir: str | None) -> None:
    for n in NEGATIVE:
        args = (n,) if dir is None else (n, dir)
        assert_raises(outcome_of(adapter.aligned_addr, *args), "an address is never negative")
