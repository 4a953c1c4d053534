"""One run's configuration, parsed and checked once: :class:`RunConfig`.

``mmapspec run``'s options and the plugin's ``--mmap-*`` options build the same
RunConfig through :meth:`RunConfig.parse`, with the same checks (an adapter option
is ``KEY=VALUE``, the timeout is a number of seconds within a year, every report can
be written). The command hands its RunConfig to pytest inside a :class:`RunHandle`
(a plugin object), which also carries the adapter the command loaded to check it,
and gets the run's report back from it. An xdist worker, which the handle does not
reach, rebuilds the same RunConfig from the options :meth:`RunConfig.pytest_args`
gives it.

Each process starts the adapter once: the command's check is the controller's
probe, and in a run without workers the spec's ``adapter`` fixture takes the same
instance (:func:`take_adapter`).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Sequence

import pytest
from mmapspec.adapters import Adapter, AdapterSpec, load
from mmapspec.plugin.defaults import DEFAULT_ADAPTER, DEFAULT_SPEC
from mmapspec.results import report_files
from mmapspec.results.model import Report

MAX_TIMEOUT = 366 * 24 * 3600.0
"""The longest timeout: SIGALRM and timers take no more (inf and 1e300 overflow them)."""

REPORTS = ("json", "junit", "markdown")
"""The report formats a run can write, in the order they are written."""


class RunConfigError(ValueError):
    """What is wrong with a run's configuration: ``option`` names the setting (as
    ``mmapspec run`` spells it, without dashes), ``problem`` is one line."""

    def __init__(self, option: str, problem: str) -> None:
        super().__init__(f"--{option}: {problem}")
        self.option = option
        self.problem = problem


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """What one run of the spec is asked to do."""

    adapter: AdapterSpec = AdapterSpec(DEFAULT_ADAPTER)
    spec: str = DEFAULT_SPEC
    """The spec package run (its catalogue is ``SPEC.catalogue``)."""
    expectations: str | None = None
    reports: tuple[tuple[str, str], ...] = ()
    """(format, path) of each report asked for, formats in the order of :data:`REPORTS`."""
    strict: bool = False
    clauses: tuple[str, ...] = ()
    """Glob patterns of the clause IDs the run is limited to (none: all)."""
    timeout: float | None = None

    @classmethod
    def parse(
        cls,
        *,
        adapter: str | None = None,
        adapter_options: Sequence[str] = (),
        spec: str | None = None,
        expectations: str | None = None,
        reports: dict[str, str | None] | None = None,
        strict: bool = False,
        clauses: Sequence[str] = (),
        timeout: float | None = None,
    ) -> RunConfig:
        """The configuration these settings make, checked: :class:`RunConfigError`
        says the first thing wrong."""
        options = []
        for item in adapter_options:
            key, sep, value = item.partition("=")
            if not sep:
                raise RunConfigError("adapter-option", f"takes KEY=VALUE, got {item!r}")
            options.append((key, value))
        if timeout is not None and not 0 < timeout <= MAX_TIMEOUT:
            raise RunConfigError(
                "timeout",
                f"must be a number of seconds > 0 and at most {MAX_TIMEOUT:g} (a year), "
                f"got {timeout:g}",
            )
        asked = reports or {}
        for name in REPORTS:
            path = asked.get(name)
            problem = path and report_files.check_writable(path)
            if problem:
                raise RunConfigError(name, problem)
        return cls(
            adapter=AdapterSpec(adapter or DEFAULT_ADAPTER, tuple(options)),
            spec=spec or DEFAULT_SPEC,
            expectations=expectations or None,
            reports=tuple((n, p) for n in REPORTS if (p := asked.get(n))),
            strict=strict,
            clauses=tuple(clauses),
            timeout=timeout,
        )

    @classmethod
    def from_pytest(cls, config: pytest.Config) -> RunConfig:
        """The configuration of a pytest run: the one ``mmapspec run`` handed over,
        else the one its ``--mmap-*`` options make (a pytest usage error if wrong)."""
        handle = config.pluginmanager.get_plugin(RunHandle.NAME)
        if isinstance(handle, RunHandle):
            return handle.config
        known = config.stash.get(_PARSED, None)
        if known is not None:
            return known
        get = config.getoption
        try:
            parsed = cls.parse(
                adapter=get("mmap_adapter", None),
                adapter_options=get("adapter_option", None) or (),
                spec=get("mmap_spec", None),
                expectations=get("mmap_expectations", None),
                reports={n: get(f"mmap_{n}", None) for n in REPORTS},
                strict=bool(get("mmap_strict", False)),
                clauses=get("mmap_clause", None) or (),
                timeout=get("mmap_timeout", None),
            )
        except RunConfigError as exc:
            raise pytest.UsageError(
                f"--{_PLUGIN_SPELLING.get(exc.option, exc.option)}: {exc.problem}"
            ) from None
        config.stash[_PARSED] = parsed
        return parsed

    def pytest_args(self) -> list[str]:
        """The plugin's options that make this configuration again (in a worker)."""
        args = ["--mmap-spec", self.spec, "--mmap-adapter", self.adapter.name]
        for key, value in self.adapter.options:
            args += ["--adapter-option", f"{key}={value}"]
        if self.expectations:
            args += ["--mmap-expectations", self.expectations]
        for name, path in self.reports:
            args += [f"--mmap-{name}", path]
        if self.timeout is not None:
            args += ["--mmap-timeout", repr(self.timeout)]
        for pattern in self.clauses:
            args += ["--mmap-clause", pattern]
        if self.strict:
            args.append("--mmap-strict")
        return args


_PARSED = pytest.StashKey[RunConfig]()
_PLUGIN_SPELLING = {n: f"mmap-{n}" for n in ("timeout", *REPORTS)}
"""How the plugin's options spell the settings ``mmapspec run`` names otherwise."""


class RunHandle:
    """What ``mmapspec run`` hands to pytest (``pytest.main(args, plugins=[handle])``):
    the run's configuration and the adapter it loaded, and what it gets back: the
    report and why a report could not be written."""

    NAME = "mmapspec-run"

    def __init__(self, config: RunConfig, adapter: Adapter | None = None) -> None:
        self.__name__ = self.NAME  # the name pytest registers a plugin object under
        self.config = config
        self.adapter = adapter
        """The adapter the command loaded, until the run takes it."""
        self.report: Report | None = None
        self.write_error: str | None = None

    def pytest_unconfigure(self) -> None:
        if self.adapter is not None:
            with contextlib.suppress(Exception):
                self.adapter.close()
            self.adapter = None


_LOADED = pytest.StashKey[Adapter]()


def take_adapter(config: pytest.Config, keep: bool) -> Adapter:
    """The adapter of this process, started once: the one ``mmapspec run`` loaded,
    or one loaded now. ``keep``: leave it for a later taker (the spec's fixture after
    the controller's probe); the last taker closes it."""
    handle = config.pluginmanager.get_plugin(RunHandle.NAME)
    impl: Adapter | None = config.stash.get(_LOADED, None)
    if impl is None and isinstance(handle, RunHandle) and handle.adapter is not None:
        impl, handle.adapter = handle.adapter, None
    if impl is None:
        impl = load(RunConfig.from_pytest(config).adapter)
    if keep:
        config.stash[_LOADED] = impl
    else:
        with contextlib.suppress(KeyError):
            del config.stash[_LOADED]
    return impl


def release_adapter(config: pytest.Config) -> None:
    """Close the adapter a probe kept and no fixture took."""
    impl = config.stash.get(_LOADED, None)
    if impl is not None:
        del config.stash[_LOADED]
        impl.close()
