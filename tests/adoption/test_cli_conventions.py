"""``mmapspec``'s command-line conventions: ``-q``, ``-`` for stdout, the exit codes
in ``--help``, ``mmapspec adapters``, no pytest "N failed" line under a green
verdict, and no fork() deprecation warnings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
from mmapspec.results import model

REPO = Path(__file__).resolve().parents[2]
STDLIB_TOML = REPO / "adapters" / "expectations" / "stdlib.toml"


def mmapspec(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "MMAPSPEC"))}
    return subprocess.run(
        [sys.executable, "-m", "mmapspec.commands.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_help_has_the_exit_codes() -> None:
    for args in (["--help"], ["run", "--help"]):
        out = mmapspec(*args).stdout
        assert "exit status:" in out, args
        for code in ("0  conformant", "1  deviations", "2  the run itself failed"):
            assert code in out, (args, code)


def test_adapters_lists_the_built_in_ones() -> None:
    proc = mmapspec("adapters")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    for name in ("reference", "stdlib", "pipe"):
        assert any(line.startswith(name + " ") and "(built-in)" in line for line in lines), name


def test_quiet_prints_the_verdict_line_alone() -> None:
    proc = mmapspec("run", "--clause", "pagesize.*", "-n", "0", "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == ["3 clauses: 3 pass -> conformant"], proc.stdout


def test_json_to_stdout_and_the_table_to_stderr() -> None:
    proc = mmapspec("run", "--clause", "pagesize.*", "-n", "0", "--json", "-")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, model.schema())
    assert doc["verdict"] == "conformant"
    assert "mmapspec conformance" in proc.stderr
    assert "reports: -" in proc.stderr.splitlines(), proc.stderr[-400:]
    assert not Path("-").exists()
    two = mmapspec("run", "--json", "-", "--markdown", "-")
    assert two.returncode == 2 and "only one of" in two.stderr


def test_a_green_verdict_has_no_failed_line(tmp_path: Path) -> None:
    proc = mmapspec(
        "run",
        *("--adapter", "stdlib", "--expectations", str(STDLIB_TOML)),
        *("--clause", "map.size.*", "-n", "0"),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "as expected" in proc.stdout or "conformant" in proc.stdout, proc.stdout
    assert " failed" not in proc.stdout, proc.stdout
    assert "spec tests in" in proc.stdout.splitlines()[-1]


def test_no_fork_deprecation_warning() -> None:
    """The safety clauses fork a child to plant a file as another user; on Python
    3.12+ that warned on every run."""
    proc = mmapspec("run", "--clause", "safety.tagname.*", "-n", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "DeprecationWarning" not in proc.stdout + proc.stderr
