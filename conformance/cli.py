"""``mmapspec``: the command line.

``mmapspec run`` runs the specification (``pytest --pyargs mmapspec.spec``) against
one adapter, in parallel with pytest-xdist, and prints the per-clause report.
``mmapspec list`` prints the clauses without running anything.
``mmapspec expectations REPORT.json`` turns a report into an expectations file.
``mmapspec bench`` is the benchmark (``mmapspec.bench``).

Exit codes: 0 conformant (or deviating exactly as the expectations file says);
1 deviations; 2 the run itself failed or did not go to its end (bad input, a
harness that would not start or kept failing, no tests, interrupted, timed out),
with one line on stderr saying why.

The module imports only the standard library until a command needs more, so that
``mmapspec --version`` and a missing-tools message work on a plain install.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections.abc import Sequence
from typing import Any

EXIT_OK, EXIT_DEVIATIONS, EXIT_RUN_FAILED = 0, 1, 2
SUITE_MODULES = ("pytest", "hypothesis", "xdist")
"""What ``mmapspec run`` imports; ``pip install 'mmapspec[suite]'`` brings them."""

_PYTEST_CODES = {
    2: "interrupted (collection error or Ctrl-C)",
    3: "internal error",
    4: "usage error",
    5: "no tests were collected (check --clause)",
}


def _add_run(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser(
        "run",
        help="run the specification against an adapter",
        description="Run the mmap specification against one implementation and report per clause.",
    )
    run.add_argument(
        "--adapter",
        default=None,
        metavar="NAME",
        help="reference, stdlib, pipe, module:attribute, or an installed entry point "
        "(default: reference)",
    )
    run.add_argument(
        "--adapter-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an option for the adapter, repeatable (stdlib: module=NAME; pipe: pipe_cmd=CMD)",
    )
    run.add_argument(
        "--pipe-cmd",
        metavar="CMD",
        help="shorthand for --adapter pipe --adapter-option pipe_cmd=CMD",
    )
    run.add_argument("--expectations", metavar="FILE", help="TOML file of known deviations")
    run.add_argument(
        "--json", metavar="FILE", help="write the JSON report (see report.schema.json)"
    )
    run.add_argument("--junit", metavar="FILE", help="write JUnit XML, one testcase per clause")
    run.add_argument(
        "--markdown", metavar="FILE", help="write a Markdown summary (e.g. $GITHUB_STEP_SUMMARY)"
    )
    run.add_argument(
        "--strict",
        action="store_true",
        help="count clauses that differ from the suite's readings of spots the document "
        "leaves ambiguous or silent as deviations (by default they are listed apart)",
    )
    run.add_argument(
        "--clause",
        action="append",
        default=[],
        metavar="PATTERN",
        help="only clauses whose ID matches (glob, repeatable), e.g. 'map.size.*'",
    )
    run.add_argument(
        "-n",
        dest="numprocesses",
        default="2",
        metavar="N",
        help="parallel worker processes (pytest-xdist; 0 runs in this process; default 2)",
    )
    run.add_argument(
        "--hypothesis-profile",
        metavar="P",
        help="ci (derandomized; the default when CI is set), dev (the default otherwise) "
        "or thorough",
    )
    run.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="bound the whole run: when it runs out, the run stops and is reported incomplete",
    )
    run.add_argument(
        "--color",
        choices=("yes", "no", "auto"),
        help="colour the terminal report (default auto: on a terminal, unless NO_COLOR is set)",
    )
    run.add_argument(
        "-v", "--verbose", action="store_true", help="list every clause, not only deviations"
    )
    _add_spec(run)
    run.add_argument(
        "pytest_args",
        nargs="*",
        metavar="-- PYTEST_ARGS",
        help="anything after -- goes to pytest unchanged",
    )
    run.set_defaults(func=_run)


def _add_spec(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--spec",
        default="mmapspec.spec",
        metavar="PACKAGE",
        help="the spec package, with its catalogue module PACKAGE.catalogue "
        "(default: mmapspec.spec; a fork or an extension of it)",
    )


def pytest_args(ns: argparse.Namespace) -> list[str]:
    """The pytest command line that ``mmapspec run`` stands for."""
    adapter, options = ns.adapter, list(ns.adapter_option)
    if ns.pipe_cmd is not None:
        if adapter not in (None, "pipe"):
            raise SystemExit(_fail(f"--pipe-cmd selects the pipe adapter, not {adapter!r}"))
        adapter = "pipe"
        options.append(f"pipe_cmd={ns.pipe_cmd}")
    # No -q: with it, pytest-xdist says "bringing up nodes..." twice instead of
    # how many workers run how many tests. --no-header keeps pytest's banner short.
    args = ["--pyargs", ns.spec, "--mmap-spec", ns.spec, "-p", "no:cacheprovider"]
    args += ["--no-header", "-rN"]
    # This process imported mmapspec before pytest could mark the plugin's package
    # for assertion rewriting; the plugin has no asserts to rewrite.
    args += ["-W", "ignore:Module already imported so cannot be rewritten; mmapspec"]
    args += ["--mmap-adapter", adapter or "reference"]
    for opt in options:
        if "=" not in opt:
            raise SystemExit(_fail(f"--adapter-option takes KEY=VALUE, got {opt!r}"))
        args += ["--adapter-option", opt]
    for flag, value in (
        ("--mmap-expectations", ns.expectations),
        ("--mmap-json", ns.json),
        ("--mmap-junit", ns.junit),
        ("--mmap-markdown", ns.markdown),
        ("--hypothesis-profile", ns.hypothesis_profile),
        ("--color", ns.color),
    ):
        if value:
            args += [flag, value]
    if ns.timeout is not None:
        args += ["--mmap-timeout", str(ns.timeout)]
    for pattern in ns.clause:
        args += ["--mmap-clause", pattern]
    if ns.strict:
        args.append("--mmap-strict")
    if str(ns.numprocesses) not in ("0", ""):
        args += ["-n", str(ns.numprocesses)]
    else:
        args += ["-p", "no:xdist"]
    # The report lists every deviation with its message; tracebacks on request.
    args += ["-v", "--tb=short"] if ns.verbose else ["--tb=no"]
    return args + list(ns.pytest_args)


def _adapter_options(args: list[str]) -> tuple[tuple[str, str], ...]:
    values = [args[i + 1] for i, a in enumerate(args) if a == "--adapter-option"]
    return tuple((k, v) for k, _, v in (o.partition("=") for o in values))


def _fail(message: str) -> int:
    print(f"mmapspec: error: {message}", file=sys.stderr)
    return EXIT_RUN_FAILED


def _missing_suite() -> str | None:
    """The first of the suite's tools that is not installed, or None."""
    for name in SUITE_MODULES:
        if importlib.util.find_spec(name) is None:
            return name
    return None


