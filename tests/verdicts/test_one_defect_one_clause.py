"""One planted defect, one failing clause: the whole spec against each deviant binding.

Each binding of ``tests/deviants/verdicts.py`` is the reference with exactly one defect. It is run
the way a binding author runs the spec (``mmapspec run --adapter MODULE:CLASS --json
... -n 2`` with ``CI=1``, the derandomized ``ci`` Hypothesis profile) in a
subprocess, and its JSON report is read:

* the clause the defect breaks (``INTENDED``) fails, or differs from the reading
  where that clause's basis is a reading;
* every other clause passes, is unsupported or skipped, or is blocked by an intended
  clause (its message names it).

Three bindings declare integers narrower than 64 unsigned bits (``ranges``): their
reports must say, per clause, what the declared range kept out. Some deviants go
through the pipe protocol instead (the Python harness serving it
in a child process). Every run also gets its own tagname prefix
(``MMAPSPEC_RUN_PREFIX``): shared memory left in /dev/shm under it after the run is
counted, then removed (these tests made it); the binding whose ``unlink`` does
nothing must leave none. A summary table (deviant, intended, failing and blocked
clauses, run time) is printed at the end of the session (``conftest.py``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mmapspec.spec.catalogue import BY_ID

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the same module name in process and in the runs
    sys.path.insert(0, str(ROOT))

from tests.deviants import verdicts as deviants  # noqa: E402

MODULE = "tests.deviants.verdicts"
THROUGH_PIPE = frozenset(
    {
        "UnalignedFlushEinval",
        "AlignedAddrLowWordCarry",
        "Int64Binding",
        "FreedFlushSaysTrue",
        "FilesizeCrashesOnce",
    }
)
"""Deviants judged through the pipe protocol rather than in process."""
ACCEPTABLE = frozenset({"pass", "unsupported", "skipped"})
"""Statuses of a clause the defect does not break (besides "blocked" by the defect)."""
FAILING = frozenset({"fail", "crash", "differs-from-reading", "unexpected-pass"})
RUN_TIMEOUT_S = 1800
SHM = Path("/dev/shm")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the deviants are Linux's"),
]


@dataclasses.dataclass
class Run:
    """One whole run of the spec against a deviant, and what it left behind."""

    deviant: str
    via: str
    intended: tuple[str, ...]
    seconds: float
    doc: dict[str, Any]
    shm_left: list[str]

    @property
    def clauses(self) -> dict[str, dict[str, Any]]:
        return {c["id"]: c for c in self.doc["clauses"]}

    def failing(self) -> list[str]:
        return [c["id"] for c in self.doc["clauses"] if c["status"] in FAILING]

    def blocked(self) -> list[str]:
        return [c["id"] for c in self.doc["clauses"] if c["status"] == "blocked"]


def expected_status(clause_id: str, deviant: str = "") -> str:
    """What a broken clause is reported as: a reading is "differed from", not failed;
    a deviant that kills its process says so (``STATUS``)."""
    status = getattr(getattr(deviants, deviant, None), "STATUS", None)
    if isinstance(status, str):
        return status
    return "differs-from-reading" if BY_ID[clause_id].basis == "reading" else "fail"


def _shm_names(prefix: str) -> set[str]:
    return {p.name for p in SHM.iterdir() if p.name.startswith(prefix)} if SHM.is_dir() else set()


def run_spec(deviant: str, workdir: Path) -> Run:
    """``mmapspec run`` against one deviant, as its author would, under its own prefix."""
    cls = getattr(deviants, deviant)
    target = f"{MODULE}:{deviant}"
    report = workdir / "report.json"
    if deviant in THROUGH_PIPE:
        harness = [sys.executable, "-m", "mmapspec.adapters.harness", "--adapter", target]
        how, via = ["--pipe-cmd", shlex.join(harness)], "pipe"
    else:
        how, via = ["--adapter", target], "in process"
    prefix = f"mmapspec-{uuid.uuid4().hex}-"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(
        CI="1",
        MMAPSPEC_RUN_PREFIX=prefix,
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    )
    argv = [
        sys.executable,
        "-m",
        "mmapspec.commands.cli",
        "run",
        *how,
        "--json",
        str(report),
        "-n",
        "2",
    ]
    before = _shm_names(prefix)
    start = time.monotonic()
    try:
        proc = subprocess.run(
            argv, cwd=workdir, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the run against {deviant} took more than {RUN_TIMEOUT_S} s")
    seconds = time.monotonic() - start
    left = sorted(_shm_names(prefix) - before)
    for name in left:  # this run's, whatever the binding did: not left for the next
        (SHM / name).unlink(missing_ok=True)
    if proc.returncode not in (0, 1) or not report.exists():
        pytest.fail(
            f"the run itself failed (exit {proc.returncode}): {shlex.join(argv)}\n"
            f"{proc.stderr[-3000:]}\n{proc.stdout[-3000:]}"
        )
    doc = json.loads(report.read_text(encoding="utf-8"))
    return Run(deviant, via, deviants.intended(cls), seconds, doc, left)


def _blocked_by_intended(run: Run, cid: str, message: str) -> bool:
    """Blocked by an intended clause: named in the message, or at the root of the
    chain of ``blocked_by`` (a clause blocked by one that is blocked in turn)."""
    if any(i in message for i in run.intended):
        return True
    clauses, seen = run.clauses, {cid}
    at = clauses[cid].get("blocked_by")
    while at and at not in seen:
        if at in run.intended:
            return True
        seen.add(at)
        at = clauses.get(at, {}).get("blocked_by")
    return False


def judge(run: Run) -> list[str]:
    """Everything wrong with a run's verdicts, one line each (empty: as it should be)."""
    problems = []
    clauses = run.clauses
    for cid in run.intended:
        record = clauses.get(cid)
        want = expected_status(cid, run.deviant)
        if record is None:
            problems.append(f"{cid} (intended): not in the report")
        elif record["status"] != want:
            problems.append(f"{cid} (intended): {record['status']}, expected {want}")
    for cid, record in clauses.items():
        if cid in run.intended or record["status"] in ACCEPTABLE:
            continue
        message = record["message"] or ""
        if record["status"] == "blocked" and _blocked_by_intended(run, cid, message):
            continue
        first = message.strip().splitlines()[0][:300] if message.strip() else "(no message)"
        problems.append(f"{cid}: {record['status']}: {first}")
    return problems


