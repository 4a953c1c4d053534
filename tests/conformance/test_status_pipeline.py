"""Where is a status decided? In ``results/status_pipeline.py`` alone.

Every other module of the runner may compare a status with a named one, look one up
or read one back from a report, but none may give a status: a named status (``FAIL``,
``Status.FAIL``, ``Status("fail")``) that is assigned, returned, passed on or built
into a value anywhere else is a decision outside the pipeline."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from mmapspec.results.status import Status

RUNNER = Path(__file__).resolve().parents[2] / "conformance"
ROOMS = ("commands", "plugin", "results", "viewer")
DECIDES = {"status.py", "status_pipeline.py"}
"""The table of statuses, and the pipeline that decides them."""
NAMES = {s.name for s in Status}
LOOKUPS = {"get", "suite_errors", "_not_judged"}
"""Calls that take a named status to look up what has it (``counts.get(FAIL, 0)``,
``report.suite_errors(HARNESS_ERROR)``): a read, not a decision."""


def _named_status(node: ast.AST) -> bool:
    """``FAIL``, ``Status.FAIL`` or ``Status("fail")``."""
    if isinstance(node, ast.Name):
        return node.id in NAMES
    if isinstance(node, ast.Attribute):
        return isinstance(node.value, ast.Name) and node.value.id == "Status" and node.attr in NAMES
    if isinstance(node, ast.Call):
        func = node.func
        literal = [a for a in node.args if isinstance(a, ast.Constant)]
        return isinstance(func, ast.Name) and func.id == "Status" and bool(literal)
    return False


def _read_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Whether a named status here is only read: compared with (alone or in a
    collection compared with or gone through), a parameter's default, or a key to
    look up."""
    child, parent = node, parents.get(node)
    while isinstance(parent, (ast.Tuple, ast.List, ast.Set)):
        child, parent = parent, parents.get(parent)
    if isinstance(parent, ast.Compare):
        return True
    if isinstance(parent, (ast.For, ast.comprehension)):
        return child is parent.iter
    if isinstance(parent, ast.Call) and child in parent.args:
        func = parent.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name in LOOKUPS
    if isinstance(parent, ast.arguments):
        return child in parent.defaults or child in parent.kw_defaults
    if isinstance(parent, ast.Subscript):
        return child is parent.slice
    if isinstance(parent, ast.Dict):
        return child in parent.keys
    return isinstance(parent, ast.Attribute)  # FAIL.value, Status.FAIL.facts


def decisions(source: str) -> list[int]:
    """The lines of ``source`` where a named status is given rather than read."""
    tree = ast.parse(source)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    lines = []
    for node in ast.walk(tree):
        if not _named_status(node):
            continue
        if isinstance(node, ast.Name) and isinstance(parents.get(node), ast.Attribute):
            continue  # the ``Status`` of ``Status.FAIL``, checked as the attribute
        if not _read_only(node, parents):
            lines.append(node.lineno)
    return lines


def _runner_modules() -> list[Path]:
    return sorted(
        p for room in ROOMS for p in (RUNNER / room).glob("*.py") if p.name not in DECIDES
    )


def test_the_runner_has_rooms_to_check() -> None:
    names = {p.name for p in _runner_modules()}
    assert {"collector.py", "clause_results.py", "model.py", "run.py"} <= names


@pytest.mark.parametrize("path", _runner_modules(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_status_is_decided_outside_the_pipeline(path: Path) -> None:
    found = decisions(path.read_text(encoding="utf-8"))
    assert not found, f"{path.name} gives a status at line(s) {found}: decide it in status_pipeline"


@pytest.mark.parametrize(
    "planted",
    [
        "status = FAIL",
        "def f(x):\n    return PASS if x else FAIL",
        "def f(t):\n    t.merge(CRASH, None, None)",
        "def f(t):\n    t.status = Status.SKIPPED",
        "def f(t):\n    return t, Status('fail')",
        "def f(t):\n    return dict(status=UNSUPPORTED)",
    ],
)
def test_a_planted_decision_is_found(planted: str) -> None:
    assert decisions(planted)


def test_reading_a_status_is_not_deciding_one() -> None:
    read = (
        "def f(c, counts, doc, s=ERROR):\n"
        "    if c.status == FAIL or c.actual in (BLOCKED, SKIPPED):\n"
        "        return counts[PASS], {CRASH: 'x'}, FAIL.value, Status(doc['status'])\n"
        "    for s, title in ((DIFFERS, 'differ'), (EXPECTED_FAIL, 'expected')):\n"
        "        yield counts.get(UNSUPPORTED, 0), sum(counts[x] for x in (PASS, ERROR))\n"
    )
    assert decisions(read) == []


def test_the_collector_with_a_planted_decision_fails() -> None:
    """The check on the real collector: plant the phase rule back into it."""
    source = (RUNNER / "plugin" / "collector.py").read_text(encoding="utf-8")
    assert decisions(source) == []
    planted = (
        source + "\n\ndef _phase_status(report):\n    return FAIL if report.failed else PASS\n"
    )
    assert decisions(planted)
