"""The runner reaches a spec package through its catalogue and its contract only
(``PACKAGE.catalogue``, ``PACKAGE.contract``), so that ``--spec`` can name any spec
package; and mmapspec's own spec gives every name of the contract."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from mmapspec.plugin.spec_contract import SpecContract, load_contract

RUNNER = Path(__file__).resolve().parents[2] / "conformance"
ROOMS = ("commands", "plugin", "results", "viewer")
ALLOWED = {"mmapspec.spec", "mmapspec.spec.catalogue", "mmapspec.spec.contract"}


def spec_imports(source: str) -> list[str]:
    """The modules of ``mmapspec.spec`` that ``source`` imports, beyond the allowed."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "mmapspec.spec":
            found += [f"mmapspec.spec.{a.name}" for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [node.module] if node.module.startswith("mmapspec.spec.") else []
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("mmapspec.spec.")]
    return [n for n in found if n not in ALLOWED]


@pytest.mark.parametrize(
    "path",
    sorted(p for room in ROOMS for p in (RUNNER / room).glob("*.py")),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_the_runner_uses_no_private_module_of_the_spec(path: Path) -> None:
    assert spec_imports(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "planted",
    [
        "from mmapspec.spec._profiles import PROFILES",
        "from mmapspec.spec.support import RUN_PREFIX_VARIABLE",
        "import mmapspec.spec.attribution",
        "from mmapspec.spec import attribution",
    ],
)
def test_a_planted_private_import_is_found(planted: str) -> None:
    assert spec_imports(planted)


def test_the_spec_gives_every_name_of_the_contract() -> None:
    contract = load_contract("mmapspec.spec")
    wanted = [n for n in dir(SpecContract) if not n.startswith("_")]
    wanted += list(SpecContract.__annotations__)
    assert wanted and all(hasattr(contract, n) for n in wanted)


def test_a_spec_package_without_a_contract_runs_under_mmapspecs() -> None:
    assert load_contract("mmapspec.reference") is load_contract("mmapspec.spec")
