"""Hypothesis strategies for the spec: sizes, offsets, access modes, data, mirror shapes.

Sizes are drawn to hit the interesting places of a paged world: one byte, just
under/over a page, unaligned sizes, and many pages. Everything is expressed in
multiples of the page size the test passes in, so the same strategy works on a
4 KiB and a 16 KiB (or 64 KiB allocation-granularity) system.
"""

from __future__ import annotations

import random

from hypothesis import strategies as st
from mmapspec.adapters.interface import ACCESS_MODES

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


def values(page: int) -> st.SearchStrategy[int]:
    """Non-negative integers for the alignment helpers: 0, aligned values, neighbours of
    aligned values, and anything up to 2**48."""
    return st.one_of(
        st.just(0),
        st.integers(0, 2**36).map(lambda k: k * page),
        st.tuples(st.integers(0, 2**36), st.sampled_from([-1, 1])).map(
            lambda kd: max(0, kd[0] * page + kd[1])
        ),
        st.integers(0, 2**48),
    )
