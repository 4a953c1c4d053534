"""Hypothesis strategies for the spec: sizes, offsets, access modes, data, mirror shapes.

Sizes of real maps are drawn to hit the interesting places of a paged world: one
byte, just under/over a page, unaligned sizes, and many pages. Sizes, offsets and
addresses that are only computed with (the alignment helpers, sizes and addresses a
binding must refuse) cover the whole 64-bit range, weighted toward the boundaries
where integer handling breaks (:func:`u64`). Everything is expressed in multiples of
the page size the test passes in, so the same strategy works on a 4 KiB and a 16 KiB
(or 64 KiB allocation-granularity) system.
"""

from __future__ import annotations

import functools
import random

from hypothesis import strategies as st
from mmapspec.adapters.interface import ACCESS_MODES
from mmapspec.spec.support import int_range

MAX_PAGES = 16
"""The largest maps drawn, in pages: enough for "many pages", small enough to stay fast."""


def sizes(page: int, max_pages: int = MAX_PAGES) -> st.SearchStrategy[int]:
    """Map sizes: 1 byte, around one page, unaligned, whole pages, many pages."""
    return st.one_of(
        st.just(1),
        st.sampled_from([page - 1, page, page + 1]),
        st.integers(1, 3 * page),
        st.integers(1, max_pages).map(lambda k: k * page),
        st.integers(1, max_pages * page),
    )


def page_offsets(page: int, max_pages: int = 4) -> st.SearchStrategy[int]:
    """Offsets that are page multiples, 0 included."""
    return st.integers(0, max_pages).map(lambda k: k * page)


def unaligned_offsets(page: int, max_pages: int = 4) -> st.SearchStrategy[int]:
    """Offsets that are not page multiples."""
    return st.tuples(st.integers(0, max_pages), st.integers(1, page - 1)).map(
        lambda kr: kr[0] * page + kr[1]
    )


def accesses(
    supported: frozenset[str], which: tuple[str, ...] = ACCESS_MODES
) -> st.SearchStrategy[str]:
    """Access modes among ``which`` that the implementation declares (``access:<m>``)."""
    usable = [m for m in which if f"access:{m}" in supported]
    return st.sampled_from(usable) if usable else st.nothing()


def data(n: int) -> st.SearchStrategy[bytes]:
    """``n`` bytes in a pattern that catches misplaced or dropped bytes: zeros, all-ones,
    a ramp (every position distinct mod 251) or seeded noise."""
    return st.one_of(
        st.just(b"\x00" * n),
        st.just(b"\xff" * n),
        st.just(bytes(i % 251 for i in range(n))),
        st.integers(0, 2**32).map(lambda seed: random.Random(seed).randbytes(n)),
    )


def writes(size: int, max_len: int = 64) -> st.SearchStrategy[tuple[int, bytes]]:
    """A write inside ``size`` bytes: (offset, non-empty data)."""
    return st.integers(0, size - 1).flatmap(
        lambda off: st.binary(min_size=1, max_size=max(1, min(max_len, size - off))).map(
            lambda b: (off, b)
        )
    )


U64_MAX = 2**64 - 1
"""The largest size, offset or address a 64-bit binding can be handed."""

BOUNDARIES: tuple[int, ...] = (0, 2**31, 2**32, 2**33, 2**48, 2**53, 2**63, 2**64)
"""Where integer handling breaks: signed and unsigned 32 bits, doubles' exact
integers (LuaJIT numbers), the sign bit of 64 bits, and the end of the range."""


def u64(page: int) -> st.SearchStrategy[int]:
    """Integers of the whole 64-bit range, 0..2**64-1, weighted toward the places
    where integer handling breaks: within a few pages of each boundary above and of
    every multiple of 2**32 (where a carry from the low word into the high one is
    lost), small values, and anything at all. Only within the range the binding
    declares (:mod:`.support.int_range`): 0..2**63-1 for ``i64``, 0..2**53 for ``f64``."""
    return _within_declared(page, None)


def aligned_u64(page: int) -> st.SearchStrategy[int]:
    """Page multiples of the whole 64-bit range (0 included), within the declared range."""
    return u64(page).map(lambda n: n // page * page)


def unaligned_u64(page: int, end: int = 2**64) -> st.SearchStrategy[int]:
    """Integers below ``end`` (at most 2**64) that are not page multiples. Rounding up
    must stay in 64 bits: ``end=2**64 - page`` draws only values whose next page
    multiple is a 64-bit integer. ``end`` counts from the top of the declared range:
    for ``i64``, ``2**64 - page`` stands for ``2**63 - page``."""
    return _within_declared(page, 2**64 - end)


@st.composite
def _within_declared(draw: st.DrawFn, page: int, below_top: int | None) -> int:
    """A :func:`_u64` value up to the declared range's top, or, given ``below_top``, an
    unaligned one below the top less ``below_top``."""
    top = min(U64_MAX, int_range.high())
    if top < U64_MAX:
        int_range.mark_kept_out()
    if below_top is None:
        return draw(_u64(page, top))
    last = (top + 1 - below_top - page) // page * page
    aligned, rest = draw(st.tuples(_u64(page, top), st.integers(1, page - 1)))
    return min(aligned // page * page, last) + rest


@functools.lru_cache(maxsize=8)
def _u64(page: int, top: int) -> st.SearchStrategy[int]:
    near = st.one_of(
        st.sampled_from([b for b in BOUNDARIES if b <= top + 1]),
        st.integers(1, top >> 32).map(lambda k: k << 32),
    )
    delta = st.one_of(
        st.integers(-2 * page, 2 * page),
        st.integers(1, page - 1).map(lambda d: -d),
    )
    around = st.tuples(near, delta).map(lambda nd: min(max(nd[0] + nd[1], 0), top))
    return st.one_of(around, st.integers(0, 16 * page), st.integers(0, top))
