"""What the runner takes from a harness's messages: ids that are integers, nesting
that is bounded, capabilities of the right types, and the language it says, which
reaches the report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import python_harness
from mmapspec.adapters.pipe.codec import MAX_DEPTH, decode_capabilities, response_value
from mmapspec.adapters.pipe.errors import ProtocolError


def test_an_id_true_is_not_id_1() -> None:
    with pytest.raises(ProtocolError, match="expected an object with id 1"):
        response_value("pagesize", 1, b'{"id": true, "outcome": "value", "value": 4096}', False)
    assert response_value("pagesize", 1, b'{"id": 1, "outcome": "value", "value": 4096}', False)


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 200_000])
def test_a_deeply_nested_answer_is_a_protocol_error(levels: int) -> None:
    line = b'{"id": 1, "outcome": "value", "value": ' + b"[" * levels + b"]" * levels + b"}"
    with pytest.raises(ProtocolError, match=f"nests deeper than {MAX_DEPTH} levels"):
        response_value("read", 1, line, False)


@pytest.mark.parametrize(
    ("caps", "why"),
    [
        ([], "capabilities must be an object"),
        ({"file_kinds": "name"}, "file_kinds must be a list of strings"),
        ({"access_modes": ["r", 1]}, "access_modes must be a list of strings"),
        ({"call_forms": {"table": True}}, "call_forms must be a list of strings"),
    ],
)
def test_capabilities_of_the_wrong_type_are_a_protocol_error(caps: object, why: str) -> None:
    with pytest.raises(ProtocolError, match=why):
        decode_capabilities(caps)  # type: ignore[arg-type]


def test_the_harness_language_reaches_the_report(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    argv = [sys.executable, "-m", "mmapspec.commands.cli", "run", "--pipe-cmd"]
    argv += [python_harness("reference"), "-n", "0", "--clause", "pagesize.*"]
    done = subprocess.run(
        [*argv, "--json", str(report)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    assert json.loads(report.read_text())["adapter"]["language"].startswith("python ")
