"""The controller's side of the plugin (the single process without xdist): each
phase report of a spec test, with the facts its worker attached, becomes a typed
:class:`~mmapspec.results.status_pipeline.PhaseFact` (never a status: the pipeline
decides it) and is folded into that test's
:class:`~mmapspec.results.records.TestOutcome`; at the end of the session the outcomes
become the run's :class:`~mmapspec.results.model.Report`, which is written to the
files asked for, printed, and sets the exit status
(:func:`~mmapspec.results.status_pipeline.verdict_exit_status`).
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import time
from typing import Any

import pytest
from mmapspec.plugin.failure_messages import MESSAGE_LIMIT
from mmapspec.plugin.options import RENDERERS, spec_catalogue
from mmapspec.plugin.run_config import RunConfig, RunHandle
from mmapspec.plugin.run_info import run_environment
from mmapspec.plugin.run_stopper import RunStopper
from mmapspec.plugin.spec_contract import spec_contract
from mmapspec.plugin.worker_facts import WorkerFacts
from mmapspec.results import report_files
from mmapspec.results.clause_results import build_report
from mmapspec.results.expectations import Expectations
from mmapspec.results.model import Report
from mmapspec.results.records import AdapterInfo, TestOutcome
from mmapspec.results.report_formats import terminal_rows
from mmapspec.results.status import Status
from mmapspec.results.status_pipeline import PhaseFact, fold_phase, verdict_exit_status


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")


def _worker_died(report: pytest.TestReport) -> bool:
    """xdist's report for a test whose worker died under it has the phase ``???``,
    which pytest's own types do not list."""
    return str(report.when) == "???"


def phase_fact(report: pytest.TestReport, facts: WorkerFacts | None) -> PhaseFact:
    """One phase of a spec test as facts: what pytest's report and the worker say."""
    text = str(report.longrepr)
    crash = getattr(report.longrepr, "reprcrash", None)
    return PhaseFact(
        when=str(report.when),
        outcome=report.outcome,
        worker_died=_worker_died(report),
        text=text,
        skip_reason=_skip_reason(report) if report.skipped else "",
        short_failure=getattr(crash, "message", None) or text[-MESSAGE_LIMIT:],
        crash=facts.crash if facts else False,
        harness=facts.harness if facts else False,
        suite_error=facts.suite_error if facts else False,
        skip=facts.skip if facts else None,
        missing=tuple(facts.missing) if facts else (),
        message=facts.message if facts else None,
        example=facts.example if facts else None,
        prerequisite=facts.prerequisite if facts else None,
        attributed=facts.attributed if facts else None,
    )


