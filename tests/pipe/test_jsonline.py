"""``jsonline`` is a faster spelling of ``json.dumps``/``json.loads`` for the pipe:
the same bytes out, and the same values or the same errors in."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mmapspec.adapters.pipe.codec import request_line
from mmapspec.adapters.pipe.jsonline import dumps_line, loads_line

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def _outcome(read: Any, line: bytes) -> tuple[str, str]:
    try:
        return "value", repr(read(line))
    except Exception as exc:  # noqa: BLE001 - the error is what is compared
        return type(exc).__name__, str(exc)


@given(values)
def test_dumps_line_writes_what_json_dumps_writes(value: Any) -> None:
    assert dumps_line(value) == (json.dumps(value, separators=(",", ":")) + "\n").encode()


@given(values)
def test_loads_line_reads_back_what_was_written(value: Any) -> None:
    line = dumps_line(value)[:-1]
    assert _outcome(loads_line, line) == _outcome(json.loads, line)


@pytest.mark.parametrize(
    "line",
    [
        b' {"id":1} ',
        b'{"id":1}\r',
        b"[1,2",
        b'{"a":1}x',
        b"\xff",
        b'"\\ud800"',
        b"NaN",
        b'\xef\xbb\xbf{"a":1}',
        b"\xff\xfe{\x00}\x00",
        b"",
    ],
)
def test_loads_line_answers_like_json_loads_off_the_fast_path(line: bytes) -> None:
    assert _outcome(loads_line, line) == _outcome(json.loads, line)


def test_dumps_line_refuses_what_json_cannot_encode() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps_line({"value": object()})


@given(st.integers(0, 2**40), st.text(), st.dictionaries(st.text(), values, max_size=3))
def test_a_request_line_is_the_json_of_its_three_fields(rid: int, op: str, args: Any) -> None:
    expected = json.dumps({"id": rid, "op": op, "args": args}, separators=(",", ":")) + "\n"
    assert request_line(rid, op, args) == expected.encode()
