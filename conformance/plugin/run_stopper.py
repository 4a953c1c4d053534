"""A run that cannot go to its end is stopped and reported *incomplete* with the
reason, never judged on the tests it happened to run: :class:`RunStopper`.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest
from mmapspec.plugin.run_config import RunConfig
from mmapspec.plugin.worker_facts import WorkerFacts

HARNESS_FAILURES_IN_A_ROW = 3
"""Consecutive spec tests failing in the harness after which the run is stopped."""


class RunStopper:
    """Controller side: a run that cannot go to its end is stopped and reported
    *incomplete* with the reason, never judged on the tests it happened to run.

    It stops the run after :data:`HARNESS_FAILURES_IN_A_ROW` consecutive spec tests
    failed in the harness (:class:`HarnessFailure`), and when ``--mmap-timeout``
    runs out; it turns SIGTERM into an interrupt (as Ctrl-C already is) so that
    the reports are still written. Under pytest-xdist the stop goes through the
    controller's ``dsession``, which shuts the workers down."""

    NAME = "mmapspec-runstopper"

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
        timeout = RunConfig.from_pytest(self.config).timeout
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

    def _handle(self, signum: int, action: Callable[[], None]) -> None:
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
        facts = WorkerFacts.of(report)
        if facts is None:
            return  # not a spec test
        if report.failed and facts.harness:
            if report.nodeid not in self.harness_streak:
                self.harness_streak.append(report.nodeid)
            if len(self.harness_streak) >= HARNESS_FAILURES_IN_A_ROW:
                last = facts.message or "a harness failure"
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
