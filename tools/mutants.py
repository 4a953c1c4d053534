"""A small AST mutator of the reference, and the verdicts each mutant gets from the spec.

Each mutant is the reference with exactly one small change of the kind a binding
author makes by mistake: a comparison flipped at its boundary (``<`` and ``<=``,
``==`` and ``!=``, ``is`` and ``is not``, ``in`` and ``not in``), an integer
constant off by one, ``and`` and ``or`` swapped, ``+`` and ``-`` swapped, a ``not``
dropped, or a call made for its effect dropped. The mutation points of the Linux
reference are enumerated, a sample is drawn with a fixed seed, and the whole spec
is run against each mutant (``mmapspec run --adapter reference -n 1`` with ``CI=1``,
the derandomized profile) from a copy of the package, so the worktree is never
changed.

A mutant is *killed* when some clause fails, crashes or differs from its reading. A
kill is *multi-clause* when more than one clause does: each of those is either a
missing prerequisite (a test observes through another clause's promise without
declaring it) or a real multi-clause defect (one change that breaks two promises).
``MUTANTS.md`` beside the verdict tests lists them with the verdict given by hand.

    python tools/mutants.py run --seed 1 --count 60 --budget 900 --out mutants.jsonl
    python tools/mutants.py table mutants.jsonl   # the table, as Markdown
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = {
    "": "conformance",
    "reference": "reference",
    "adapters": "adapters",
    "spec": "spec",
    "examples": "examples",
}
"""Where each part of the installed ``mmapspec`` package lives in the repository."""
TARGETS = (
    "reference/_align.py",
    "reference/_args.py",
    "reference/_buffer.py",
    "reference/_errors.py",
    "reference/_files.py",
    "reference/_filesize.py",
    "reference/_grow.py",
    "reference/_map.py",
    "reference/_map_object.py",
    "reference/_mapped_memory.py",
    "reference/_mirror.py",
    "reference/_unlink.py",
    "reference/_platform/_linux.py",
    "reference/_platform/_posix.py",
)
"""The reference's modules that run on Linux (Windows' and macOS' are not sampled)."""
FAILING = ("fail", "crash", "differs-from-reading")
SWAPS: dict[type[ast.AST], type[ast.AST]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.And: ast.Or,
    ast.Or: ast.And,
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
}


