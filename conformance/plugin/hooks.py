"""The pytest plugin: chooses the adapter under test, ties tests to clauses, and
reports one verdict per clause.

The ``pytest11`` entry point (:mod:`mmapspec.plugin.pytest_entry`) adds the options and
registers this module only when the run asks for it (the spec among the arguments
or collected, or an option of ours given), so that an unrelated pytest run is left
as it was. The ``adapter`` fixture is the spec package's (its ``conftest.py`` calls
:func:`session_adapter`). This module holds the hooks; the work is done by:

* :mod:`mmapspec.plugin.spec_items`: a spec test's clause, prerequisites and capabilities,
  and the skip a missing capability makes;
* :mod:`mmapspec.plugin.failure_messages` and :mod:`mmapspec.plugin.worker_facts`: on each
  worker, what a failed phase says (whose failure, message, falsifying example),
  attached to its report so that it survives pytest-xdist's serialisation;
* :mod:`mmapspec.plugin.collector`: on the controller, the reports folded into one outcome
  per test, then the run's report, written, printed, and the exit status;
* :mod:`mmapspec.plugin.run_stopper`: a run stopped before its end (a signal, ``--timeout``,
  a harness that keeps failing, ``-x``) is reported *incomplete*;
* :mod:`mmapspec.results.exit_status`: the exit codes and each run mode's rule.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import uuid
from collections.abc import Generator, Iterator

import pytest
from mmapspec.adapters.call_origin import mark_escapes
from mmapspec.adapters.interface import Adapter, Unsupported
from mmapspec.plugin.collector import Collector
from mmapspec.plugin.failure_messages import describe_failure
from mmapspec.plugin.options import (
    adapter_requested,
    adapter_spec,
    is_worker,
    judged_by_verdict,
    spec_catalogue,
    spec_in_args,
)
from mmapspec.plugin.run_config import RunConfig, release_adapter, take_adapter
from mmapspec.plugin.run_info import probe_adapter
from mmapspec.plugin.run_stopper import RunStopper
from mmapspec.plugin.spec_contract import spec_contract
from mmapspec.plugin.spec_items import (
    MISSING,
    SKIP_KIND,
    capability_skip,
    clause_ids,
    is_spec_item,
    prerequisites,
)
from mmapspec.plugin.worker_facts import WorkerFacts
from mmapspec.results import expectations
from mmapspec.results.records import AdapterInfo
from mmapspec.results.status import UNSUPPORTED_PREFIX


@pytest.hookimpl(tryfirst=True)  # before Hypothesis's plugin loads --hypothesis-profile
def pytest_configure(config: pytest.Config) -> None:
    _hypothesis_profiles(config)
    _declare_markers(config)
    # Every setting is checked here (a report that cannot be written is refused before
    # the run), and read from this one configuration from here on.
    run = RunConfig.from_pytest(config)
    path = run.expectations
    try:
        exp = expectations.NO_EXPECTATIONS
        if path:  # capability entries spelled out for the clauses that need them
            clauses = spec_catalogue(config).CLAUSES
            exp = expectations.load(path).covering({c.id: getattr(c, "needs", ()) for c in clauses})
    except expectations.ExpectationsError as exc:
        raise pytest.UsageError(str(exc)) from None
    if is_worker(config):
        return
    _claim_tagname_prefix(spec_contract(config).RUN_PREFIX_VARIABLE)
    collector = Collector(config, run, exp, _adapter_info(config), judged_by_verdict(config))
    config.pluginmanager.register(collector, Collector.NAME)
    config.pluginmanager.register(RunStopper(config), RunStopper.NAME)


def pytest_unconfigure(config: pytest.Config) -> None:
    release_adapter(config)  # kept by the probe for a fixture that never came


def _declare_markers(config: pytest.Config) -> None:
    # Python 3.12+ warns at each fork() of a process with threads (xdist's and the
    # pipe's). The spec forks on purpose, and its children make only system calls
    # before _exit (planting a file as another user, without an interpreter that
    # user may not be able to read): the warning says nothing about the binding.
    config.addinivalue_line(
        "filterwarnings",
        r"ignore:This process \(pid=\d+\) is multi-threaded, use of fork\(\):DeprecationWarning",
    )
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


def _adapter_info(config: pytest.Config) -> AdapterInfo:
    """The adapter for the report: how it was named, and where it could be loaded,
    its name, version and capabilities."""
    if adapter_requested(config):
        return probe_adapter(config)
    if spec_in_args(config):
        # The project's own suite runs the spec against the default adapter: its
        # name and version are welcome in the report, but a problem loading it is
        # left to the tests to report.
        with contextlib.suppress(pytest.UsageError):
            return probe_adapter(config)
    spec = adapter_spec(config)
    return AdapterInfo(str(spec), selected=spec.name, options=spec.options)


def _hypothesis_profiles(config: pytest.Config) -> None:
    """Register the spec's Hypothesis profiles when the spec runs (only then), and
    load ``ci`` (when ``CI`` is set) or ``dev`` unless a profile was asked for. On
    the controller and every worker alike, so that the report names the profile
    the tests ran under."""
    if not (spec_in_args(config) or adapter_requested(config)):
        return
    from hypothesis import settings

    spec_contract(config).register_profiles()
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile("ci" if os.environ.get("CI") else "dev")


def _claim_tagname_prefix(variable: str) -> None:
    """Give the run's tagnames a prefix of their own (workers and harness children
    inherit the environment), so that the controller can remove them all through
    the OS at the end, whatever the binding's ``unlink`` did or did not do. A run
    started inside another (a test of the runner) extends the outer run's prefix:
    its cleanup removes only its own objects, and the outer one's still covers them."""
    outer = os.environ.get(variable, "mmapspec-")
    os.environ[variable] = f"{outer}{uuid.uuid4().hex[:12]}-"