@pytest.fixture(scope="module", params=[cls.__name__ for cls in deviants.DEVIANTS])
def deviant_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The whole spec against one deviant, run once for every test that reads it."""
    name: str = request.param
    return run_spec(name, tmp_path_factory.mktemp(name))


def test_the_defect_fails_its_clause_and_no_other(
    deviant_run: Run, record_property: Callable[[str, object], None]
) -> None:
    run = deviant_run
    record_property(
        "verdict_row",
        json.dumps(
            {
                "deviant": run.deviant,
                "via": run.via,
                "intended": list(run.intended),
                "failing": run.failing(),
                "blocked": run.blocked(),
                "seconds": round(run.seconds, 1),
                "shm_left": len(run.shm_left),
            }
        ),
    )
    problems = judge(run)
    assert not problems, (
        f"{run.deviant} ({run.via}) has {len(run.intended)} planted defect(s) breaking "
        f"{', '.join(run.intended)}; the report says otherwise for {len(problems)} clause(s):\n"
        + "\n".join(f"  {p}" for p in problems)
    )


@pytest.mark.parametrize("deviant_run", ["UnlinkDoesNothing"], indirect=True)
def test_a_binding_that_never_unlinks_leaves_no_shared_memory(deviant_run: Run) -> None:
    """The runner removes every tagname of its run through the OS, whatever the
    binding's ``unlink`` did: nothing under the run's prefix stays in /dev/shm."""
    if not SHM.is_dir():
        pytest.skip("no /dev/shm here: shared memory is not visible as files")
    made = [
        cid
        for cid, c in deviant_run.clauses.items()
        if "tagname" in BY_ID[cid].needs and c["status"] not in ("skipped", "unsupported")
    ]
    assert made, "no clause with a tagname was checked: the run made no shared memory to leave"
    assert deviant_run.shm_left == [], (
        f"{len(deviant_run.shm_left)} shared-memory objects of the run stayed in /dev/shm "
        f"(removed by this test): {deviant_run.shm_left[:5]}"
    )


DECLARED = {"Int64Binding": "i64", "DoubleBinding": "f64", "Int64WrapsAt2p31": "i64"}
"""The deviants that declare an integer range, and the range."""


@pytest.mark.parametrize("deviant_run", list(DECLARED), indirect=True)
def test_the_report_says_what_a_declared_range_kept_out(deviant_run: Run) -> None:
    """The range is in the report's capabilities, and each integer clause says which
    integers were not tried; a clause that sends none beyond it says nothing."""
    declared = DECLARED[deviant_run.deviant]
    assert f"int:{declared}" in deviant_run.doc["adapter"]["capabilities"]
    narrowed = {
        cid: c["tested_range"] for cid, c in deviant_run.clauses.items() if c["tested_range"]
    }
    # Every alignment clause but the negative readings, whose negative numbers are
    # inside a signed range and refused by any binding whatever its range.
    aligned = {
        cid
        for cid in deviant_run.clauses
        if cid.startswith("aligned_") and not cid.endswith("negative-raises")
    }
    assert aligned <= set(narrowed), f"not narrowed: {sorted(aligned - set(narrowed))}"
    assert all(f"the binding declares {declared}" in why for why in narrowed.values()), narrowed
    assert "map.form.table" not in narrowed and "flush.forms" not in narrowed