def _check_inputs(ns: argparse.Namespace) -> str | None:
    """What is wrong with the command line, found before anything runs, or None."""
    from mmapspec import report_formats

    if ns.timeout is not None and not ns.timeout > 0:
        return f"--timeout must be a number of seconds > 0, got {ns.timeout:g}"
    try:
        found = importlib.util.find_spec(ns.spec)
    except (ImportError, ValueError):
        found = None
    if found is None:
        return f"--spec: no package {ns.spec!r} can be imported"
    from mmapspec.spec._profiles import PROFILES

    # Only the spec's profiles can be named: the plugin registers them before
    # Hypothesis reads the option; a spec's conftest would come too late.
    if ns.hypothesis_profile and ns.hypothesis_profile not in PROFILES:
        return (
            f"--hypothesis-profile: no profile {ns.hypothesis_profile!r}; "
            f"the spec's are {', '.join(PROFILES)}"
        )
    for flag in ("json", "junit", "markdown"):
        path = getattr(ns, flag)
        problem = path and report_formats.check_writable(path)
        if problem:
            return f"--{flag}: {problem}"
    return None


class _Outcome:
    """Sees the report the plugin built, so that an incomplete run is one line here."""

    def __init__(self) -> None:
        self.incomplete: str | None = None

    def pytest_unconfigure(self, config: Any) -> None:
        collector = config.pluginmanager.get_plugin("mmapspec-collector")
        report = getattr(collector, "report", None)
        self.incomplete = getattr(report, "incomplete", None)


def _run(ns: argparse.Namespace) -> int:
    if ns.pytest_args:
        return _fail(
            f"unexpected argument {ns.pytest_args[0]!r}: the adapter is chosen with "
            f"--adapter NAME, and pytest's own arguments go after --"
        )
    ns.pytest_args = getattr(ns, "after_dashes", [])
    missing = _missing_suite()
    if missing:
        return _fail(
            f"the suite's tools are not installed (no module named {missing!r}): "
            "pip install 'mmapspec[suite]'"
        )
    import pytest
    from mmapspec import expectations
    from mmapspec.adapters import AdapterLoadError, AdapterSpec, load

    args = pytest_args(ns)
    problem = _check_inputs(ns)
    if problem:
        return _fail(problem)
    # The plugin checks these again; checking here first keeps the message to one
    # line of ours instead of pytest's usage-error banner.
    if ns.expectations:
        try:
            expectations.load(ns.expectations)
        except expectations.ExpectationsError as exc:
            return _fail(str(exc))
    spec = AdapterSpec(args[args.index("--mmap-adapter") + 1], _adapter_options(args))
    try:
        load(spec).close()
    except AdapterLoadError as exc:
        return _fail(f"adapter: {exc}")
    except Exception as exc:  # a harness that would not start, whatever its reason
        return _fail(f"adapter {spec}: {type(exc).__name__}: {exc}")
    outcome = _Outcome()
    code = int(pytest.main(args, plugins=[outcome]))
    if outcome.incomplete is not None:
        return _fail(f"run incomplete: {outcome.incomplete}")
    if code in (EXIT_OK, EXIT_DEVIATIONS):
        return code
    return _fail(
        f"the run itself failed: pytest exit code {code}, {_PYTEST_CODES.get(code, 'unknown')}"
    )


