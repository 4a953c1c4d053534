"""``mmapspec run``: the specification (``pytest --pyargs mmapspec.spec``) against one
adapter, in parallel with pytest-xdist, with the per-clause report.

Its options make the run's :class:`~mmapspec.plugin.run_config.RunConfig` (checked
there, as the plugin's options are), which is handed to pytest with the adapter
the command started to check it, and the report comes back the same way. The
pytest command line carries the same configuration to xdist's workers. Its exit
status is decided in :mod:`mmapspec.results.status_pipeline`.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.util
import os
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from mmapspec.results.exit_status import HELP_TABLE, run_failed
from mmapspec.results.safe_text import for_terminal
from mmapspec.results.status_pipeline import command_exit_status

if TYPE_CHECKING:
    from mmapspec.plugin.run_config import RunConfig, RunHandle

MAX_WORKERS_PER_CPU = 4
"""Workers per CPU -n may ask for: more only thrash (each is a Python with the spec)."""

SUITE_MODULES = ("pytest", "hypothesis", "xdist")
"""What ``mmapspec run`` imports; ``pip install 'mmapspec[suite]'`` brings them."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser(
        "run",
        help="run the specification against an adapter",
        description="Run the mmap specification against one implementation and report per clause.",
        epilog=HELP_TABLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_adapter_options(run)
    _add_report_options(run)
    _add_run_options(run)
    add_spec_option(run)
    run.add_argument(
        "pytest_args",
        nargs="*",
        metavar="-- PYTEST_ARGS",
        help="anything after -- goes to pytest unchanged",
    )
    run.set_defaults(func=run_spec)


def _add_adapter_options(run: argparse.ArgumentParser) -> None:
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