def session_adapter(pytestconfig: pytest.Config) -> Iterator[Adapter]:
    """The body of a spec package's session fixture ``adapter``: the adapter the
    command line names, whose escaping exceptions are marked as the binding's."""
    impl = mark_escapes(take_adapter(pytestconfig, keep=False))
    try:
        yield impl
    finally:
        impl.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    patterns = RunConfig.from_pytest(config).clauses
    if not patterns:
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        ids = clause_ids(item)
        hit = any(fnmatch.fnmatchcase(cid, pat) for cid in ids for pat in patterns)
        (keep if hit else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(trylast=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # trylast: after pytest has set up the test's fixtures, the adapter among them.
    catalogue = spec_catalogue(item.config)
    impl: Adapter | None = getattr(item, "funcargs", {}).get("adapter")
    if impl is None or not is_spec_item(item, catalogue):
        return  # no adapter, or a project's own test (and `adapter`) beside the spec
    skip = capability_skip(item, impl, catalogue)
    if skip is not None:
        item.stash[SKIP_KIND] = skip.kind
        item.stash[MISSING] = skip.missing
        pytest.skip(skip.reason)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    excinfo = call.excinfo
    if excinfo is not None and isinstance(excinfo.value, Unsupported):
        # The implementation said it cannot do this at all: not a failure of the spec.
        item.stash[SKIP_KIND] = "unsupported"
        item.stash[MISSING] = (str(excinfo.value.capability),)
        report.outcome = "skipped"
        report.longrepr = (
            str(item.path),
            item.location[1] or 0,
            UNSUPPORTED_PREFIX + str(excinfo.value.capability),
        )
    if not is_spec_item(item, spec_catalogue(item.config)):
        return report
    facts = WorkerFacts(list(clause_ids(item)), list(prerequisites(item)))
    if report.skipped:
        facts.skip = item.stash.get(SKIP_KIND, None)
        missing: tuple[str, ...] = item.stash.get(MISSING, ())
        facts.missing = list(missing)
    if report.failed and excinfo is not None:
        describe_failure(item, excinfo.value, facts)
    facts.attach(report)
    return report
