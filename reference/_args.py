"""Argument validation shared by the public functions: clear messages naming the
argument and the rule, TypeError for a wrong type, ValueError for a wrong value."""

from __future__ import annotations

import operator

from ._platform import backend

U64 = 2**64
OFF_MAX = 2**63 - 1
"""The largest file offset/size (off_t) any supported OS can represent."""


def as_int(name: str, value: object) -> int:
    """``value`` as an int; bools are refused (``True`` is not a size)."""
    if type(value) is int:
        return value
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not bool")
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{name} must be an int, got {type(value).__name__}") from None


def check_range(name: str, value: int, low: int, rule: str) -> int:
    """Check ``low <= value < 2**64``; ``rule`` words the lower bound (``'> 0'``)."""
    if value < low:
        raise ValueError(f"{name} must be {rule}, got {value}")
    if value >= U64:
        raise ValueError(f"{name} must be < 2**64, got {value}")
    return value


def check_aligned(name: str, value: int, pagesize: int) -> int:
    if value % pagesize:
        raise ValueError(f"{name} must be aligned to the page size ({pagesize}), got {value}")
    return value


def check_tagname(tagname: object) -> str:
    """A valid tagname: a non-empty str without '/', '\\\\' or NUL, within the OS limit."""
    if not isinstance(tagname, str):
        raise TypeError(f"tagname must be a str, got {type(tagname).__name__}")
    if not tagname:
        raise ValueError("tagname must not be empty")
    if "/" in tagname or "\\" in tagname:
        raise ValueError("tagname must not contain '/' or '\\'")
    if "\0" in tagname:
        raise ValueError("tagname must not contain NUL characters")
    if tagname in (".", ".."):
        raise ValueError(f"tagname must not be {tagname!r}")
    try:
        n = len(tagname.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError("tagname must be encodable as UTF-8 (no lone surrogates)") from None
    if n > backend.TAGNAME_MAX:
        raise ValueError(
            f"tagname must be at most {backend.TAGNAME_MAX} bytes in UTF-8 on this OS, got {n}"
        )
    return tagname
