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


def spec_tests_missing() -> str | None:
    """None when spec tests are installed, else why the suite rows are skipped."""
    try:
        files = [p.name for p in resources.files("mmapspec.spec").iterdir()]
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        return f"mmapspec.spec not importable ({exc})"
    if not any(name.startswith("test_") and name.endswith(".py") for name in files):
        return "no spec tests (mmapspec/spec/test_*.py) in this installation"
    return None


def run_command(adapter: str, workers: int, quick: bool) -> list[str]:
    """``mmapspec run`` against ``adapter`` under the CI profile (collection only when
    ``quick``)."""
    cmd = [
        sys.executable, "-m", "mmapspec.commands.cli",
        "run", "--adapter", adapter, "-n", str(workers), "--hypothesis-profile", "ci",
    ]  # fmt: skip
    return cmd + (["--", "--collect-only"] if quick else [])


def whole_run(cmd: list[str], ctx: Context) -> subprocess.CompletedProcess[str]:
    """One whole run of ``cmd`` in the bench's work folder, its output captured, with
    ``CI`` set as CI sets it (the spec's conftest then picks the 'ci' profile too)."""
    return subprocess.run(
        cmd,
        cwd=ctx.workdir,
        env={**os.environ, "CI": "1"},
        capture_output=True,
        text=True,
        timeout=SUITE_TIMEOUT_S,
    )


def _running(
    ctx: Context, cmd: list[str], workers: int, outcomes: dict[int, str]
) -> Callable[[int], None]:
    """Runs the suite ``n`` times; records the last line of its output in ``outcomes``."""

    def run(n: int) -> None:
        for _ in range(n):
            proc = whole_run(cmd, ctx)
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
        label = f"mmapspec run --adapter reference -n {workers}" + (
            "  (collect only)" if ctx.quick else ""
        )
        cmd = run_command("reference", workers, ctx.quick)
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
