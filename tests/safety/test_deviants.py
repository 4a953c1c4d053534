"""Each safety defect a real binding had, planted in the reference
(``tests/deviants/safety.py``),
is caught by its own safety clause and by no other, whether the binding is judged in
process or through the pipe; the reference itself passes every safety clause."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mmapspec.spec.catalogue import CLAUSES

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the same module name in process and in the runs
    sys.path.insert(0, str(ROOT))

from tests.deviants.safety import DEVIANTS  # noqa: E402

pytestmark = pytest.mark.slow

MODULE = "tests.deviants.safety"

SAFETY = tuple(c.id for c in CLAUSES if c.basis == "safety")

THROUGH_THE_PIPE = (
    "WorldReadableShm",
    "FailureLeaksDescriptor",
    "UnmapThenFixedMirror",
    "WaitsOnFifo",
    "InheritableDescriptor",
    "FailureLeavesFileGrown",
    "FailureShrinksFileBack",
    "LeaksPerMap",
)
"""Deviants also judged through the Python harness of the pipe protocol."""


def linux_with_strace() -> None:
    """The clauses read /proc and /dev/shm and trace with strace: skip elsewhere, and
    without strace skip naming it (fail under CI, whose setup installs it)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the safety clauses are observed through /proc and /dev/shm: Linux only")
    if shutil.which("strace") is None:
        if os.environ.get("CI"):
            pytest.fail("strace is not installed, but CI must run this: .ci/install-system")
        pytest.skip("strace is not installed (Debian: apt-get install strace)")


def safety_table(tmp_path: Path, *how: str) -> dict[str, str]:
    """``mmapspec run ... --clause 'safety.*'`` in a fresh interpreter: clause -> status."""
    report = tmp_path / "report.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    # The runner and the harness children it starts import the deviants from the root.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    argv = [sys.executable, "-m", "mmapspec.commands.cli", "run", *how, "--clause", "safety.*"]
    done = subprocess.run(
        [*argv, "-n", "0", "--json", str(report)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,  # a whole safety run; generous for a loaded 2-core machine
        umask=0o022,  # the usual umask: a stricter one would mask a world-readable plant
    )
    assert report.exists(), f"no report:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    clauses = json.loads(report.read_text())["clauses"]
    return {c["id"]: c["status"] for c in clauses if c["id"].startswith("safety.")}


def _pipe(deviant: str) -> tuple[str, ...]:
    harness = [sys.executable, "-m", "mmapspec.adapters.harness", "--adapter", deviant]
    return ("--pipe-cmd", shlex.join(harness))


def test_the_reference_passes_every_safety_clause(tmp_path: Path) -> None:
    linux_with_strace()
    table = safety_table(tmp_path, "--adapter", "reference")
    assert table == dict.fromkeys(SAFETY, "pass")


CASES = [
    pytest.param(name, ("--adapter", f"{MODULE}:{name}"), id=f"{name}-in-process")
    for name in DEVIANTS
] + [pytest.param(name, _pipe(f"{MODULE}:{name}"), id=f"{name}-pipe") for name in THROUGH_THE_PIPE]


@pytest.mark.parametrize(("deviant", "how"), CASES)
def test_each_deviant_is_caught_by_its_own_clause(
    tmp_path: Path, deviant: str, how: tuple[str, ...]
) -> None:
    linux_with_strace()
    table = safety_table(tmp_path, *how)
    assert set(table) == set(SAFETY), f"safety clauses reported: {sorted(table)}"
    expected = {c: "fail" if c == DEVIANTS[deviant] else "pass" for c in SAFETY}
    assert table == expected, f"{deviant} must fail {DEVIANTS[deviant]} alone"
