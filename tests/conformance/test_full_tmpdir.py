"""A full TMPDIR is the suite's own error, never the binding's: the spec's fixtures
cannot write their files, and the clauses they serve get the status error (the run
is incomplete), not fail. A real tmpfs, filled, as pytest's base temporary folder."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def full_tmpfs(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"no tmpfs can be mounted here (root is needed): {mounted.stderr.strip()}")
    try:
        (mnt / "bt").mkdir()
        with open(mnt / "fill", "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_full_tmpdir_is_the_suites_error_not_a_deviation(
    full_tmpfs: Path, tmp_path: Path
) -> None:
    report = tmp_path / "r.json"
    argv = [
        sys.executable,
        "-m",
        "mmapspec.commands.cli",
        "run",
        "--adapter",
        "reference",
        "-n",
        "0",
    ]
    argv += ["--clause", "map.access.*", "--clause", "map.size.*", "--json", str(report)]
    argv += ["--", f"--basetemp={full_tmpfs / 'bt' / 'x'}"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert done.returncode == 2, done.stdout[-3000:] + done.stderr
    doc = json.loads(report.read_text())
    statuses = {c["status"] for c in doc["clauses"]}
    assert "error" in statuses and statuses <= {"pass", "error", "skipped"}, statuses
    assert not any(c["deviation"] for c in doc["clauses"])
    assert "No space left on device" in doc["incomplete"]