def _points(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(index of the node in ast.walk order, what the mutation does) for each point."""
    for i, node in enumerate(ast.walk(tree)):
        if isinstance(node, ast.Compare) and type(node.ops[0]) in SWAPS:
            yield i, f"{type(node.ops[0]).__name__} -> {SWAPS[type(node.ops[0])].__name__}"
        elif isinstance(node, (ast.BoolOp, ast.BinOp)) and type(node.op) in SWAPS:
            yield i, f"{type(node.op).__name__} -> {SWAPS[type(node.op)].__name__}"
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield i, "not dropped"
        elif (
            isinstance(node, ast.Constant)
            and type(node.value) is int
            and getattr(node, "lineno", 0) > 0
        ):
            yield i, f"{node.value} -> {node.value + 1}"
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            yield i, "call dropped"


def _mutate(source: str, index: int) -> tuple[str, int, str]:
    """The module with the mutation at node ``index``: (new source, line, old text)."""
    tree = ast.parse(source)
    parents = {c: p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
    node = list(ast.walk(tree))[index]
    line = getattr(node, "lineno", 0)
    old = ast.get_source_segment(source, node) or ""
    if isinstance(node, ast.Compare):
        node.ops[0] = SWAPS[type(node.ops[0])]()
    elif isinstance(node, (ast.BoolOp, ast.BinOp)):
        node.op = SWAPS[type(node.op)]()
    elif isinstance(node, ast.UnaryOp):
        _replace(parents[node], node, node.operand)
    elif isinstance(node, ast.Constant):
        node.value += 1
    elif isinstance(node, ast.Expr):
        _replace(parents[node], node, ast.Pass())
    return ast.unparse(ast.fix_missing_locations(tree)), line, old.splitlines()[0][:80]


def _replace(parent: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for field, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, field, new)
        elif isinstance(value, list) and old in value:
            value[value.index(old)] = new


def all_points() -> list[tuple[str, int, str]]:
    """Every mutation point of the targets: (file, node index, mutation)."""
    found = []
    for rel in TARGETS:
        tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"))
        found += [(rel, i, what) for i, what in _points(tree)]
    return found


def _copy_package(into: Path) -> Path:
    """The installed package's layout, copied from the worktree under ``into``."""
    top = into / "mmapspec"
    shutil.copytree(ROOT / "conformance", top)
    for sub, folder in PACKAGE.items():
        if sub:
            shutil.copytree(ROOT / folder, top / sub)
    return top


def _run_spec(pythonpath: Path, work: Path, timeout: float) -> dict[str, object]:
    report = work / "report.json"
    report.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(CI="1", PYTHONPATH=str(pythonpath))
    argv = [sys.executable, "-m", "mmapspec.commands.cli", "run", "--adapter", "reference"]
    argv += ["--json", str(report), "-n", "1", "--timeout", str(int(timeout))]
    start = time.monotonic()
    try:
        proc = subprocess.run(
            argv, cwd=work, env=env, capture_output=True, text=True, timeout=timeout + 60
        )
        code = proc.returncode
    except subprocess.TimeoutExpired:
        code = -1
    seconds = round(time.monotonic() - start, 1)
    if not report.exists():
        return {"exit": code, "seconds": seconds, "failing": [], "blocked": [], "error": []}
    doc = json.loads(report.read_text(encoding="utf-8"))
    by = {s: [c["id"] for c in doc["clauses"] if c["status"] == s] for s in FAILING}
    return {
        "exit": code,
        "seconds": seconds,
        "verdict": doc.get("verdict"),
        "failing": [cid for s in FAILING for cid in by[s]],
        "blocked": [c["id"] for c in doc["clauses"] if c["status"] == "blocked"],
        "error": [c["id"] for c in doc["clauses"] if c["status"] == "error"],
    }


def run(seed: int, count: int, budget: float, out: Path) -> None:
    points = all_points()
    sample = random.Random(seed).sample(points, min(count, len(points)))
    print(f"{len(points)} mutation points in {len(TARGETS)} modules; {len(sample)} sampled")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mmapspec-mutants-") as tmp:
        top = _copy_package(Path(tmp) / "pkg")
        work = Path(tmp) / "work"
        work.mkdir()
        base = _run_spec(top.parent, work, 300)
        print(f"unmutated: {len(base['failing'])} failing clauses, {base['seconds']} s")
        for n, (rel, index, what) in enumerate(sample, 1):
            if time.monotonic() - started > budget:
                print(f"budget of {budget} s spent after {n - 1} mutants")
                break
            target = top / rel.replace("reference/", "reference/", 1)
            original = (ROOT / rel).read_text(encoding="utf-8")
            mutated, line, old = _mutate(original, index)
            target.write_text(mutated, encoding="utf-8")
            try:
                result = _run_spec(top.parent, work, 180)
            finally:
                target.write_text(original, encoding="utf-8")
            row = {"file": rel, "line": line, "node": index, "mutation": what, "was": old}
            row.update(result)
            with out.open("a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")
            print(f"{n:3} {rel}:{line} {what}: {len(row['failing'])} failing, {row['seconds']} s")


def table(path: Path) -> None:
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    killed = [r for r in rows if r["failing"] or r["exit"] not in (0, 1)]
    multi = [r for r in rows if len(r["failing"]) > 1]
    print(f"{len(rows)} mutants run, {len(killed)} killed, {len(multi)} multi-clause kills\n")
    print("| mutant | change | failing clauses |")
    print("|---|---|---|")
    for r in multi:
        where = f"{r['file']}:{r['line']} `{r['was']}`"
        print(f"| {where} | {r['mutation']} | {', '.join(r['failing'])} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--count", type=int, default=60)
    r.add_argument("--budget", type=float, default=900.0, help="seconds, then stop")
    r.add_argument("--out", type=Path, required=True, help="JSON lines, appended")
    t = sub.add_parser("table")
    t.add_argument("path", type=Path)
    args = parser.parse_args()
    if args.command == "run":
        run(args.seed, args.count, args.budget, args.out)
    else:
        table(args.path)


if __name__ == "__main__":
    main()
