"""What the plugin's command-line options (``--mmap-*``, ``--adapter-option``, added by
:mod:`mmapspec.plugin.pytest_entry`) say about the run: the adapter, the spec package and its
catalogue, the report paths, and whether the run is judged by the verdict
(:mod:`mmapspec.results.exit_status` has the rule of each run mode).
"""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest
from mmapspec.adapters import AdapterSpec
from mmapspec.plugin.defaults import DEFAULT_ADAPTER, DEFAULT_SPEC, spec_in_args
from mmapspec.plugin.run_config import REPORTS, RunConfig
from mmapspec.results import report_formats, report_markdown

__all__ = ["DEFAULT_ADAPTER", "DEFAULT_SPEC", "spec_in_args"]

RENDERERS = {
    "json": report_formats.to_json,
    "junit": report_formats.to_junit,
    "markdown": report_markdown.to_markdown,
}
"""How each report format of :data:`~mmapspec.plugin.run_config.REPORTS` is written
(its option is ``--mmap-FORMAT``)."""


def adapter_spec(config: pytest.Config) -> AdapterSpec:
    """The adapter the run names (its :class:`~mmapspec.plugin.run_config.RunConfig`)."""
    return RunConfig.from_pytest(config).adapter


def adapter_requested(config: pytest.Config) -> bool:
    """Did the command line name the adapter or ask for reports? Then a bad adapter
    is a usage error, reported up front in one line."""
    opt = config.option
    return bool(
        opt.mmap_adapter
        or opt.adapter_option
        or opt.mmap_expectations
        or opt.mmap_clause
        or any(config.getoption(f"mmap_{name}") for name in REPORTS)
    )


def is_worker(config: pytest.Config) -> bool:
    """Is this process a pytest-xdist worker (rather than the controller)?"""
    return hasattr(config, "workerinput")


def judged_by_verdict(config: pytest.Config) -> bool:
    """Does the verdict decide the exit status
    (:func:`~mmapspec.results.status_pipeline.verdict_exit_status`)?
    Yes when the command line named the adapter or asked for reports, or named the
    spec itself (``pytest --pyargs mmapspec.spec``). The project's own suite, which
    reaches spec/ through testpaths, keeps pytest's rules: there a clause that is
    unsupported is a skipped test."""
    return adapter_requested(config) or (
        config.args_source == pytest.Config.ArgsSource.ARGS and spec_in_args(config)
    )


def spec_catalogue(config: pytest.Config) -> ModuleType:
    """The catalogue of the spec package run (``--mmap-spec``): its ``CLAUSES``,
    and ``BY_ID`` and ``counts_by_section()`` where it has them."""
    name = f"{RunConfig.from_pytest(config).spec}.catalogue"
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise pytest.UsageError(
            f"--mmap-spec: cannot import {name!r} ({exc}): a spec package has a catalogue "
            "module listing its clauses"
        ) from None
