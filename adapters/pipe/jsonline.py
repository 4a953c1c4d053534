"""One JSON value per line, compact, with the work of each call done once.

``json.dumps`` builds a new encoder on every call and ``json.loads`` looks for the
text's encoding and skips whitespace first: a few microseconds a message, which
is most of the pipe's own cost per request. Here the encoder and the scanner are
built once; the results are exactly those of ``json.dumps(value,
separators=(",", ":"))`` and ``json.loads(line)``, which are the fallbacks.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable
from typing import Any

_COMPACT = json.JSONEncoder(separators=(",", ":"))
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
"""The decoder's scanner (C where built; set by its ``__init__``, so not in the
stubs), which ``json.loads`` calls after its checks."""


def _c_encoder() -> Callable[[Any, int], Any] | None:
    """CPython's C encoder with the compact separators, built once, or None.

    It runs without circular-reference checks (``markers`` None): protocol
    messages are trees built by the harness and the adapter, never cycles."""
    make = getattr(json.encoder, "c_make_encoder", None)  # not in the stubs: private
    if make is None:
        return None
    try:
        encoder: Callable[[Any, int], Any] = make(
            None,
            _COMPACT.default,
            json.encoder.encode_basestring_ascii,
            None,
            ":",
            ",",
            False,
            False,
            True,
        )
    except TypeError:  # another interpreter's signature: take the slow path
        return None
    return encoder


_ENCODE = _c_encoder()


def dumps_line(value: Any) -> bytes:
    """``value`` as compact JSON and a newline, in UTF-8 (ASCII in fact)."""
    if _ENCODE is None:
        return (_COMPACT.encode(value) + "\n").encode()
    return ("".join(_ENCODE(value, 0)) + "\n").encode()


def loads_line(line: bytes) -> Any:
    """The JSON value of ``line`` (without its newline), as ``json.loads`` reads it.

    The fast path takes UTF-8 text that is exactly one value, the form every
    harness sends; anything else (whitespace around it, another encoding, a
    syntax error) goes to ``json.loads``, for the same value or the same error."""
    try:
        text = line.decode()
        value, end = _SCAN(text, 0)
    except (UnicodeDecodeError, StopIteration, ValueError):
        return json.loads(line)
    if end != len(text):
        return json.loads(line)
    return value
