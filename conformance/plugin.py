"""The pytest plugin: chooses the adapter under test, ties tests to clauses, and
reports one verdict per clause.

Loaded through the ``pytest11`` entry point, it stays inert unless spec tests are
collected. Options: ``--mmap-adapter NAME``, ``--adapter-option KEY=VALUE``,
``--mmap-expectations FILE``, ``--mmap-json/--mmap-junit/--mmap-markdown FILE``,
``--mmap-clause PATTERN``, ``--mmap-spec PACKAGE`` (whose ``catalogue`` module
lists the clauses) and ``--mmap-timeout SECONDS``.

How results travel under pytest-xdist: each worker annotates every report of a
spec test with the test's clause IDs, a short message, Hypothesis's falsifying
example and whether the implementation crashed or its harness failed (plain
attributes on the report, which xdist serialises); ``record_property`` notes
travel as ``user_properties``.
The controller (or the single process without xdist) aggregates them into a
:class:`~mmapspec.report.Report`, marks expected failures as xfailed so that
pytest's own summary agrees, writes the reports and sets the exit status:
0 conformant or as expected, 1 deviations, 2 incomplete (:class:`RunGuard`: the
run stopped before its end, and the reports say so). pytest's own codes for a run
that did not happen (3 internal error, 4 usage error, 5 no tests) are kept.
"""

from __future__ import annotations

import contextlib
import datetime
import fnmatch
import importlib
import os
import re
import signal
import sys
import threading
import time
import uuid
from collections.abc import Generator, Iterator
from importlib import metadata
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

import pytest
from mmapspec import cli, report_formats
from mmapspec import expectations as expectations_mod
from mmapspec.adapters import AdapterLoadError, AdapterSpec, load
from mmapspec.adapters.interface import (
    Adapter,
    HarnessFailure,
    ImplementationCrashed,
    Unsupported,
)
from mmapspec.clause_results import build_report
from mmapspec.report import TestOutcome
from mmapspec.spec.attribution import PrerequisiteFailed, Violation
from mmapspec.status import CRASH, FAIL, PASS, SKIPPED, UNSUPPORTED, Status

UNSUPPORTED_PREFIX = "unsupported: "
NOT_APPLICABLE_PREFIX = "not applicable here: "
PLATFORM_ONLY: dict[str, tuple[str, ...]] = {
    # The doc scopes these to some systems: "a void* representing a Windows HANDLE";
    # unlink "remove the shared memory file from disk (Linux, OSX)". An adapter
    # lacking them elsewhere is not deviating: such clauses are skipped, not unsupported.
    "file:handle": ("win32", "cygwin"),
    "unlink": ("linux", "darwin"),
}
DEFAULT_ADAPTER = "reference"
DEFAULT_SPEC = "mmapspec.spec"
HARNESS_FAILURES_IN_A_ROW = 3
"""Consecutive spec tests failing in the harness after which the run is stopped."""
_MESSAGE_LIMIT = 2000
_SPEC_DIR = Path(__file__).resolve().parent.parent / "spec"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mmapspec", "mmap conformance")
    group.addoption(
        "--mmap-adapter",
        default=None,
        help="adapter under test: a built-in name, module:attribute, or an entry point name "
        f"(default: {DEFAULT_ADAPTER})",
    )
    group.addoption(
        "--adapter-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an option for the adapter (repeatable), e.g. pipe_cmd='luajit harness.lua'",
    )
    group.addoption(
        "--mmap-expectations",
        default=None,
        metavar="FILE",
        help="TOML file of known deviations (clause ID, expected status, reason)",
    )
    group.addoption("--mmap-json", default=None, metavar="FILE", help="write the JSON report")
    group.addoption(
        "--mmap-junit",
        default=None,
        metavar="FILE",
        help="write JUnit XML, one testcase per clause",
    )
    group.addoption(
        "--mmap-markdown", default=None, metavar="FILE", help="write a Markdown summary"
    )
    group.addoption(
        "--mmap-strict",
        action="store_true",
        default=False,
        help="count clauses that differ from the suite's readings of the document's silent "
        "spots as deviations (by default they are listed apart)",
    )
    group.addoption(
        "--mmap-spec",
        default=DEFAULT_SPEC,
        metavar="PACKAGE",
        help="the spec package whose catalogue the tests' clauses are in "
        f"(its module PACKAGE.catalogue; default: {DEFAULT_SPEC})",
    )
    group.addoption(
        "--mmap-timeout",
        default=None,
        type=float,
        metavar="SECONDS",
        help="stop the whole run after this long and report it incomplete",
    )
    group.addoption(
        "--mmap-clause",
        action="append",
        default=[],
        metavar="PATTERN",
        help="run only tests of clauses matching this ID or glob (repeatable)",
    )


