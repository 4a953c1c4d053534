"""``mmapspec``: the command line.

``mmapspec run`` runs the specification (``pytest --pyargs mmapspec.spec``) against
one adapter, in parallel with pytest-xdist, and prints the per-clause report.
``mmapspec expectations REPORT.json`` turns a report into an expectations file.
``mmapspec bench`` is the benchmark (``mmapspec.bench``).

Exit codes: 0 conformant (or deviating exactly as the expectations file says);
1 deviations; 2 the run itself failed (bad adapter name, import error, bad
expectations file, a harness that would not start, no tests), with one line on
stderr saying why.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

EXIT_OK, EXIT_DEVIATIONS, EXIT_RUN_FAILED = 0, 1, 2

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
        "--hypothesis-profile", metavar="P", help="ci (default of the spec), dev or thorough"
    )
    run.add_argument(
        "-v", "--verbose", action="store_true", help="list every clause, not only deviations"
    )
    run.add_argument(
        "--spec",
        default="mmapspec.spec",
        metavar="PACKAGE",
        help="the spec package to run (default: mmapspec.spec; a fork or a subset of it)",
    )
    run.add_argument(
        "pytest_args",
        nargs="*",
        metavar="-- PYTEST_ARGS",
        help="anything after -- goes to pytest unchanged",
    )
    run.set_defaults(func=_run)


def pytest_args(ns: argparse.Namespace) -> list[str]:
    """The pytest command line that ``mmapspec run`` stands for."""
    adapter, options = ns.adapter, list(ns.adapter_option)
    if ns.pipe_cmd is not None:
        if adapter not in (None, "pipe"):
            raise SystemExit(_fail(f"--pipe-cmd selects the pipe adapter, not {adapter!r}"))
        adapter = "pipe"
        options.append(f"pipe_cmd={ns.pipe_cmd}")
    args = ["--pyargs", ns.spec, "-p", "no:cacheprovider", "-q", "-rN"]
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
    ):
        if value:
            args += [flag, value]
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


def _run(ns: argparse.Namespace) -> int:
    import pytest
    from mmapspec import expectations
    from mmapspec.adapters import AdapterLoadError, AdapterSpec, load

    args = pytest_args(ns)
    # The plugin checks both again; checking here first keeps the message to one
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
    code = int(pytest.main(args))
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
    import json

    from mmapspec import expectations

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


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mmapspec", description="Conformance tools for the mmap API.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_run(sub)
    _add_expectations(sub)
    from mmapspec.bench.cli import register as register_bench

    register_bench(sub)
    from mmapspec import compare, html

    html.register(sub)
    compare.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    ns = parser().parse_args(argv)
    try:
        result: int = ns.func(ns)
    except KeyboardInterrupt:
        return _fail("interrupted")
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
