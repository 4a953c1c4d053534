"""The runner's rooms and the one way their imports run.

``conformance/`` (installed as ``mmapspec``) holds four rooms: ``commands`` (the command
line), ``plugin`` (the pytest plugin), ``results`` (statuses, the report model, its
formats) and ``viewer`` (the HTML page and ``compare``). Imports run one way,
commands -> plugin -> results <- viewer: a lower room never imports a higher one, and no
runner module imports itself back through others. The graph is read from the sources
with :mod:`ast`, every ``import`` counted, the ones inside functions too (an import
deferred for speed is still a dependency).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "conformance"
PACKAGE = "mmapspec"
# Folders of conformance/ that are not runner rooms (the benchmark stands beside them).
BESIDE = ("bench",)

# room -> the rooms it may import (besides itself and the package's own __init__)
MAY_IMPORT: Mapping[str, frozenset[str]] = {
    "commands": frozenset({"plugin", "results", "viewer"}),
    "plugin": frozenset({"results"}),
    "results": frozenset(),
    "viewer": frozenset({"results"}),
}


def runner_modules(root: Path = RUNNER) -> dict[str, Path]:
    """Dotted name -> file of every runner module under ``root``."""
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[0] in BESIDE or "__pycache__" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join((PACKAGE, *parts))] = path
    return found


def _imported(tree: ast.AST, known: Iterable[str]) -> set[str]:
    """The runner modules a module's source imports (``from a import b`` counts as
    ``a.b`` when that is a module, else as ``a``)."""
    names = set(known)
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            candidates = [f"{node.module}.{alias.name}" for alias in node.names]
            candidates = [c if c in names else node.module for c in candidates]
        else:
            continue
        for name in candidates:
            # `import mmapspec.plugin.hooks` names the module, not its packages.
            while name and name not in names:
                name = name.rpartition(".")[0]
            if name:
                out.add(name)
    return out


def import_graph(root: Path = RUNNER) -> dict[str, set[str]]:
    modules = runner_modules(root)
    return {
        name: _imported(ast.parse(path.read_text(encoding="utf-8")), modules) - {name}
        for name, path in modules.items()
    }


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layers(graph: Mapping[str, set[str]]) -> int:
    """The longest import chain, in modules (a circle counts as one module)."""
    where = {m: i for i, component in enumerate(cycles(graph)) for m in component}
    depth: dict[str, int] = {}

    def walk(node: str, seen: frozenset[str]) -> int:
        if node not in depth:
            below = [
                walk(n, seen | {node})
                for n in graph[node]
                if n not in seen and not (node in where and where.get(n) == where[node])
            ]
            depth[node] = 1 + max(below, default=0)
        return depth[node]

    return max((walk(node, frozenset()) for node in graph), default=0)


def room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in MAY_IMPORT) else None


def upward(graph: Mapping[str, set[str]]) -> list[str]:
    """Each import from a room to one it may not import, as ``a -> b``."""
    bad = []
    for module, imported in sorted(graph.items()):
        here = room(module)
        for other in sorted(imported):
            there = room(other)
            if here is None or there is None or there == here:
                continue
            if there not in MAY_IMPORT[here]:
                bad.append(f"{module} -> {other}")
    return bad


def test_every_runner_module_is_in_a_room() -> None:
    modules = runner_modules()
    assert len(modules) > 20
    homeless = [m for m in modules if m != PACKAGE and room(m) not in MAY_IMPORT]
    assert homeless == []


def test_no_import_runs_up_a_room() -> None:
    assert upward(import_graph()) == []


def test_no_circle_among_runner_modules() -> None:
    assert cycles(import_graph()) == []


def test_the_package_itself_imports_no_room() -> None:
    """``mmapspec/__init__.py`` is imported with the pytest entry point of every run."""
    assert import_graph()[PACKAGE] == set()


def test_the_checks_see_a_planted_upward_import_and_circle(tmp_path: Path) -> None:
    """The graph and both checks catch what they are for, on a copy with one bad line."""
    for rel in ("__init__.py", "results/__init__.py", "plugin/__init__.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    (tmp_path / "plugin/hooks.py").write_text("from mmapspec.results import status\n")
    (tmp_path / "results/status.py").write_text(
        "def f():\n    from mmapspec.plugin.hooks import x\n"
    )
    graph = import_graph(tmp_path)
    assert upward(graph) == ["mmapspec.results.status -> mmapspec.plugin.hooks"]
    assert cycles(graph) == [["mmapspec.plugin.hooks", "mmapspec.results.status"]]
    assert layers(graph) == 1
    assert layers(import_graph()) >= 3
