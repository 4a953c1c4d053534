"""Case 7: a failing run is fast.

The whole spec against the reference, and against the reference with one defect
planted in a stateful path (:class:`~mmapspec.bench.deviant.FilesizeNeverShrinks`),
both under the CI profile. A binding author iterates on failing runs: one should
take at most twice the time of a passing run of the same adapter. The CI profile
does not shrink (the first failing example is reported, replayable exactly), which is
what keeps it so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from mmapspec.bench.cases import Context
from mmapspec.bench.suite import run_command, spec_tests_missing, whole_run
from mmapspec.bench.timing import Comparison, Group, Role, Variant

DEVIANT = "mmapspec.bench.deviant:FilesizeNeverShrinks"
ADAPTERS = {
    # key: (adapter, label, exit status a real run must end with)
    "reference": ("reference", "mmapspec run --adapter reference", 0),
    "deviant": (DEVIANT, "mmapspec run --adapter reference + 1 stateful defect", 1),
}
TARGET = 2.0
"""A failing run takes at most this many times a passing run's time."""


Outcomes = dict[str, tuple[int, str]]
"""Per adapter key: the exit status of its last run and the last line it printed."""


def _running(key: str, cmd: list[str], ctx: Context, outcomes: Outcomes) -> Callable[[int], None]:
    """The timed operation: ``n`` whole runs of ``cmd``, each outcome recorded."""

    def run(n: int) -> None:
        for _ in range(n):
            proc = whole_run(cmd, ctx)
            if proc.returncode not in (0, 1):
                last = proc.stderr.strip()[-300:] or proc.stdout.strip()[-300:]
                raise RuntimeError(f"exit code {proc.returncode}: {last}")
            lines = proc.stdout.strip().splitlines()
            outcomes[key] = (proc.returncode, lines[-1] if lines else "")

    return run


def _exits_with(key: str, status: int, ctx: Context, outcomes: Outcomes) -> Callable[[], None]:
    """The check after timing: the run ended as intended (passing, or failing)."""

    def check() -> None:
        got = outcomes.get(key, (None, ""))[0]
        if not ctx.quick and got != status:
            raise RuntimeError(
                f"{ADAPTERS[key][1]} exited {got}, not {status}: it did not run as intended"
            )

    return check


def _variants(ctx: Context, missing: str | None, outcomes: Outcomes) -> list[Variant]:
    variants = []
    for key, (adapter, label, status) in ADAPTERS.items():
        text = label + ("  (collect only)" if ctx.quick else "")
        role: Role = "case" if key == "deviant" else "baseline"
        if missing:
            variants.append(Variant(f"failing.{key}", text, None, role=role, skip=missing))
            continue
        variants.append(
            Variant(
                f"failing.{key}",
                text,
                _running(key, run_command(adapter, 2, ctx.quick), ctx, outcomes),
                role=role,
                fixed_n=1,
                warmup=False,
                check=_exits_with(key, status, ctx, outcomes),
            )
        )
    return variants


@contextmanager
def failing(ctx: Context) -> Iterator[Group]:
    outcomes: Outcomes = {}
    variants = _variants(ctx, spec_tests_missing(), outcomes)
    notes = [
        f"wall time of one whole run each (no warm-up), 2 workers, Hypothesis profile 'ci'; "
        f"the defect ({DEVIANT}): filesize(file, size) never truncates, which the stateful "
        "model finds (the ci profile reports its first failing example, unshrunk)"
    ]
    if ctx.quick:
        notes.append("QUICK MODE: collection only, the tests are not run")
    group = Group(
        "failing",
        "7. a failing run against a passing run of the same adapter, CI profile",
        variants,
        [Comparison("failing.deviant", "failing.reference", limit=None if ctx.quick else TARGET)],
        notes,
        samples=1,
        waits=True,
    )
    yield group
    for key, (code, last) in sorted(outcomes.items()):
        group.notes.append(f"{ADAPTERS[key][1]}: exit {code}: {last}")
