"""The third run mode: a suite that reaches spec-style tests without asking for a
verdict keeps pytest's own exit status, whatever the code (see ``exit_status``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TESTS = """
import pytest

@pytest.mark.clause("pagesize.returns-page-size")
def test_tagged():
    pass

def test_stops_the_run():
    pytest.exit("stopped on purpose", returncode=42)
"""


def test_a_code_pytest_has_no_name_for_is_kept(tmp_path: Path) -> None:
    (tmp_path / "test_own.py").write_text(TESTS)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 42, done.stdout[-1500:] + done.stderr[-1500:]
    assert "Traceback" not in done.stdout + done.stderr
