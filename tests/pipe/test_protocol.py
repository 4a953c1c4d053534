"""The published schema against real traffic of both harnesses.

The traffic is captured by ``tee`` between the runner and the harness, so what is
validated is the bytes that really crossed the pipes, not our idea of them.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import lua_harness, python_harness
from jsonschema import Draft202012Validator
from mmapspec.adapters.interface import AdapterError, Capabilities, FileRef
from mmapspec.adapters.pipe import (
    PipeAdapter,
    decode_capabilities,
    encode_capabilities,
    schema,
    schema_violation,
)


def test_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _exercise(adapter: PipeAdapter, tmp: Path) -> int:
    """Every op, in every form and outcome the implementation can show; returns
    how many operations were sent."""
    sent = 0

    def op(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        nonlocal sent
        sent += 1
        with contextlib.suppress(AdapterError):
            return fn(*args, **kwargs)
        return None

    name = str(tmp / f"t-{uuid.uuid4().hex}")
    op(adapter.pagesize)
    for value in (0, 1, 4097, 2**60 + 3):
        op(adapter.aligned_size, value)
        op(adapter.aligned_size, value, "left")
    op(adapter.aligned_addr, 2**64 - 1, "left")
    op(adapter.aligned_addr, 4097)
    op(adapter.map, FileRef(name + "-missing"), "")  # errcode
    op(adapter.map, None, "w", 0)  # raised
    op(adapter.map, None, "w", 4096, form="positional")
    op(adapter.map, FileRef(name + "-h", "handle"), "w", 4096)  # unsupported on Linux
    m = op(adapter.map, FileRef(name), "w", 8192)
    if m is not None:
        op(adapter.write, m.handle, 100, bytes(range(256)) * 3)
        op(adapter.read, m.handle, 100, 768)
        op(adapter.read, m.handle, 0, 0)
        op(adapter.flush, m.handle)
        op(adapter.flush, m.handle, True)
        if m.addr is not None:
            op(adapter.flush, m.handle, None, m.addr + 10, 100)
            op(adapter.flush, m.handle, False, m.addr, 4096)
        op(adapter.free, m.handle)
    for kind in ("fd", "fileobj"):
        f = op(
            adapter.map,
            FileRef(name, kind, "r+", b"pend" if kind == "fileobj" else b""),
            "",
            form="positional",
        )
        if f is not None:
            op(adapter.read, f.handle, 0, 8)
            op(adapter.free, f.handle)
    tag = f"mmapspec-proto-{uuid.uuid4().hex}"
    t = op(adapter.map, None, "w", 4096, tagname=tag)
    if t is not None:
        op(adapter.unlink_map, t.handle)
        op(adapter.free, t.handle)
    op(adapter.unlink, tag)
    mirror = op(adapter.mirror, FileRef(name + "-mirror"), 100, 3)
    if mirror is not None:
        op(adapter.write, mirror.handle, 0, b"abc")
        op(adapter.read, mirror.handle, 2 * mirror.size, 3)
        op(adapter.free, mirror.handle)
    op(adapter.mirror, None, 4096)  # raised
    op(adapter.filesize, FileRef(name))
    op(adapter.filesize, FileRef(name), 3)
    op(adapter.filesize, FileRef(name + "-missing"))
    return sent


def _validate_traffic(requests: list[str], responses: list[str]) -> list[str]:
    root = Draft202012Validator(schema())
    request_validator = Draft202012Validator(
        {"$ref": "#/$defs/request", "$defs": schema()["$defs"]}
    )
    problems = []
    assert len(requests) == len(responses)
    for req_line, resp_line in zip(requests, responses, strict=True):
        req, resp = json.loads(req_line), json.loads(resp_line)
        for error in request_validator.iter_errors(req):
            problems.append(f"request {req_line}: {error.message}")
        for msg in (req, resp):
            if not root.is_valid(msg):
                problems.append(f"not a protocol message: {msg}")
        if resp["id"] != req["id"]:
            problems.append(f"response {resp_line} to request id {req['id']}")
        why = schema_violation(req["op"], resp)
        if why:
            problems.append(f"response to {req['op']}: {why}: {resp_line}")
    return problems


def _harnesses() -> list[Any]:
    return [
        pytest.param(lambda: python_harness(), id="python-tiny"),
        pytest.param(lambda: python_harness("reference"), id="python-reference"),
        pytest.param(lambda: lua_harness(), id="lua-demo"),
    ]


@pytest.mark.skipif(
    shutil.which("sh") is None or shutil.which("tee") is None,
    reason="records the traffic with sh and tee, which this system lacks (Windows)",
)
@pytest.mark.parametrize("command", _harnesses())
def test_real_traffic_matches_the_schema(command: Callable[[], str], tmp_path: Path) -> None:
    req_log, resp_log = tmp_path / "requests.jsonl", tmp_path / "responses.jsonl"
    tapped = f"tee {shlex.quote(str(req_log))} | {command()} | tee {shlex.quote(str(resp_log))}"
    with PipeAdapter(f"sh -c {shlex.quote(tapped)}", timeout=30) as adapter:
        sent = _exercise(adapter, tmp_path)
    requests = req_log.read_text().splitlines()
    responses = resp_log.read_text().splitlines()
    # start, the pagesize that shows the harness listens, every op, stop: one line each way
    assert len(requests) == len(responses) == sent + 3
    ops = [json.loads(r)["op"] for r in (requests[0], requests[1], requests[-1])]
    assert ops == ["start", "pagesize", "stop"]
    outcomes = {json.loads(r)["outcome"] for r in responses}
    assert {"value", "errcode", "raised", "unsupported"} <= outcomes
    assert _validate_traffic(requests, responses) == []


def test_validation_catches_what_a_broken_harness_sends() -> None:
    good = {"id": 3, "outcome": "value", "value": {"handle": 1, "addr": None, "size": 4096}}
    assert schema_violation("map", good) is None
    broken = {"id": 3, "outcome": "value", "value": {"handle": 1, "addr": None, "size": 4096.5}}
    assert "at value/size" in (schema_violation("map", broken) or "")
    assert "'message' is a required property" in (
        schema_violation("map", {"id": 3, "outcome": "errcode", "errcode": "no_file"}) or ""
    )
    assert schema_violation("read", {"id": 3, "outcome": "value", "value": "not base64!"})
    big = {"id": 3, "outcome": "value", "value": "18446744073709547520"}
    assert schema_violation("aligned_addr", big) is None
    assert schema_violation("aligned_addr", {"id": 3, "outcome": "value", "value": 2**60})


def test_capabilities_of_an_old_harness_read_as_meant() -> None:
    """A harness from before the split declares ``alignment_helpers``; its ``addr`` meant
    reporting and requesting an address alike."""
    old = decode_capabilities({"addr": True, "alignment_helpers": True})
    assert {"addr", "addr_request", "pagesize", "alignment"} <= old.names()
    none = decode_capabilities({"addr": False, "alignment_helpers": False})
    assert not {"addr", "addr_request", "pagesize", "alignment"} & none.names()
    mixed = decode_capabilities({"addr": True, "alignment_helpers": True, "alignment": False})
    assert "alignment" not in mixed.names() and "pagesize" in mixed.names()


def test_capabilities_of_a_new_harness_claim_only_what_they_name() -> None:
    caps = decode_capabilities({"addr": True, "pagesize": True})
    assert {"addr", "pagesize"} <= caps.names()
    assert not {"addr_request", "alignment"} & caps.names()
    assert decode_capabilities(encode_capabilities(Capabilities())) == Capabilities()


def test_schema_accepts_old_and_new_capabilities() -> None:
    for caps in ({"addr": True, "alignment_helpers": True}, encode_capabilities(Capabilities())):
        hello = {
            "protocol": 1,
            "implementation": {"name": "x", "version": "1"},
            "capabilities": caps,
            "pid": 1,
        }
        assert schema_violation("start", {"id": 0, "outcome": "value", "value": hello}) is None
