"""Everything a reader needs is in the repository: no pointer to notes kept elsewhere.

A decision (a reading of the document, why the code does something) is written where a
reader finds it: beside its clause in ``spec/catalogue.py`` (``Clause.reading``), in a
README, or in the code's own comment. A pointer to notes outside the repository (a
numbered coordination note, a numbered reading with no clause ID, an issue or task
number of the project's own tracker, a path on the machine that wrote it) leaves a
reader with nothing to follow. This test scans every tracked text file for them.

The patterns are kept narrow so that each hit is a real pointer; the few lines that
match for another reason are listed in ``ALLOWED`` with why.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().relative_to(ROOT).as_posix()
"""This file names the patterns, so it is not scanned itself."""

SKIPPED_PARTS = ("build", ".venv")
BINARY_SUFFIXES = (".png",)

POINTERS: dict[str, re.Pattern[str]] = {
    "a coordination note": re.compile(r"\bCOORD\b|\bcoordination notes?\b", re.IGNORECASE),
    "a numbered reading (name its clause instead)": re.compile(r"\breading #?\d+\b", re.I),
    "an issue number of the project's tracker": re.compile(r"\bissue #?\d+\b", re.I),
    "a task number": re.compile(r"\btask #?\d+\b", re.I),
    "a path on the machine that wrote it": re.compile(r"(?<![\w.])/work/"),
}

ALLOWED = {
    ("tests/adoption/test_expectations_scale.py", "# tracked in our issue 12"): (
        "a binding author's comment in their own expectation file, which the writer must keep"
    ),
}
"""(path, the matching text on the line) -> why it is not a pointer of the project's."""


def _tracked() -> list[str]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked files cannot be listed")
    names = [n for n in out.split("\0") if n]
    return [
        n
        for n in names
        if n != HERE
        and not n.endswith(BINARY_SUFFIXES)
        and not set(Path(n).parts) & set(SKIPPED_PARTS)
        and (ROOT / n).is_file()
    ]


def _hits(name: str, text: str) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for what, pattern in POINTERS.items():
            if pattern.search(line) and not any(
                path == name and allowed in line for path, allowed in ALLOWED
            ):
                found.append(f"{name}:{number}: {what}: {line.strip()[:100]}")
    return found


def test_no_pointers_to_notes_outside_the_repository() -> None:
    hits = []
    for name in _tracked():
        text = (ROOT / name).read_text(encoding="utf-8", errors="replace")
        hits += _hits(name, text)
    assert hits == [], "write the decision here instead of pointing elsewhere:\n" + "\n".join(hits)


def test_the_allowed_lines_still_exist() -> None:
    """An allowance whose line is gone is removed, so the list stays honest."""
    stale = [
        f"{path}: {text}"
        for path, text in ALLOWED
        if not (ROOT / path).is_file() or text not in (ROOT / path).read_text(encoding="utf-8")
    ]
    assert stale == [], f"allowed lines that no longer exist: {stale}"


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ("    # COORD reading 7: aligned left", "a coordination note"),
        ("(reading 9: no debris)", "a numbered reading (name its clause instead)"),
        ("as decided in issue #25", "an issue number of the project's tracker"),
        ("see task 4", "a task number"),
        ("written in /work/briefs/x.md", "a path on the machine that wrote it"),
    ],
)
def test_each_pattern_catches_its_pointer(line: str, what: str) -> None:
    assert f"x.py:1: {what}: {line.strip()}" in _hits("x.py", line)


@pytest.mark.parametrize(
    "line",
    [
        "the reading of ``map.fails.leaves-files-alone``",
        "reading the file back with pread",
        "coordinates of the map",
        "tasks run in parallel",
        "reason = 'fixing in #42'",
        "a path under ./work/ or framework/",
    ],
)
def test_ordinary_words_are_not_pointers(line: str) -> None:
    assert _hits("x.py", line) == []
