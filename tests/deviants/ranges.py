"""Bindings whose integers are narrower than 64 unsigned bits, declared as such.

A binding declares the integers it takes natively (``Capabilities.int_range``). Each
binding here is the reference behind a narrow integer type: every integer argument
and result goes through that type on its way (``narrow``), as it would through a C
signature with ``int64_t`` or a LuaJIT number, so a value beyond the type would come
out wrong. The suite sends none: the i64 and the f64 binding pass everything, and
their reports say which integers were not tried. Inside the declared range the suite
judges as ever: an i64 binding that computes ``aligned_size`` in 32 bits fails.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from mmapspec.adapters.interface import Capabilities, Direction, IntRange
from mmapspec.adapters.operations import OPERATIONS

from .base import Deviant
from .sizes import AlignedSizeInt32


def _as_int64(n: int) -> int:
    """``n`` stored in an ``int64_t``: two's complement, high bits lost."""
    low = n & (2**64 - 1)
    return low - 2**64 if low >= 2**63 else low


def _as_double(n: int) -> int:
    """``n`` through a double: exact to 2^53, rounded beyond."""
    return int(float(n))


def _narrowing(method: Callable[..., Any], op: str, narrow: Callable[[int], int]) -> Any:
    """``method`` with its integer arguments (by the operation's wire types) and an
    integer result passed through ``narrow``."""
    spec = next(o for o in OPERATIONS if o.name == op)
    ints = {a.name for a in spec.args if a.wire in ("int", "addr")}
    positions = [i for i, a in enumerate(spec.args) if a.wire in ("int", "addr")]

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        args = tuple(
            narrow(v) if i in positions and type(v) is int else v for i, v in enumerate(args)
        )
        kwargs = {k: narrow(v) if k in ints and type(v) is int else v for k, v in kwargs.items()}
        result = method(self, *args, **kwargs)
        wide = spec.result in ("int", "addr") and type(result) is int
        return narrow(result) if wide else result

    return wrapper


class _Narrow(Deviant):
    """The reference behind a narrow integer type, declaring it."""

    RANGE: IntRange = "u64"

    @staticmethod
    def narrow(n: int) -> int:
        return n

    def __init__(self) -> None:
        super().__init__()
        self.capabilities = Capabilities(
            file_kinds=frozenset({"name", "fd", "fileobj"}), int_range=self.RANGE
        )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for op in OPERATIONS:
            if any(a.wire in ("int", "addr") for a in op.args) or op.result in ("int", "addr"):
                setattr(cls, op.name, _narrowing(getattr(cls, op.name), op.name, cls.narrow))


class Int64Binding(_Narrow):
    """Not a defect: a binding in C over ``int64_t``, declaring ``i64``; a value of 2^63
    or more would wrap negative."""

    RANGE = "i64"
    narrow = staticmethod(_as_int64)


class DoubleBinding(_Narrow):
    """Not a defect: a binding computing in doubles (LuaJIT's numbers), declaring
    ``f64``; beyond 2^53 its integers would round."""

    RANGE = "f64"
    narrow = staticmethod(_as_double)


class Int64WrapsAt2p31(Int64Binding):
    """An ``i64`` binding whose ``aligned_size`` computes in a signed 32-bit int (C's
    ``int``): from 2^31 up, well inside the declared range, the result wraps."""

    INTENDED = AlignedSizeInt32.INTENDED

    def aligned_size(self, size: int, dir: Direction | None = None) -> int:
        if dir == "left" or size < 0:  # a negative size is refused, as the reference does
            return super().aligned_size(size, dir)
        p = self.pagesize()
        low = ((size + p - 1) & ~(p - 1)) & 0xFFFFFFFF  # the defect: an int32_t sum
        return low - (1 << 32) if low >= 1 << 31 else low
