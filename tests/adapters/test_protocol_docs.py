"""The parts of the protocol's documents made from the table of operations are fresh."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from mmapspec.adapters import protocol_docs
from mmapspec.adapters.operations import OPERATIONS, Operation
from mmapspec.adapters.protocol_docs import PROTOCOL_MD, RENDERERS, SCHEMA


@pytest.mark.parametrize("path", list(RENDERERS), ids=lambda p: Path(p).name)
def test_the_committed_file_is_what_the_table_makes(path: Path) -> None:
    current = path.read_text(encoding="utf-8")
    assert RENDERERS[path](current) == current, (
        f"{path.name} is stale: python -m mmapspec.adapters.protocol_docs --write"
    )


def test_check_mode_reports_a_stale_file_and_write_mode_fixes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "PROTOCOL.md"
    fresh = PROTOCOL_MD.read_text(encoding="utf-8")
    copy.write_text(fresh.replace("| `unlink_map` |", "| `unlink_maps` |"), encoding="utf-8")
    monkeypatch.setattr(protocol_docs, "RENDERERS", {copy: protocol_docs.render_protocol_md})
    assert protocol_docs.main([]) == 1
    assert "stale" in capsys.readouterr().out
    assert protocol_docs.main(["--write"]) == 0
    assert copy.read_text(encoding="utf-8") == fresh
    assert protocol_docs.main([]) == 0


_SAMPLES: dict[str, Any] = {
    "int": "18446744073709551615",
    "addr": "18446744073709551615",
    "handle": 1,
    "file": {"path": "/x", "kind": "name", "mode": "r"},
    "bytes": "AA==",
    "str": "x",
    "bool": True,
    "form": "table",
}


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_the_schema_takes_each_operation_as_the_table_says(op: Operation) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    requests = Draft202012Validator({"$ref": "#/$defs/request", "$defs": schema["$defs"]})
    assert f"response_{op.name}" in schema["$defs"]
    every = {a.request_key: _SAMPLES[a.wire] for a in op.args}
    needed = {a.request_key: _SAMPLES[a.wire] for a in op.args if not a.optional}
    assert requests.is_valid({"id": 1, "op": op.name, "args": every})
    assert requests.is_valid({"id": 1, "op": op.name, "args": needed})
    assert not requests.is_valid({"id": 1, "op": op.name, "args": {**every, "bogus": 1}})
    for key in needed:
        fewer = {k: v for k, v in needed.items() if k != key}
        assert not requests.is_valid({"id": 1, "op": op.name, "args": fewer}), key


def test_a_made_up_key_or_op_is_refused_and_an_omitted_optional_key_is_not() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    requests = Draft202012Validator({"$ref": "#/$defs/request", "$defs": schema["$defs"]})
    assert requests.is_valid({"id": 1, "op": "aligned_size", "args": {"size": 4096}})
    assert requests.is_valid({"id": 1, "op": "map", "args": {"form": "table"}})
    assert not requests.is_valid({"id": 1, "op": "map", "args": {}})  # form is required
    assert not requests.is_valid({"id": 1, "op": "aligned_size", "args": {}})
    assert not requests.is_valid({"id": 1, "op": "echo_size", "args": {}})
    flush = {"handle": 1, "async": True, "addr": "18446744073709551615", "size": 1}
    assert requests.is_valid({"id": 1, "op": "flush", "args": flush})
    assert not requests.is_valid({"id": 1, "op": "flush", "args": {**flush, "async_": True}})