def adapter_spec(config: pytest.Config) -> AdapterSpec:
    options = []
    for item in config.getoption("adapter_option"):
        key, sep, value = item.partition("=")
        if not sep:
            raise pytest.UsageError(f"--adapter-option takes KEY=VALUE, got {item!r}")
        options.append((key, value))
    return AdapterSpec(config.getoption("mmap_adapter") or DEFAULT_ADAPTER, tuple(options))


def _adapter_requested(config: pytest.Config) -> bool:
    """Did the command line name the adapter or ask for reports? Then a bad adapter
    is a usage error, reported up front in one line."""
    opt = config.option
    return bool(
        opt.mmap_adapter
        or opt.adapter_option
        or opt.mmap_expectations
        or opt.mmap_clause
        or opt.mmap_json
        or opt.mmap_junit
        or opt.mmap_markdown
    )


def _spec_in_args(config: pytest.Config) -> bool:
    """Will spec tests run (``--pyargs mmapspec.spec``, a path into spec/, testpaths)?"""
    for arg in config.args:
        if arg.split("::")[0].startswith("mmapspec.spec"):
            return True
        path = Path(arg.split("::")[0]).resolve()
        if path == _SPEC_DIR or _SPEC_DIR in path.parents:
            return True
    return False


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(tryfirst=True)  # before Hypothesis's plugin loads --hypothesis-profile
def pytest_configure(config: pytest.Config) -> None:
    _hypothesis_profiles(config)
    config.addinivalue_line("markers", "clause(id): the one catalogue clause a test gives a status")
    config.addinivalue_line(
        "markers",
        "prerequisites(id, ...): clauses the test relies on to set up or observe; when one "
        "does not pass, the test's failure is reported as blocked by it",
    )
    config.addinivalue_line(
        "markers",
        "needs(capability, ...): capabilities this test needs beyond its clause's; without "
        "them the test is skipped (the clause is judged by its other tests)",
    )
    path = config.getoption("mmap_expectations", None)
    try:
        exp = expectations_mod.load(path) if path else expectations_mod.NO_EXPECTATIONS
    except expectations_mod.ExpectationsError as exc:
        raise pytest.UsageError(str(exc)) from None
    if _is_worker(config):
        return
    _claim_tagname_prefix()
    _check_report_paths(config)
    adapter_info: dict[str, Any] = {"spec": str(adapter_spec(config))}
    if _adapter_requested(config):
        adapter_info.update(_probe_adapter(config))
    elif _spec_in_args(config):
        # The project's own suite runs the spec against the default adapter: its
        # name and version are welcome in the report, but a problem loading it is
        # left to the tests to report.
        with contextlib.suppress(pytest.UsageError):
            adapter_info.update(_probe_adapter(config))
    # The verdict decides the exit status of a conformance run: the command line
    # named the adapter, or the spec itself (``pytest --pyargs mmapspec.spec``).
    # The project's own suite, which reaches spec/ through testpaths, keeps
    # pytest's rules: there a clause that is unsupported is a skipped test.
    verdict = _adapter_requested(config) or (
        config.args_source == pytest.Config.ArgsSource.ARGS and _spec_in_args(config)
    )
    collector = Collector(config, exp, adapter_info, verdict)
    config.pluginmanager.register(collector, "mmapspec-collector")
    config.pluginmanager.register(RunGuard(config), RunGuard.NAME)


