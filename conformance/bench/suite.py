"""Case 6: the suite's own speed (the pipe's round trip, case 6b, is in ``pipe.py``).

It runs the spec tests installed with the package; where they cannot be found, the
rows are skipped with the reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources

from mmapspec.bench.cases import Context
from mmapspec.bench.timing import Comparison, Group, Limit, Variant

SUITE_TIMEOUT_S = 900
IO_SIZE = 4096
"""Bytes per read and write through the harnesses."""


def spec_tests_missing() -> str | None:
    """None when spec tests are installed, else why the suite rows are skipped."""
    try:
        files = [p.name for p in resources.files("mmapspec.spec").iterdir()]
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        return f"mmapspec.spec not importable ({exc})"
    if not any(name.startswith("test_") and name.endswith(".py") for name in files):
        return "no spec tests (mmapspec/spec/test_*.py) in this installation"
    return None


def suite_command(workers: int, quick: bool) -> tuple[str, list[str]]:
    """The conformance run against the reference under the CI profile, and its label."""
    label = f"mmapspec run --adapter reference -n {workers}"
    cmd = [
        sys.executable, "-c", "import sys; from mmapspec.cli import main; sys.exit(main())",
        "run", "--adapter", "reference", "-n", str(workers), "--hypothesis-profile", "ci",
    ]  # fmt: skip
    if quick:
        cmd += ["--", "--collect-only"]
    return label + ("  (collect only)" if quick else ""), cmd


def whole_run(
    cmd: list[str], ctx: Context, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """One whole run of ``cmd`` in the bench's work folder, its output captured."""
    return subprocess.run(
        cmd, cwd=ctx.workdir, env=env, capture_output=True, text=True, timeout=SUITE_TIMEOUT_S
    )


def _running(
    ctx: Context, cmd: list[str], workers: int, outcomes: dict[int, str]
) -> Callable[[int], None]:
    """Runs the suite ``n`` times; records the last line of its output in ``outcomes``."""
    env = {**os.environ, "CI": "1"}  # what CI sets; the spec's conftest then picks 'ci' too

    def run(n: int) -> None:
        for _ in range(n):
            proc = whole_run(cmd, ctx, env)
            lines = proc.stdout.strip().splitlines()
            last = lines[-1] if lines else proc.stderr.strip()[-200:]
            # 0: all passed; 1: the run completed with failing tests or deviations
            # (a finding about the reference, not a reason to drop the timing).
            if proc.returncode not in (0, 1):
                raise RuntimeError(f"exit code {proc.returncode}: {last}")
            verdict = "passed" if proc.returncode == 0 else "FAILURES OR DEVIATIONS"
            outcomes[workers] = f"exit {proc.returncode} ({verdict}): {last}"

    return run


@contextmanager
def suite(ctx: Context) -> Iterator[Group]:
    missing = spec_tests_missing()
    outcomes: dict[int, str] = {}
    variants = []
    for workers in (1, 2):
        label, cmd = suite_command(workers, ctx.quick)
        if missing:
            variants.append(Variant(f"suite.n{workers}", label, None, role="case", skip=missing))
        else:
            variants.append(
                Variant(
                    f"suite.n{workers}",
                    label,
                    _running(ctx, cmd, workers, outcomes),
                    role="case",
                    fixed_n=1,
                    warmup=False,
                )
            )
    notes = [
        "wall time of one whole run each (no warm-up), adapter 'reference', "
        "Hypothesis profile 'ci', tests in the pytest-xdist workers given"
    ]
    if ctx.quick:
        notes.append("QUICK MODE: collection only, the tests are not run")
    group = Group(
        "suite",
        "6. the conformance suite against the reference, CI profile",
        variants,
        [Comparison("suite.n2", "suite.n1")],
        notes,
        samples=1,
        limits=[] if ctx.quick else [Limit("suite.n2", 60.0)],
        waits=True,
    )
    yield group
    for workers, last in sorted(outcomes.items()):
        group.notes.append(f"-n {workers}: {last}")
