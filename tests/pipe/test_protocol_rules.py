"""PROTOCOL.md's encoding rules as the validating mode enforces them, and the cases
it specifies (its table "Cases the operations leave open"), through real harnesses.

A harness that sends ``1`` for ``true`` or ``"4096"`` for ``4096`` is refused by
``validate=1`` with the JSON path and the rule; the same harness without validation
reaches the suite, which would judge its encoding instead of the binding.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest
from conftest import lua_harness, python_harness
from mmapspec.adapters.interface import ArgumentError, Capabilities, FileRef
from mmapspec.adapters.pipe import PipeAdapter, ProtocolError, schema_violation
from mmapspec.adapters.pipe.codec import SAFE_INT, decode_capabilities, encode_capabilities

HERE = Path(__file__).resolve().parent


def _bad(*flags: str) -> str:
    return shlex.join(
        [sys.executable, str(HERE / "bad_harness.py"), "--serve", "reference", *flags]
    )


def _value(value: object) -> dict[str, object]:
    return {"id": 3, "outcome": "value", "value": value}


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        (0, True),
        (4096, True),
        (SAFE_INT, True),
        (-SAFE_INT, True),
        (str(SAFE_INT + 1), True),
        (str(-SAFE_INT - 1), True),
        (str(2**64 - 1), True),
        (str(2**63), True),
        ("4096", False),
        (str(SAFE_INT), False),
        ("-1", False),
        ("09007199254740993", False),
        (SAFE_INT + 1, False),
        (4096.5, False),
        (True, False),
    ],
)
def test_an_integer_is_a_number_within_2_53_and_digits_beyond(number: object, ok: bool) -> None:
    why = schema_violation("aligned_size", _value(number))
    assert (why is None) is ok, why


def test_a_boolean_is_a_json_boolean() -> None:
    for value in (True, False, None):
        assert schema_violation("flush", _value(value)) is None
    for value in (1, 0, "true"):
        why = schema_violation("flush", _value(value)) or ""
        assert why.startswith("at value: ") and "'boolean'" in why, why


def test_the_rule_is_named_in_words() -> None:
    why = schema_violation("map", _value({"handle": 1, "addr": None, "size": "4096"})) or ""
    assert why.startswith("at value/size: '4096' is an integer within +-(2^53-1) sent as a string")
    assert "(schema rule " in why


@pytest.mark.parametrize(
    ("flag", "op", "path", "rule"),
    [
        ("--bool-as-int-on", "flush", "at value:", "1 is not of type 'boolean', 'null'"),
        ("--int-as-string-on", "map", "at value/size:", "'8192' is an integer within"),
    ],
)
def test_validate_refuses_a_harness_that_recodes(
    flag: str, op: str, path: str, rule: str, tmp_path: Path
) -> None:
    """Only in validating mode: without it, the value reaches the test as sent."""
    file = FileRef(str(tmp_path / "f"), "name", "w+")
    with PipeAdapter(_bad(flag, op), validate=1) as strict, pytest.raises(ProtocolError) as caught:
        m = strict.map(file, "w", 8192)
        strict.flush(m.handle)
    message = str(caught.value)
    assert f"harness answer to {op!r} breaks the protocol schema {path}" in message, message
    assert rule in message and "(schema rule " in message, message
    with PipeAdapter(_bad(flag, op)) as lax:
        m = lax.map(file, "w", 8192)
        result = lax.flush(m.handle)
        assert (result, m.size) in ((1, 8192), (True, 8192)), (result, m)


@pytest.fixture(params=["python", "lua", "c"])
def harness(request: pytest.FixtureRequest) -> str:
    if request.param == "c":
        return str(request.getfixturevalue("c_harness"))
    return python_harness("reference") if request.param == "python" else lua_harness()


def test_the_open_cases_are_answered_by_the_rules(harness: str, tmp_path: Path) -> None:
    """A mirror's handle for flush or unlink, a freed or unknown handle, bytes of a
    mirror with a hole: each is raised, and nothing crashes."""
    path = tmp_path / "ring"
    with PipeAdapter(harness, validate=1) as a:
        page = a.pagesize()
        mirror = a.mirror(FileRef(str(path), "name", "w+"), page)
        assert mirror.size == page, "a mirror's size is one copy's"
        for call in (lambda: a.flush(mirror.handle), lambda: a.unlink_map(mirror.handle)):
            with pytest.raises(ArgumentError):
                call()
        a.write(mirror.handle, page - 1, b"ab")
        assert a.read(mirror.maps[0].handle, 0, 1) == b"b"
        a.free(mirror.maps[0].handle)
        with pytest.raises(ArgumentError):
            a.free(mirror.maps[0].handle)
        for offset in (0, page):  # the hole, and the live copy: refused alike
            with pytest.raises(ArgumentError):
                a.read(mirror.handle, offset, 1)
        assert a.read(mirror.maps[1].handle, 0, 1) == b"b"
        a.free(mirror.handle)
        for handle in (mirror.handle, mirror.maps[1].handle):
            with pytest.raises(ArgumentError):
                a.free(handle)


def test_the_declared_integer_range_travels_in_start() -> None:
    """``int_range`` is u64 unless declared; an unknown one breaks the protocol."""
    assert decode_capabilities({}).int_range == "u64"
    for declared in ("u64", "i64", "f64"):
        caps = Capabilities(int_range=declared)
        sent = encode_capabilities(caps)
        assert sent["int_range"] == declared and decode_capabilities(sent) == caps
        assert f"int:{declared}" in caps.names()
        hello = {"protocol": 1, "implementation": {"name": "x", "version": "1"}, "pid": 1}
        start = _value({**hello, "capabilities": sent})
        assert schema_violation("start", start) is None
    with pytest.raises(ProtocolError, match="int_range must be one of u64, i64, f64, got 'i32'"):
        decode_capabilities({"int_range": "i32"})
    bad = _value({**hello, "capabilities": {"int_range": "i32"}})
    assert "at value/capabilities/int_range" in (schema_violation("start", bad) or "")


def test_the_lua_harness_declares_lua_numbers_unless_told_otherwise() -> None:
    with PipeAdapter(lua_harness()) as a:
        assert a.capabilities.int_range == "f64"
    with PipeAdapter(lua_harness(env='MMAPSPEC_CAPS=\'{"int_range":"i64"}\'')) as a:
        assert a.capabilities.int_range == "i64"
