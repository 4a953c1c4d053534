"""The C harness (adapters/c/): built with the system compiler, then driven for real.

It follows PROTOCOL.md's rules where a C binding has to choose (a string holding NUL,
an integer its int64_t cannot hold, a FileRef it cannot open), declares int_range
i64, and the whole spec finds its binding conformant and safe, with every message
validated against the schema.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mmapspec.adapters.interface import ArgumentError, FileRef
from mmapspec.adapters.pipe import HarnessError, PipeAdapter


def test_it_declares_what_its_binding_takes(c_harness: str) -> None:
    with PipeAdapter(c_harness, validate=1) as c:
        assert c.capabilities.int_range == "i64"
        assert c.implementation["language"] == "C"
        assert c.aligned_size(1) == c.pagesize()
        assert c.aligned_addr(2**62 + 1, "left") == 2**62


def test_what_a_c_binding_cannot_take_is_raised_never_truncated(c_harness: str) -> None:
    with PipeAdapter(c_harness, validate=1) as c:
        with pytest.raises(ArgumentError, match="tagname: holds NUL"):
            c.map(None, "w", 4096, tagname="a\0b")
        with pytest.raises(ArgumentError, match="does not fit in int64_t"):
            c.aligned_size(2**63)
        with pytest.raises(ArgumentError, match="size must be > 0"):
            c.map(None, "w", -1)


def test_a_file_it_cannot_open_is_its_own_failure(c_harness: str, tmp_path: Path) -> None:
    missing = FileRef(str(tmp_path / "missing"), "fd", "r")
    with PipeAdapter(c_harness, validate=1) as c, pytest.raises(HarnessError, match="as an fd"):
        c.map(missing, "")


@pytest.mark.slow
def test_the_whole_spec_finds_the_c_binding_conformant_and_safe(
    c_harness: str, tmp_path: Path, record_property: Any
) -> None:
    report = tmp_path / "c.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "MMAPSPEC_PIPE"))}
    argv = [sys.executable, "-m", "mmapspec.commands.cli", "run", "--pipe-cmd", c_harness]
    argv += ["--adapter-option", "validate=1", "-n", "0", "--json", str(report)]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=800)
    tail = "\n".join(done.stdout.splitlines()[-25:])
    record_property("c_harness_end_of_run", tail)
    assert done.returncode == 0, f"exit {done.returncode}:\n{tail}\n{done.stderr[-2000:]}"
    doc = json.loads(report.read_text())
    not_passing = {c["id"]: c["status"] for c in doc["clauses"] if c["status"] != "pass"}
    assert set(not_passing.values()) <= {"skipped"}, not_passing
    assert doc["adapter"]["name"] == "c:mmap_posix" and "int:i64" in doc["adapter"]["capabilities"]
    narrowed = {c["id"] for c in doc["clauses"] if c["tested_range"]}
    assert {"aligned_size.left", "aligned_addr.left"} <= narrowed