def _hypothesis_profiles(config: pytest.Config) -> None:
    """Register the spec's Hypothesis profiles when the spec runs (only then), and
    load ``ci`` (when ``CI`` is set) or ``dev`` unless a profile was asked for. On
    the controller and every worker alike, so that the report names the profile
    the tests ran under."""
    if not (_spec_in_args(config) or _adapter_requested(config)):
        return
    from hypothesis import settings
    from mmapspec.spec._profiles import register

    register()
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile("ci" if os.environ.get("CI") else "dev")


def _check_report_paths(config: pytest.Config) -> None:
    """A report that cannot be written is refused before the run, not after it."""
    for flag in ("mmap_json", "mmap_junit", "mmap_markdown"):
        path = config.getoption(flag)
        problem = path and report_formats.check_writable(path)
        if problem:
            raise pytest.UsageError(f"--{flag.replace('_', '-')}: {problem}")


def spec_catalogue(config: pytest.Config) -> ModuleType:
    """The catalogue of the spec package run (``--mmap-spec``): its ``CLAUSES``,
    and ``BY_ID`` and ``counts_by_section()`` where it has them."""
    name = f"{config.getoption('mmap_spec', None) or DEFAULT_SPEC}.catalogue"
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise pytest.UsageError(
            f"--mmap-spec: cannot import {name!r} ({exc}): a spec package has a catalogue "
            "module listing its clauses"
        ) from None


def _adapter_version(impl: Adapter) -> str:
    """The adapter's own version; where it names none, its package's ``__version__``
    or else the version of the distribution that installed that package."""
    if impl.version and impl.version != Adapter.version:
        return str(impl.version)
    top = type(impl).__module__.partition(".")[0]
    module = sys.modules.get(top)
    version = getattr(module, "__version__", None)
    if isinstance(version, str) and version:
        return version
    for dist in metadata.packages_distributions().get(top, []):
        with contextlib.suppress(metadata.PackageNotFoundError):
            return metadata.version(dist)
    return str(impl.version)


