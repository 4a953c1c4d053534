"""Running ``mmapspec`` in subprocesses on the mini spec, for the runner's tests.

The mini spec (``minispec/``) drives real maps through ``tests.deviants.runner.DeviantAdapter``
(CPython's mmap with a wrong page size) or the plain stdlib adapter; its clauses
are in its own catalogue, ``minispec.catalogue``, which ``--spec minispec`` selects.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
from mmapspec.results import model

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

RUNNER_DEVIANTS = "tests.deviants.runner"
"""The runner tests' deviant adapters, importable from the repository's root."""
DEVIANT = f"{RUNNER_DEVIANTS}:DeviantAdapter"

MINI = ["--spec", "minispec"]

MINI_PYTEST = ["--", "-o", "python_files=spec_*.py"]

EXPECTED_DEVIANT = {
    "pagesize.returns-page-size": None,  # a real clause: skipped, whatever its tests do
    "runner.pass": ("pass", "pass"),
    "runner.offset": ("fail", "fail"),
    "runner.unsupported": ("unsupported", "unsupported"),
    "runner.mixed": ("pass", "pass"),  # the test needing a mirror is skipped, not the clause
    "runner.notes": ("pass", "pass"),
    "runner.skipped": ("skipped", "skipped"),
    "runner.crash": ("skipped", "skipped"),
    "runner.crash-reported": ("crash", "crash"),
    "runner.untested": ("skipped", "skipped"),
    "runner.blocked-at-setup": ("blocked", "blocked"),
    "runner.blocked-declared": ("blocked", "blocked"),
    "runner.reading": ("differs-from-reading", "differs-from-reading"),
    "runner.suite-error": ("skipped", "skipped"),
    "runner.suite-error-in-setup": ("skipped", "skipped"),
    "runner.binding-raises": ("pass", "pass"),
}

ALL_DEVIATIONS = """
[clause."runner.offset"]
status = "fail"
reason = "the deviant adapter reports half the page size"

[clause."runner.unsupported"]
status = "unsupported"
reason = "CPython's mmap has no tagname"

[clause."runner.crash-reported"]
status = "crash"
reason = "the test raises ImplementationCrashed"
"""

STDLIB_EXPECTATIONS = ROOT / "adapters" / "expectations" / "stdlib.toml"


def pythonpath() -> str:
    """``PYTHONPATH`` for a run: the mini spec (here) and the deviants (from the root)."""
    return os.pathsep.join([str(HERE), str(ROOT), os.environ.get("PYTHONPATH", "")])


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``mmapspec`` in a fresh interpreter, with the mini spec importable."""
    full_env = {
        **os.environ,
        "PYTHONPATH": pythonpath(),
    }
    full_env.pop("PYTEST_XDIST_WORKER", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "mmapspec.commands.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
    )


def mini(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], dict]:
    out = tmp_path / "report.json"
    proc = run("run", *MINI, "--json", str(out), *args, *MINI_PYTEST, env=env, cwd=tmp_path)
    assert out.exists(), proc.stdout + proc.stderr
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, model.schema())
    # Every report this version writes reads back into an equal object.
    report = model.Report.from_json(doc)
    assert report.to_json() == doc
    assert model.Report.from_json(report.to_json()) == report
    return proc, doc


def statuses(doc: dict) -> dict[str, tuple[str, str]]:
    return {c["id"]: (c["status"], c["actual"]) for c in doc["clauses"]}


def check_deviant(doc: dict, *but: str) -> None:
    got = statuses(doc)
    for cid, want in EXPECTED_DEVIANT.items():
        if want is not None and cid not in but:
            assert got[cid] == want, cid


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The run failed with exit 2 and said why in exactly one line, without a traceback."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("mmapspec: error:")]
    assert len(errors) == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "INTERNALERROR" not in proc.stderr + proc.stdout
    return errors[0]
