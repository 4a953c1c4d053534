"""The project's size limits, so that a module keeps one concern and a function one step.

No module over 400 lines in the project's own Python and Lua, and no Python function
over 60. Data tables are exempt by name below, each with why: a table grows by rows, and
splitting it would scatter what a reader compares side by side.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("adapters", "conformance", "examples", "reference", "spec", "tests")
MODULE_LIMIT = 400
FUNCTION_LIMIT = 60

# path relative to ROOT -> why it may be longer
DATA_TABLES = {
    "spec/catalogue.py": "the catalogue: one entry per clause, quoting the document",
    "conformance/bench/cases.py": "the bench's declarative cases: one block of rows per case",
}


def _sources() -> list[Path]:
    found = [ROOT / "noxfile.py"]
    for folder in FOLDERS:
        found += sorted((ROOT / folder).rglob("*.py")) + sorted((ROOT / folder).rglob("*.lua"))
    return [p for p in found if "__pycache__" not in p.parts]


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _line_count(path: Path) -> int:
    return path.read_text(encoding="utf-8").count("\n")


def _long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    long = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > FUNCTION_LIMIT:
                long.append(f"{_name(path)}:{node.lineno} {node.name}() is {length} lines")
    return long


def test_the_exempt_tables_exist() -> None:
    missing = [name for name in DATA_TABLES if not (ROOT / name).is_file()]
    assert not missing, f"exempt data tables that no longer exist: {missing}"


def test_no_module_over_the_limit() -> None:
    over = [
        f"{_name(p)} is {n} lines"
        for p in _sources()
        if _name(p) not in DATA_TABLES and (n := _line_count(p)) > MODULE_LIMIT
    ]
    assert not over, f"modules over {MODULE_LIMIT} lines: " + "; ".join(over)


def test_no_python_function_over_the_limit() -> None:
    over = [
        line
        for p in _sources()
        if p.suffix == ".py" and _name(p) not in DATA_TABLES
        for line in _long_functions(p)
    ]
    assert not over, f"functions over {FUNCTION_LIMIT} lines: " + "; ".join(over)