def _environment(config: pytest.Config) -> dict[str, Any]:
    """What ran besides the adapter, for the report."""
    import hypothesis
    from hypothesis import settings

    seed = config.getoption("hypothesis_seed", None)
    return {
        "mmapspec": cli.version(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "spec": config.getoption("mmap_spec", None) or DEFAULT_SPEC,
        "timeout": config.getoption("mmap_timeout", None),
        "hypothesis": {
            "version": hypothesis.__version__,
            "profile": settings.get_current_profile_name(),
            "seed": None if seed is None else str(seed),
            "derandomize": bool(settings().derandomize),
        },
    }


class RunGuard:
    """Controller side: a run that cannot go to its end is stopped and reported
    *incomplete* with the reason, never judged on the tests it happened to run.

    It stops the run after :data:`HARNESS_FAILURES_IN_A_ROW` consecutive spec tests
    failed in the harness (:class:`HarnessFailure`), and when ``--mmap-timeout``
    runs out; it turns SIGTERM into an interrupt (as Ctrl-C already is) so that
    the reports are still written. Under pytest-xdist the stop goes through the
    controller's ``dsession``, which shuts the workers down."""

    NAME = "mmapspec-runguard"

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.reason: str | None = None
        self.session: pytest.Session | None = None
        self.harness_streak: list[str] = []
        self._restore: list[tuple[int, Any]] = []
        self._timer: threading.Timer | None = None

    def stop(self, reason: str) -> None:
        """End the run after the tests now running, for ``reason`` (the first
        reason given stands)."""
        if self.reason is not None:
            return
        self.reason = reason
        if self.session is not None:
            self.session.shouldstop = reason
        dsession = self.config.pluginmanager.getplugin("dsession")
        if dsession is not None:
            dsession.shouldstop = reason

    def _interrupt(self, reason: str) -> None:
        """End the run now, from a signal handler: as Ctrl-C does, so that pytest
        unwinds the running test and still finishes the session."""
        if self.reason is None:
            self.reason = reason
        raise KeyboardInterrupt(reason)

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session
        if threading.current_thread() is not threading.main_thread():
            return
        self._handle(signal.SIGTERM, lambda: self._interrupt("terminated (SIGTERM)"))
        timeout = self.config.getoption("mmap_timeout", None)
        if timeout:
            reason = f"timed out after {timeout:g} s (--timeout)"
            if hasattr(signal, "setitimer"):
                self._handle(signal.SIGALRM, lambda: self._interrupt(reason))
                signal.setitimer(signal.ITIMER_REAL, timeout)
            else:  # Windows: no SIGALRM; the main thread gets a KeyboardInterrupt
                import _thread

                def expire() -> None:
                    self.reason = self.reason or reason
                    _thread.interrupt_main()

                self._timer = threading.Timer(timeout, expire)
                self._timer.daemon = True
                self._timer.start()

    def _handle(self, signum: int, action: Any) -> None:
        def handler(signum: int, frame: FrameType | None) -> None:
            action()

        self._restore.append((signum, signal.signal(signum, handler)))

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self) -> None:
        if hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, 0)
        if self._timer is not None:
            self._timer.cancel()
        for signum, previous in reversed(self._restore):
            signal.signal(signum, previous)
        self._restore.clear()

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        if self.reason is None:
            # pytest's own stops (collection errors, xdist's --maxfail) are
            # KeyboardInterrupt subclasses with a message; Ctrl-C is the plain one.
            plain = excinfo.type is KeyboardInterrupt
            self.reason = "interrupted (SIGINT)" if plain else f"pytest stopped: {excinfo.value}"

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if getattr(report, "mmapspec_clauses", None) is None:
            return  # not a spec test
        if report.failed and getattr(report, "mmapspec_harness", False):
            if report.nodeid not in self.harness_streak:
                self.harness_streak.append(report.nodeid)
            if len(self.harness_streak) >= HARNESS_FAILURES_IN_A_ROW:
                last = getattr(report, "mmapspec_message", None) or "a harness failure"
                self.stop(
                    f"{len(self.harness_streak)} spec tests in a row failed in the harness, "
                    f"the last with {last}; the run was stopped"
                )
        elif report.when == "call" or (report.when == "setup" and report.failed):
            self.harness_streak.clear()

    def incomplete(self, exitstatus: int) -> str | None:
        """Why the run did not go to its end, or None."""
        if self.reason is not None:
            return self.reason
        session = self.session
        why = session and (session.shouldstop or session.shouldfail)
        if why:  # -x or --maxfail: the run ended at a failure, before its end
            return f"pytest stopped: {why}"
        if exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR):
            name = pytest.ExitCode(exitstatus).name.lower()
            return f"pytest stopped with exit code {int(exitstatus)} ({name})"
        return None


def _claim_tagname_prefix() -> None:
    """Give the run's tagnames a prefix of their own (workers and harness children
    inherit the environment), so that the controller can remove them all through
    the OS at the end, whatever the binding's ``unlink`` did or did not do. A run
    started inside another (a test of the runner) extends the outer run's prefix:
    its cleanup removes only its own objects, and the outer one's still covers them."""
    from mmapspec.spec.support import RUN_PREFIX_VARIABLE

    outer = os.environ.get(RUN_PREFIX_VARIABLE, "mmapspec-")
    os.environ[RUN_PREFIX_VARIABLE] = f"{outer}{uuid.uuid4().hex[:12]}-"


def _probe_adapter(config: pytest.Config) -> dict[str, Any]:
    """Load the adapter once on the controller: a bad name, an import error or a
    harness that will not start is one clear line here instead of an error per test."""
    try:
        impl = load(adapter_spec(config))
    except AdapterLoadError as exc:
        raise pytest.UsageError(f"adapter: {exc}") from None
    except Exception as exc:  # a harness that would not start, whatever its reason
        raise pytest.UsageError(
            f"adapter {adapter_spec(config)}: {type(exc).__name__}: {exc}"
        ) from None
    try:
        return {
            "name": impl.name,
            "version": _adapter_version(impl),
            "capabilities": sorted(impl.capabilities.names()),
        }
    finally:
        impl.close()


