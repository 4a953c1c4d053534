"""``mmapspec``: the command line.

``mmapspec run`` runs the specification against one adapter and prints the per-clause
report (:mod:`mmapspec.commands.run`).
``mmapspec list`` prints the clauses without running anything.
``mmapspec expectations REPORT.json`` turns a report into an expectations file.
``mmapspec html`` and ``mmapspec compare`` show reports side by side and what changed
between two; ``mmapspec bench`` is the benchmark (``mmapspec.bench``).

Exit codes: 0, 1 or 2, as :mod:`mmapspec.results.exit_status` says; a command that failed
says why in one line on stderr.

The module imports only the standard library until a command needs more, so that
``mmapspec --version`` and a missing-tools message work on a plain install.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import NoReturn

import mmapspec
from mmapspec.commands import expectations as expectations_command
from mmapspec.commands import run as run_command
from mmapspec.results.exit_status import EXIT_OK, EXIT_RUN_FAILED, HELP_TABLE, run_failed


def _add_list(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser(
        "list",
        help="print the catalogue's clauses without running anything",
        description="Print each clause of the catalogue: ID, section, basis and the quoted "
        "sentence of the documentation.",
    )
    cmd.add_argument(
        "--clause",
        action="append",
        default=[],
        metavar="PATTERN",
        help="only clauses whose ID matches (glob, repeatable)",
    )
    cmd.add_argument("--json", action="store_true", help="a JSON array instead of text")
    run_command.add_spec_option(cmd)
    cmd.set_defaults(func=_list)


def _list(ns: argparse.Namespace) -> int:
    import fnmatch
    import importlib

    try:
        catalogue = importlib.import_module(f"{ns.spec}.catalogue")
    except ImportError as exc:
        return run_failed(f"--spec: cannot import {ns.spec}.catalogue: {exc}")
    clauses = [
        c
        for c in catalogue.CLAUSES
        if not ns.clause or any(fnmatch.fnmatchcase(c.id, p) for p in ns.clause)
    ]
    if not clauses:
        return run_failed(f"no clause matches {' or '.join(ns.clause)}")
    rows = [
        {
            "id": c.id,
            "section": c.section,
            "basis": getattr(c, "basis", "document"),
            "quote": c.quote,
        }
        for c in clauses
    ]
    if ns.json:
        sys.stdout.write(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
        return EXIT_OK
    width = max(len(r["id"]) for r in rows)
    for r in rows:
        quote = " ".join(r["quote"].split())
        sys.stdout.write(f"{r['id']:<{width}}  {r['section']}  [{r['basis']}]  {quote}\n")
    return EXIT_OK


def _add_adapters(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser(
        "adapters",
        help="list the adapters --adapter can name",
        description="List the built-in adapters and those installed under the "
        "`mmapspec.adapters` entry-point group, each with what it points at.",
    )
    cmd.set_defaults(func=_adapters)


def _adapters(ns: argparse.Namespace) -> int:
    from importlib.metadata import entry_points

    from mmapspec.adapters import BUILTIN, ENTRY_POINT_GROUP

    rows = [(name, target, "built-in") for name, target in BUILTIN.items()]
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        dist = ep.dist.name if ep.dist else "?"
        rows.append((ep.name, ep.value, f"installed by {dist}"))
    width = max(len(name) for name, _, _ in rows)
    for name, target, origin in rows:
        print(f"{name:<{width}}  {target}  ({origin})")
    print(f"(also: any module:attribute; entry points register under {ENTRY_POINT_GROUP!r})")
    return EXIT_OK


class _OneLineParser(argparse.ArgumentParser):
    """A bad command line is one line on stderr and exit 2, as every other bad input."""

    def error(self, message: str) -> NoReturn:
        run_failed(f"{message} (see {self.prog} --help)")
        sys.exit(EXIT_RUN_FAILED)


def parser() -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = _OneLineParser(
        prog="mmapspec",
        description="Conformance tools for the mmap API.",
        epilog=HELP_TABLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"mmapspec {mmapspec.version()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run_command.register(sub)
    _add_list(sub)
    _add_adapters(sub)
    expectations_command.register(sub)
    from mmapspec.bench.cli import register as register_bench

    register_bench(sub)
    from mmapspec.commands import compare, html

    html.register(sub)
    compare.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # Everything after the first "--" goes to pytest as it is; a word before it
    # that no option takes is a mistake (say, an adapter name without --adapter).
    after: list[str] = []
    if "--" in args and "run" in args[: args.index("--")]:
        at = args.index("--")
        args, after = args[:at], args[at + 1 :]
    ns = parser().parse_args(args)
    ns.after_dashes = after
    try:
        result: int = ns.func(ns)
    except KeyboardInterrupt:
        return run_failed("interrupted")
    except BrokenPipeError:
        # The reader went away (`mmapspec list | head`): nothing left to say. Python
        # would complain once more when flushing stdout at exit; point it elsewhere.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