def _add_report_options(run: argparse.ArgumentParser) -> None:
    run.add_argument("--expectations", metavar="FILE", help="TOML file of known deviations")
    run.add_argument(
        "--json",
        metavar="FILE",
        help="write the JSON report (see report.schema.json); '-' writes it to stdout, and "
        "the terminal report to stderr (so for --junit and --markdown)",
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


def _add_run_options(run: argparse.ArgumentParser) -> None:
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
    talk = run.add_mutually_exclusive_group()
    talk.add_argument(
        "-v", "--verbose", action="store_true", help="list every clause, not only deviations"
    )
    talk.add_argument(
        "-q", "--quiet", action="store_true", help="print only the verdict line (and errors)"
    )


def add_spec_option(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--spec",
        default="mmapspec.spec",
        metavar="PACKAGE",
        help="the spec package, with its catalogue module PACKAGE.catalogue "
        "(default: mmapspec.spec; a fork or an extension of it)",
    )


def _adapter_choice(ns: argparse.Namespace) -> tuple[str | None, list[str]]:
    """The adapter and its options, ``--pipe-cmd`` spelled out."""
    adapter, options = ns.adapter, list(ns.adapter_option)
    if ns.pipe_cmd is not None:
        if adapter not in (None, "pipe"):
            raise SystemExit(run_failed(f"--pipe-cmd selects the pipe adapter, not {adapter!r}"))
        adapter = "pipe"
        options.append(f"pipe_cmd={ns.pipe_cmd}")
    return adapter, options


def run_config(ns: argparse.Namespace) -> RunConfig:
    """The run's configuration, checked (a :class:`RunConfigError` says what is wrong)."""
    from mmapspec.plugin.run_config import RunConfig

    adapter, options = _adapter_choice(ns)
    return RunConfig.parse(
        adapter=adapter,
        adapter_options=options,
        spec=ns.spec,
        expectations=ns.expectations,
        reports={"json": ns.json, "junit": ns.junit, "markdown": ns.markdown},
        strict=ns.strict,
        clauses=ns.clause,
        timeout=ns.timeout,
    )


def pytest_args(ns: argparse.Namespace, config: RunConfig | None = None) -> list[str]:
    """The pytest command line that ``mmapspec run`` stands for."""
    config = config or run_config(ns)
    # No -q: with it, pytest-xdist says "bringing up nodes..." twice instead of
    # how many workers run how many tests. --no-header keeps pytest's banner short.
    args = ["--pyargs", config.spec, "-p", "no:cacheprovider", "--no-header", "-rN"]
    # This process imported mmapspec before pytest could mark the plugin's package
    # for assertion rewriting; the plugin has no asserts to rewrite.
    args += ["-W", "ignore:Module already imported so cannot be rewritten; mmapspec"]
    args += config.pytest_args()
    for flag, value in (("--hypothesis-profile", ns.hypothesis_profile), ("--color", ns.color)):
        if value:
            args += [flag, value]
    if str(ns.numprocesses) not in ("0", ""):
        args += ["-n", str(ns.numprocesses)]
    else:
        args += ["-p", "no:xdist"]
    # The report lists every deviation with its message; tracebacks on request.
    args += ["-v", "--tb=short"] if ns.verbose else ["--tb=no"]
    if ns.quiet:  # no pytest terminal at all: the command prints the verdict line
        terminal = {"--no-header", "-rN", "--tb=no"}
        args = [a for a in args if a not in terminal] + ["-p", "no:terminal", "-p", "no:warnings"]
    return args + list(ns.pytest_args)


def _missing_suite() -> str | None:
    """The first of the suite's tools that is not installed, or None."""
    for name in SUITE_MODULES:
        if importlib.util.find_spec(name) is None:
            return name
    return None


def _check_inputs(ns: argparse.Namespace) -> str | None:
    """What is wrong with the command line, found before anything runs, or None."""
    workers = str(ns.numprocesses)
    cpus = os.cpu_count() or 1
    if workers != "auto" and not (workers.isdigit() and int(workers) <= MAX_WORKERS_PER_CPU * cpus):
        return (
            f"-n must be 0 (in this process), 'auto' or a number of workers up to "
            f"{MAX_WORKERS_PER_CPU * cpus} ({MAX_WORKERS_PER_CPU} per CPU, {cpus} CPUs), "
            f"got {for_terminal(workers, 40)!r}"
        )
    try:
        found = importlib.util.find_spec(ns.spec)
    except (ImportError, ValueError):
        found = None
    if found is None:
        return f"--spec: no package {ns.spec!r} can be imported"
    from mmapspec.plugin.spec_contract import load_contract

    profiles = load_contract(ns.spec).PROFILES
    # Only the spec's profiles can be named: the plugin registers them before
    # Hypothesis reads the option; a spec's conftest would come too late.
    if ns.hypothesis_profile and ns.hypothesis_profile not in profiles:
        return (
            f"--hypothesis-profile: no profile {ns.hypothesis_profile!r}; "
            f"the spec's are {', '.join(profiles)}"
        )
    return None


class _RunWatcher:
    """Puts a count of the tests in place of pytest's "N failed, M passed" line,
    which a run whose verdict is green (the deviations expected) would contradict."""

    def __init__(self, handle: RunHandle, quiet: bool = False) -> None:
        self.handle = handle
        self.started = time.monotonic()
        self.quiet = quiet

    def pytest_sessionstart(self, session: Any) -> None:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return

        def summary_stats() -> None:
            if reporter.verbosity < -1:
                return
            kinds = ("passed", "failed", "skipped", "error", "xfailed", "xpassed")
            ran = sum(len(reporter.stats.get(k, ())) for k in kinds)
            seconds = time.monotonic() - self.started
            reporter.write_sep("=", f"{ran} spec tests in {seconds:.2f}s; the verdict is above")

        reporter.summary_stats = summary_stats

    def pytest_unconfigure(self, config: Any) -> None:
        report = self.handle.report
        if self.quiet and report is not None:
            from mmapspec.results.report_formats import summary_line

            print(summary_line(report), flush=True)


@contextlib.contextmanager
def _reports_to_stdout(config: RunConfig) -> Iterator[RunConfig]:
    """A report named ``-`` goes to stdout, and everything else the run prints to
    stderr, so that ``mmapspec run --json - | jq`` reads the report alone."""
    at = [name for name, path in config.reports if path == "-"]
    if not at:
        yield config
        return
    out = os.dup(1)
    reports = tuple((n, f"/dev/fd/{out}" if n == at[0] else p) for n, p in config.reports)
    os.set_inheritable(out, False)
    sys.stdout.flush()
    os.dup2(2, 1)
    try:
        yield dataclasses.replace(config, reports=reports)
    finally:
        sys.stdout.flush()
        os.dup2(out, 1)
        os.close(out)


def run_spec(ns: argparse.Namespace) -> int:
    if ns.pytest_args:
        return run_failed(
            f"unexpected argument {ns.pytest_args[0]!r}: the adapter is chosen with "
            f"--adapter NAME, and pytest's own arguments go after --"
        )
    ns.pytest_args = getattr(ns, "after_dashes", [])
    missing = _missing_suite()
    if missing:
        return run_failed(
            f"the suite's tools are not installed (no module named {missing!r}): "
            "pip install 'mmapspec[suite]'"
        )
    import pytest
    from mmapspec.adapters import AdapterLoadError, load
    from mmapspec.plugin.run_config import RunConfigError, RunHandle
    from mmapspec.results import expectations

    try:
        config = run_config(ns)
    except RunConfigError as exc:
        return run_failed(str(exc))
    if [ns.json, ns.junit, ns.markdown].count("-") > 1:
        return run_failed("only one of --json, --junit and --markdown can be '-' (stdout)")
    problem = _check_inputs(ns)
    if problem:
        return run_failed(problem)
    # The plugin checks these again; checking here first keeps the message to one
    # line of ours instead of pytest's usage-error banner.
    if ns.expectations:
        try:
            expectations.load(ns.expectations)
        except expectations.ExpectationsError as exc:
            return run_failed(str(exc))
    # Started once here: a harness that will not start is one line of ours, and
    # the run takes this instance instead of starting another.
    try:
        impl = load(config.adapter)
    except AdapterLoadError as exc:
        return run_failed(f"adapter: {exc}")
    except Exception as exc:  # a harness that would not start, whatever its reason
        return run_failed(f"adapter {config.adapter}: {type(exc).__name__}: {exc}")
    with _reports_to_stdout(config) as config:
        handle = RunHandle(config, impl)
        watcher = _RunWatcher(handle, quiet=ns.quiet)
        code = int(pytest.main(pytest_args(ns, config), plugins=[handle, watcher]))
    if handle.write_error:
        return run_failed(handle.write_error)
    code, why = command_exit_status(code, handle.report.incomplete if handle.report else None)
    return run_failed(why) if why else code
