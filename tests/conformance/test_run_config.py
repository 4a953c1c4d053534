"""One run configuration: ``mmapspec run`` and the plugin's ``--mmap-*`` options make
the same :class:`RunConfig` with the same checks, the command hands it to pytest and
gets the report back, and each process starts the adapter once."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from mmapspec.adapters import AdapterSpec
from mmapspec.plugin.run_config import RunConfig, RunConfigError

from .minirun import pythonpath, run

BAD = [
    (["--adapter-option", "novalue"], "--adapter-option: takes KEY=VALUE, got 'novalue'"),
    (["--timeout", "0"], "--timeout: must be a number of seconds > 0"),
    (["--json", "missing-dir/r.json"], "--json: cannot write"),
]
"""Bad settings in ``mmapspec run``'s spelling, and what is said of them."""


def _environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"}


def _plugin_spelling(args: list[str]) -> list[str]:
    return [a if a == "--adapter-option" else a.replace("--", "--mmap-") for a in args]


@pytest.mark.parametrize(("args", "complaint"), BAD)
def test_the_command_and_the_plugin_refuse_the_same_settings(
    tmp_path: Path, args: list[str], complaint: str
) -> None:
    command = run("run", "-n", "0", *args, cwd=tmp_path)
    assert command.returncode == 2 and complaint in command.stderr, command.stderr
    plugin = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "mmapspec.spec", "-p", "no:cacheprovider"]
        + _plugin_spelling(args),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={**_environ(), "PYTHONPATH": pythonpath()},
    )
    said = complaint.replace(args[0], _plugin_spelling(args)[0])
    assert plugin.returncode == 4 and said in plugin.stderr, plugin.stdout + plugin.stderr


def test_a_config_makes_the_options_that_make_it_again() -> None:
    config = RunConfig.parse(
        adapter="pipe",
        adapter_options=["pipe_cmd=luajit h.lua", "x=a=b"],
        reports={"json": "r.json", "junit": None},
        strict=True,
        clauses=["map.*"],
        timeout=1.5,
    )
    assert config.adapter == AdapterSpec("pipe", (("pipe_cmd", "luajit h.lua"), ("x", "a=b")))
    assert config.reports == (("json", "r.json"),)
    args = config.pytest_args()
    again = {
        "adapter": args[args.index("--mmap-adapter") + 1],
        "adapter_options": [args[i + 1] for i, a in enumerate(args) if a == "--adapter-option"],
        "spec": args[args.index("--mmap-spec") + 1],
        "reports": {"json": args[args.index("--mmap-json") + 1]},
        "strict": "--mmap-strict" in args,
        "clauses": [args[args.index("--mmap-clause") + 1]],
        "timeout": float(args[args.index("--mmap-timeout") + 1]),
    }
    assert RunConfig.parse(**again) == config  # type: ignore[arg-type]
    with pytest.raises(RunConfigError, match="--timeout"):
        RunConfig.parse(timeout=float("inf"))


@pytest.mark.parametrize(("workers", "starts"), [("0", 1), ("2", 3)])
def test_the_harness_starts_once_per_process(tmp_path: Path, workers: str, starts: int) -> None:
    """The command's check is the controller's probe, and without workers the
    tests' adapter too: one start, plus one per worker."""
    count = tmp_path / "starts"
    harness = tmp_path / "harness.sh"
    serve = [sys.executable, "-m", "mmapspec.adapters.harness", "--adapter", "reference"]
    harness.write_text(
        f"#!/bin/sh\necho start >> {shlex.quote(str(count))}\nexec {shlex.join(serve)}\n"
    )
    harness.chmod(0o755)
    report = tmp_path / "r.json"
    args = ["--pipe-cmd", str(harness), "-n", workers, "--clause", "pagesize.*"]
    done = run("run", *args, "--json", str(report), cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    assert len(count.read_text().splitlines()) == starts
    # The report came back to the command, and says what ran.
    assert json.loads(report.read_text())["verdict"] == "conformant"
