"""How the spec's tests compare call outcomes: by how the call ended, not by its text.

The stateful model counts a map as flushed only when ``flush`` returned true; it asks
that by comparing with ``Outcome("value", value=True)``. When the call's text took part
in the comparison, that was never equal, and the model never freed a written map.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mmapspec.spec.support import Outcome, outcome_of


def _flush(handle: int) -> bool:
    return handle > 0


def test_an_outcome_equals_the_same_ending_whatever_the_call() -> None:
    got = outcome_of(_flush, 1)
    assert got.call == "_flush(1)"
    assert got == Outcome("value", value=True)


def test_outcomes_that_ended_differently_differ() -> None:
    assert outcome_of(_flush, 0) != Outcome("value", value=True)
    assert Outcome("fails", errcode="EINVAL") != Outcome("fails", errcode="ENOENT")


GROWN_FILE = """
from mmapspec.spec.support import pattern, same

def test_grown_file():
    head = pattern(4096, seed=962)
    records = [b"%015d\\n" % n for n in range(6448)]
    expected = head + b"".join(records)
    got = head + b"".join(records[:16])
    got += bytes(262144 - len(got)) + b"".join(records[16:])
    same(got, expected, "the file changed")
"""


def test_same_explains_a_grown_file_at_once_under_verbose_ci(tmp_path: Path) -> None:
    """pytest's own explanation of ``assert got == expected`` diffs the two with difflib
    when verbose or when ``CI`` is set: on this shape (what a binding that grows a file
    on failure leaves: a page of pattern, a short tail, a quarter megabyte of zeros) it
    ran for more than twenty minutes in a spec run. ``same`` says where they part."""
    (tmp_path / "test_grown.py").write_text(GROWN_FILE)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,  # a guard against the quadratic diff, not a speed check
        cwd=tmp_path,
        env={**os.environ, "CI": "true"},
    )
    assert done.returncode == 1, done.stdout[-2000:]
    got, expected, first = 262144 + 6432 * 16, 4096 + 6448 * 16, 4096 + 16 * 16
    said = f"the file changed: got {got} bytes, expected {expected}"
    assert said in done.stdout, done.stdout[-2000:]
    assert f"the first at index {first}" in done.stdout, done.stdout[-2000:]