@pytest.fixture(scope="session")
def adapter(pytestconfig: pytest.Config) -> Iterator[Adapter]:
    impl = load(adapter_spec(pytestconfig))
    try:
        yield impl
    finally:
        impl.close()


def _clause_ids(item: pytest.Item) -> tuple[str, ...]:
    ids: list[str] = []
    for mark in item.iter_markers("clause"):
        ids.extend(a for a in mark.args if a not in ids)
    return tuple(ids)


def _is_spec_item(item: pytest.Item) -> bool:
    return bool(_clause_ids(item)) or "adapter" in getattr(item, "fixturenames", ())


def _required(item: pytest.Item) -> tuple[set[str], set[str]]:
    """The capabilities the test's clause needs, and those only this test needs."""
    catalogue = spec_catalogue(item.config)
    by_id = getattr(catalogue, "BY_ID", None) or {c.id: c for c in catalogue.CLAUSES}
    clause_needs: set[str] = set()
    for clause_id in _clause_ids(item):
        if clause_id in by_id:
            clause_needs |= by_id[clause_id].needs
    test_needs: set[str] = set()
    for mark in item.iter_markers("needs"):
        test_needs |= set(mark.args)
    return clause_needs, test_needs - clause_needs


def _prerequisites(item: pytest.Item) -> tuple[str, ...]:
    ids: list[str] = []
    for mark in item.iter_markers("prerequisites"):
        ids.extend(a for a in mark.args if a not in ids)
    return tuple(ids)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    patterns = config.getoption("mmap_clause")
    if not patterns:
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        ids = _clause_ids(item)
        hit = any(fnmatch.fnmatchcase(cid, pat) for cid in ids for pat in patterns)
        (keep if hit else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(trylast=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # trylast: after pytest has set up the test's fixtures, the adapter among them.
    clause_needs, test_needs = _required(item)
    impl: Adapter | None = getattr(item, "funcargs", {}).get("adapter")
    if impl is None:
        return
    have = impl.capabilities.names()
    missing = sorted(clause_needs - have)
    elsewhere = [
        n for n in missing if not sys.platform.startswith(PLATFORM_ONLY.get(n, sys.platform))
    ]
    if elsewhere:
        pytest.skip(f"{NOT_APPLICABLE_PREFIX}{', '.join(elsewhere)} (not on {sys.platform})")
    if missing:
        pytest.skip(UNSUPPORTED_PREFIX + ", ".join(missing))
    # A capability only this test needs (to set up or observe) does not make the
    # clause unsupported: the clause is judged by its other tests.
    extra = sorted(test_needs - have)
    if extra:
        pytest.skip(f"this check needs {', '.join(extra)}, which the adapter does not declare")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    excinfo = call.excinfo
    if excinfo is not None and isinstance(excinfo.value, Unsupported):
        # The implementation said it cannot do this at all: not a failure of the spec.
        report.outcome = "skipped"
        report.longrepr = (
            str(item.path),
            item.location[1] or 0,
            UNSUPPORTED_PREFIX + str(excinfo.value.capability),
        )
    if not _is_spec_item(item):
        return report
    # Plain attributes survive xdist's report serialisation (TestReport(**extra)).
    report.mmapspec_clauses = list(_clause_ids(item))  # type: ignore[attr-defined]
    report.mmapspec_prerequisites = list(_prerequisites(item))  # type: ignore[attr-defined]
    if report.failed and excinfo is not None:
        # What the adapter itself says went wrong in this test comes first: after a
        # harness failure or a crash, Hypothesis's replay fails differently (a
        # "flaky" error) and would hide the cause.
        standing = getattr(getattr(item, "funcargs", {}).get("adapter"), "failure", None)
        exc = (
            standing
            if isinstance(standing, (HarnessFailure, ImplementationCrashed))
            else _attributed_exception(excinfo.value)
        )
        crashed = isinstance(exc, (ImplementationCrashed, HarnessFailure)) or bool(
            getattr(exc, "crashed", False)
        )
        # A harness failure is no evidence about the binding: it is reported as a
        # crash of the machinery, with its cause, and streaks of them stop the run.
        report.mmapspec_crash = crashed  # type: ignore[attr-defined]
        harness = isinstance(exc, HarnessFailure) or _is_harness_failure(excinfo.value)
        report.mmapspec_harness = harness  # type: ignore[attr-defined]
        if isinstance(exc, PrerequisiteFailed):
            report.mmapspec_prerequisite = exc.clause  # type: ignore[attr-defined]
        elif isinstance(exc, Violation):
            report.mmapspec_attributed = exc.clause  # type: ignore[attr-defined]
        report.mmapspec_message = _exception_message(exc)  # type: ignore[attr-defined]
        example = _falsifying_example(excinfo.value, item)
        if example:
            report.mmapspec_example = example  # type: ignore[attr-defined]
    return report


def _leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside an exception group (Hypothesis raises one when it found
    several distinct failures), or the exception itself."""
    inner = getattr(exc, "exceptions", None)
    if not inner:
        return [exc]
    return [leaf for sub in inner for leaf in _leaves(sub)]


def _attributed_exception(exc: BaseException) -> BaseException:
    """The exception that says whose failure this is: among several distinct ones,
    a failure of the test's own clause first, then a crash, then the first."""
    leaves = _leaves(exc)
    own = [e for e in leaves if not isinstance(e, PrerequisiteFailed)]
    crashes = [e for e in leaves if isinstance(e, ImplementationCrashed)]
    return (own or crashes or leaves)[0]


def _is_harness_failure(exc: BaseException) -> bool:
    leaves = _leaves(exc)
    return bool(leaves) and all(isinstance(e, HarnessFailure) for e in leaves)


_TMP_PATH = re.compile(r"/(?:tmp|var/tmp)/pytest-of-[^/\s]+/pytest-\d+/(?:popen-gw\d+/)?")
_UNIQUE_NAME = re.compile(r"\b(f-|mmapspec-(?:[0-9a-f]{12}-)?)([0-9a-f]{8})[0-9a-f]{24}\b")


def shorten_paths(text: str) -> str:
    """Messages name files in pytest's temporary tree and uniquely named tagnames:
    shorten those so the cause after them is never cut off."""
    return _UNIQUE_NAME.sub(r"\1\2…", _TMP_PATH.sub("$TMP/", text))


def _without_rewrite_explanation(text: str) -> str:
    """A spec assertion's own message, without what pytest's assertion rewriting
    appends after it (``assert 'fails' == 'value'`` and a diff): the message already
    says expected against got, in the document's terms."""
    lines = text.splitlines()
    for i, line in enumerate(lines[1:], start=1):
        if line.startswith("assert "):
            return "\n".join(lines[:i]).rstrip()
    return text


def _exception_message(exc: BaseException) -> str:
    """``Type: message``, without Hypothesis's notes (they go to ``example``)."""
    text = shorten_paths(f"{type(exc).__name__}: {exc}".strip())
    if isinstance(exc, AssertionError):
        text = _without_rewrite_explanation(text)
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"


# Hypothesis's note for the minimal failing example; the wording changed across
# versions ("Falsifying example: f(" before 6.1xx, "Failing test case: f(" after).
_FALSIFYING = re.compile(
    r"^(?:Falsifying|Failing) (?:explicit )?(?:example|test case): (\w+)\((.*)\)\s*$", re.S
)


_DRAW = re.compile(r"^Draw (\d+)(?: \(([^)]*)\))?: (.*)$", re.S)


def _example_arguments(body: str, fixtures: set[str]) -> str:
    """``name=value`` pairs of the drawn arguments, one per line in Hypothesis's
    rendering, without the pytest fixtures (their reprs reproduce nothing)."""
    lines = [line for line in body.splitlines() if line.strip()]
    indent = min((len(line) - len(line.lstrip()) for line in lines), default=0)
    groups: list[list[str]] = []
    for line in lines:
        if len(line) - len(line.lstrip()) == indent and re.match(r"\s*\w+=", line):
            groups.append([line.strip()])
        elif groups:
            groups[-1].append(line.strip())
    kept = [" ".join(g).rstrip(",") for g in groups if g[0].split("=", 1)[0] not in fixtures]
    return ", ".join(kept)


def _falsifying_example(exc: BaseException, item: pytest.Item) -> str | None:
    """Hypothesis's falsifying example as lines that reproduce it: an ``@example``
    decorator to pin on the test, and the command that reruns the test."""
    notes: list[str] = list(getattr(exc, "__notes__", ()))
    for sub in getattr(exc, "exceptions", ()):  # several distinct bugs: an ExceptionGroup
        notes.extend(getattr(sub, "__notes__", ()))
    match = next((m for m in map(_FALSIFYING.match, notes) if m), None)
    if match is None:
        return None
    func, body = match.groups()
    # st.data() arguments render as data(...); their values are the "Draw" notes.
    args = _example_arguments(body, set(getattr(item, "fixturenames", ())) | {"data"})
    draws = [m for m in map(_DRAW.match, notes) if m]
    lines = [f"# Hypothesis falsified {func} ({Path(str(item.path)).name}) with:"]
    if args:
        lines.append(f"@example({args})  # pin it on the test")
    for d in draws:
        value = " ".join(d.group(3).split())
        lines.append(f"#   data.draw: {d.group(2) or 'draw ' + d.group(1)} = {value}")
    blob = next((n for n in notes if "@reproduce_failure(" in n), None)
    if blob:
        start = blob.index("@reproduce_failure(")
        lines.append("# or replay the exact draw: " + blob[start:].split("\n")[0])
    spec = adapter_spec(item.config)
    opts = "".join(f" --adapter-option {k}={_shell_quote(v)}" for k, v in spec.options)
    lines.append(
        f"# rerun: pytest --pyargs mmapspec.spec --mmap-adapter {spec.name}{opts} -n 0 -k {func}"
    )
    return "\n".join(lines)


def _shell_quote(value: str) -> str:
    import shlex

    return shlex.quote(value)


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")


def _worker_died(report: pytest.TestReport) -> bool:
    """xdist's report for a test whose worker died under it has the phase ``???``,
    which pytest's own types do not list."""
    return str(report.when) == "???"


class Collector:
    """Controller-side aggregation: lives only where reports are logged."""

    def __init__(
        self,
        config: pytest.Config,
        exp: expectations_mod.Expectations,
        adapter: dict[str, Any],
        verdict: bool,
    ) -> None:
        self.config = config
        self.verdict = verdict
        self.expectations = exp
        self.adapter = adapter
        self.tests: dict[str, TestOutcome] = {}
        self.other_failures = 0
        self.started = time.monotonic()
        self.report: Any = None

    def _phase_status(self, report: pytest.TestReport) -> tuple[Status, str | None]:
        if _worker_died(report) or getattr(report, "mmapspec_crash", False):
            # xdist's report for a worker that died mid-test, or ImplementationCrashed.
            return CRASH, getattr(report, "mmapspec_message", None) or str(report.longrepr)
        if report.skipped:
            reason = _skip_reason(report)
            if reason.startswith(UNSUPPORTED_PREFIX):
                return UNSUPPORTED, reason
            return SKIPPED, reason
        if report.failed:
            message = getattr(report, "mmapspec_message", None)
            if message is None:
                crash = getattr(report.longrepr, "reprcrash", None)
                message = getattr(crash, "message", None) or str(report.longrepr)[-_MESSAGE_LIMIT:]
            if report.when != "call":
                message = f"error in {report.when}: {message}"
            return FAIL, message
        return PASS, None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        clauses = getattr(report, "mmapspec_clauses", None)
        known = self.tests.get(report.nodeid)
        if clauses is None and known is None:
            if _worker_died(report):  # a worker died before any report of this test
                clauses = []
            else:
                if report.failed:
                    self.other_failures += 1
                return
        result = known or self.tests.setdefault(
            report.nodeid,
            TestOutcome(
                report.nodeid,
                tuple(clauses or ()),
                prerequisites=tuple(getattr(report, "mmapspec_prerequisites", ())),
            ),
        )
        status, message = self._phase_status(report)
        if report.when == "call" or _worker_died(report) or status != PASS:
            result.merge(status, message, getattr(report, "mmapspec_example", None))
            if status in (FAIL, CRASH):
                result.broken_prerequisite = getattr(report, "mmapspec_prerequisite", None)
                result.attributed = getattr(report, "mmapspec_attributed", None)
                result.harness_failure = getattr(report, "mmapspec_harness", False)
        if report.when == "call":
            result.duration = report.duration
        if report.user_properties:
            result.notes = list(report.user_properties)
        if report.failed and self._expected(result.clauses, status):
            # Keep pytest's own summary and JUnit in step with the clause verdict.
            report.outcome = "skipped"
            report.wasxfail = "mmapspec expectation: " + "; ".join(
                self.expectations.entries[c].reason for c in result.clauses
            )

    def _expected(self, clauses: tuple[str, ...], status: str) -> bool:
        entries = self.expectations.entries
        return bool(clauses) and all(c in entries and entries[c].status == status for c in clauses)

    def build(self) -> Any:
        catalogue = spec_catalogue(self.config)
        counts = getattr(catalogue, "counts_by_section", None)
        patterns = self.config.getoption("mmap_clause")
        selected = None
        if patterns:
            selected = [
                c.id
                for c in catalogue.CLAUSES
                if any(fnmatch.fnmatchcase(c.id, p) for p in patterns)
            ]
        return build_report(
            catalogue.CLAUSES,
            self.tests.values(),
            self.expectations,
            adapter=self.adapter,
            selected=selected,
            duration=time.monotonic() - self.started,
            section_sizes=dict(counts()) if callable(counts) else None,
            strict=self.config.getoption("mmap_strict"),
        )

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        from mmapspec.spec.support import RUN_PREFIX_VARIABLE, remove_tagnames_by_prefix

        # Whatever the binding's unlink did, nothing this run created stays in /dev/shm.
        remove_tagnames_by_prefix(os.environ.get(RUN_PREFIX_VARIABLE, ""))
        guard = self.config.pluginmanager.get_plugin(RunGuard.NAME)
        incomplete = guard.incomplete(session.exitstatus) if guard else None
        if not self.tests and not (self.verdict and incomplete):
            return
        self.report = report = self.build()
        report.incomplete = incomplete
        report.environment = _environment(self.config)
        opt = self.config.option
        for path, render in (
            (opt.mmap_json, report_formats.to_json),
            (opt.mmap_junit, report_formats.to_junit),
            (opt.mmap_markdown, report_formats.to_markdown),
        ):
            if path:
                report_formats.write(path, render(report))
        if self.verdict and incomplete:
            session.exitstatus = pytest.ExitCode.INTERRUPTED
        elif self.verdict and session.exitstatus in (
            pytest.ExitCode.OK,
            pytest.ExitCode.TESTS_FAILED,
        ):
            ok = report.ok and not self.other_failures
            session.exitstatus = pytest.ExitCode.OK if ok else pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.report is None:
            return
        terminalreporter.write_sep("=", "mmapspec conformance")
        sizes = self.report.section_sizes
        terminalreporter.write_line(
            f"catalogue: {sum(sizes.values())} clauses in {len(sizes)} sections: "
            + ", ".join(f"{s} {n}" for s, n in sizes.items())
        )
        verbose = self.config.option.verbose > 0
        for line, markup in report_formats.terminal_rows(self.report, verbose=verbose):
            terminalreporter.write_line(line, **markup)
        if not self.verdict:
            terminalreporter.write_line(
                "(spec reached through testpaths: the exit status follows pytest's own rules; "
                "`mmapspec run` applies the verdict)"
            )
        written = [
            p
            for p in (
                self.config.option.mmap_json,
                self.config.option.mmap_junit,
                self.config.option.mmap_markdown,
            )
            if p
        ]
        if written:
            terminalreporter.write_line("reports: " + ", ".join(os.fspath(p) for p in written))
