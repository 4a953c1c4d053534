"""``pagesize``, ``aligned_size`` and ``aligned_addr``, and the check of an address
that ``map`` or ``mirror`` is asked to map at."""

from __future__ import annotations

from ._args import as_int, check_aligned, check_range
from ._platform import backend

PAGESIZE: int = backend.pagesize()
"""The allocation granularity (page size on POSIX; 64 KiB on Windows)."""


def pagesize() -> int:
    """The allocation granularity: map offsets and requested addresses must be
    multiples of it, and memory is allocated in multiples of it."""
    return PAGESIZE


def _align(name: str, n: object, dir: object) -> int:
    value = check_range(name, as_int(name, n), 0, ">= 0")
    if dir == "right" or dir is None:
        return (value + PAGESIZE - 1) // PAGESIZE * PAGESIZE
    if dir == "left":
        return value // PAGESIZE * PAGESIZE
    raise ValueError(f"dir must be 'left' or 'right', got {dir!r}")


def aligned_size(size: int, dir: str = "right") -> int:
    """The next larger (``dir='right'``, default) or smaller (``'left'``) multiple of
    the page size; a multiple is returned unchanged."""
    return _align("size", size, dir)


def aligned_addr(addr: int, dir: str = "right") -> int:
    """The next (``dir='right'``, default) or previous (``'left'``) page-aligned
    address, as an int; an aligned address is returned unchanged."""
    return _align("addr", addr, dir)


def check_addr(addr: object) -> int:
    """A requested address: an int, nonzero, below 2**64 and page-aligned."""
    a = as_int("addr", addr)
    if a == 0:
        raise ValueError("addr must not be zero")
    check_range("addr", a, 1, "> 0")
    return check_aligned("addr", a, PAGESIZE)