def _add_expectations(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser(
        "expectations",
        help="write an expectations file from a JSON report",
        description="Write a TOML expectations file listing every clause the report found "
        "failing, unsupported or crashing, so that a binding can adopt the suite before it "
        "conforms. Reasons of an existing file are kept; new entries say what was observed.",
    )
    cmd.add_argument("report", help="a JSON report of `mmapspec run --json`")
    cmd.add_argument("--keep", metavar="FILE", help="an existing expectations file to carry over")
    cmd.add_argument("-o", "--output", metavar="FILE", help="where to write (default: stdout)")
    cmd.set_defaults(func=_expectations)


def _expectations(ns: argparse.Namespace) -> int:
    try:
        from mmapspec import expectations
    except ImportError as exc:  # tomli, on Python 3.10 without the suite
        return _fail(f"{exc}: pip install 'mmapspec[suite]'")

    try:
        with open(ns.report, encoding="utf-8") as f:
            doc = json.load(f)
        keep = (
            expectations.load(ns.keep, platform=None) if ns.keep else expectations.NO_EXPECTATIONS
        )
    except (OSError, ValueError) as exc:
        return _fail(f"cannot read {ns.report!r}: {exc}")
    except expectations.ExpectationsError as exc:
        return _fail(str(exc))
    if not _is_report(doc):
        return _fail(
            f"{ns.report} is not a mmapspec JSON report (one written by `mmapspec run --json`)"
        )
    if doc.get("verdict") == "incomplete":
        # It lists only the deviations seen before the run stopped.
        return _fail(
            f"{ns.report} is the report of an incomplete run ({doc.get('incomplete')}): "
            "an expectations file needs a run that went to its end"
        )
    adapter = doc["adapter"]
    header = (
        f"Known deviations of {adapter.get('name', adapter['spec'])} "
        f"{adapter.get('version', '')} from the mmap documentation, by clause.\n"
        f"Generated by `mmapspec expectations` from a run on {doc['platform']['system']}; "
        "every reason is a person's explanation."
    )
    text = expectations.render(expectations.from_report(doc, keep), header)
    if ns.output:
        with open(ns.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _is_report(doc: object) -> bool:
    """Shaped like a report: what ``mmapspec expectations`` reads of it is there."""
    if not isinstance(doc, dict) or doc.get("format") != "mmapspec-report":
        return False
    adapter, clauses = doc.get("adapter"), doc.get("clauses")
    return (
        isinstance(adapter, dict)
        and "spec" in adapter
        and isinstance(doc.get("platform"), dict)
        and "system" in doc["platform"]
        and isinstance(clauses, list)
        and all(isinstance(c, dict) and {"id", "actual", "message"} <= set(c) for c in clauses)
    )


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
    _add_spec(cmd)
    cmd.set_defaults(func=_list)


def _list(ns: argparse.Namespace) -> int:
    import fnmatch
    import importlib

    try:
        catalogue = importlib.import_module(f"{ns.spec}.catalogue")
    except ImportError as exc:
        return _fail(f"--spec: cannot import {ns.spec}.catalogue: {exc}")
    clauses = [
        c
        for c in catalogue.CLAUSES
        if not ns.clause or any(fnmatch.fnmatchcase(c.id, p) for p in ns.clause)
    ]
    if not clauses:
        return _fail(f"no clause matches {' or '.join(ns.clause)}")
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


def version() -> str:
    """The installed distribution's version (the package's own when not installed)."""
    from importlib import metadata

    try:
        return metadata.version("mmapspec")
    except metadata.PackageNotFoundError:
        from mmapspec import __version__

        return str(__version__)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mmapspec", description="Conformance tools for the mmap API.")
    p.add_argument("--version", action="version", version=f"mmapspec {version()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_run(sub)
    _add_list(sub)
    _add_expectations(sub)
    from mmapspec.bench.cli import register as register_bench

    register_bench(sub)
    from mmapspec import compare, html

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
        return _fail("interrupted")
    except BrokenPipeError:
        # The reader went away (`mmapspec list | head`): nothing left to say. Python
        # would complain once more when flushing stdout at exit; point it elsewhere.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