class Collector:
    """Controller-side aggregation: lives only where reports are logged."""

    NAME = "mmapspec-collector"

    def __init__(
        self,
        config: pytest.Config,
        run: RunConfig,
        expectations: Expectations,
        adapter: AdapterInfo,
        verdict: bool,
    ) -> None:
        self.config = config
        self.run = run
        self.verdict = verdict
        """Whether the verdict decides the exit status (else pytest's own rules)."""
        self.expectations = expectations
        self.adapter = adapter
        self.tests: dict[str, TestOutcome] = {}
        self.other_failures = 0
        self.started = time.monotonic()
        self.report: Report | None = None
        self.write_error: str | None = None
        """Why a report could not be written at the end, if one could not."""
        for path in self._written():
            # An earlier run's report must not outlive this run looking current.
            report_files.retire(path)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        facts = WorkerFacts.of(report)
        outcome = self._outcome(report, facts)
        if outcome is None:
            if report.failed:
                self.other_failures += 1
            return
        status = fold_phase(outcome, phase_fact(report, facts))
        if report.when == "call":
            outcome.duration = report.duration
        if report.user_properties:
            outcome.notes = list(report.user_properties)
        if report.failed and self._expected(outcome.clauses, status):
            # Keep pytest's own summary and JUnit in step with the clause verdict.
            report.outcome = "skipped"
            report.wasxfail = "mmapspec expectation: " + "; ".join(
                self.expectations.entries[c].reason for c in outcome.clauses
            )

    def _outcome(self, report: pytest.TestReport, facts: WorkerFacts | None) -> TestOutcome | None:
        """The outcome this phase belongs to, made at its first phase; None for a test
        not of the spec."""
        known = self.tests.get(report.nodeid)
        if known is not None:
            return known
        if facts is None and not _worker_died(report):
            return None
        # A worker that died before any report of this test attached no facts.
        outcome = TestOutcome(
            report.nodeid,
            tuple(facts.clauses) if facts else (),
            prerequisites=tuple(facts.prerequisites) if facts else (),
        )
        self.tests[report.nodeid] = outcome
        return outcome

    def _expected(self, clauses: tuple[str, ...], status: Status) -> bool:
        entries = self.expectations.entries
        return bool(clauses) and all(c in entries and entries[c].status == status for c in clauses)

    def build(self) -> Report:
        catalogue = spec_catalogue(self.config)
        counts = getattr(catalogue, "counts_by_section", None)
        selected = None
        if self.run.clauses:
            selected = [
                c.id
                for c in catalogue.CLAUSES
                if any(fnmatch.fnmatchcase(c.id, p) for p in self.run.clauses)
            ]
        return build_report(
            catalogue.CLAUSES,
            self.tests.values(),
            self.expectations,
            adapter=self.adapter,
            selected=selected,
            duration=time.monotonic() - self.started,
            section_sizes=dict(counts()) if callable(counts) else None,
            strict=self.run.strict,
        )

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        contract = spec_contract(self.config)
        # Whatever the binding's unlink did, nothing this run created stays in /dev/shm
        # (what the OS will not let it remove stays, and the report is written all the same).
        with contextlib.suppress(OSError):
            contract.remove_tagnames_by_prefix(os.environ.get(contract.RUN_PREFIX_VARIABLE, ""))
        stopper = self.config.pluginmanager.get_plugin(RunStopper.NAME)
        incomplete = stopper.incomplete(session.exitstatus) if stopper else None
        if not self.tests and not (self.verdict and incomplete):
            return
        self.report = report = self.build()
        report.incomplete = (
            incomplete or report.harness_error_summary() or report.suite_error_summary()
        )
        report.environment = run_environment(self.config)
        self._write(report)
        handle = self.config.pluginmanager.get_plugin(RunHandle.NAME)
        if isinstance(handle, RunHandle):  # mmapspec run gets its report back
            handle.report, handle.write_error = report, self.write_error
        if self.verdict:  # otherwise pytest's own status stands (see exit_status)
            ok = report.ok and not self.other_failures
            failed = incomplete or self.write_error
            session.exitstatus = verdict_exit_status(session.exitstatus, failed, ok)

    def _written(self) -> list[str]:
        """The report files asked for, in the order they are written."""
        return [path for _, path in self.run.reports]

    def _write(self, report: Report) -> None:
        """Write each report asked for; one that cannot be written (a full disk) is
        one line (:attr:`write_error`) and the others are written all the same."""
        for name, path in self.run.reports:
            try:
                report_files.write(path, RENDERERS[name](report))
            except report_files.ReportWriteError as exc:
                self.write_error = self.write_error or str(exc)

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
        for line, markup in terminal_rows(self.report, verbose=verbose):
            terminalreporter.write_line(line, **markup)
        if not self.verdict:
            terminalreporter.write_line(
                "(spec reached through testpaths: the exit status follows pytest's own rules; "
                "`mmapspec run` applies the verdict)"
            )
        written = self._written()
        if self.write_error:
            terminalreporter.write_line(f"reports: NOT all written: {self.write_error}", red=True)
        elif written:
            terminalreporter.write_line(
                "reports: " + ", ".join(report_files.shown(p) for p in written)
            )
