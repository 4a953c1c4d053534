"""Serving an in-process adapter from another process: the Python harness's
command for it, and :func:`serve_isolated` for the spec's ``isolated()``."""

from __future__ import annotations

import shlex
import sys

from mmapspec.adapters import AdapterLoadError
from mmapspec.adapters.interface import AdapterSpec
from mmapspec.adapters.pipe.client import DEFAULT_TIMEOUT, PipeAdapter


def harness_command(spec: AdapterSpec) -> list[str]:
    """The command serving an in-process adapter through the Python harness."""
    argv = [sys.executable, "-m", "mmapspec.adapters.harness", "--adapter", spec.name]
    for key, value in spec.options:
        argv += ["--adapter-option", f"{key}={value}"]
    return argv


def serve_isolated(spec: AdapterSpec, timeout: float | None = None) -> PipeAdapter:
    """A fresh process serving the implementation ``spec`` names, as a
    :class:`PipeAdapter` (also a context manager that stops it).

    A ``pipe`` spec starts its own command again; any other spec is served by
    ``python -m mmapspec.adapters.harness`` with the same name and options."""
    if spec.name == "pipe":
        options = dict(spec.options)
        if "pipe_cmd" not in options:
            raise AdapterLoadError("pipe: the pipe_cmd option is required")
        if timeout is not None:
            options["timeout"] = str(timeout)
        options["triage"] = "0"
        adapter = PipeAdapter(**options)
    else:
        command = shlex.join(harness_command(spec))
        per_call = DEFAULT_TIMEOUT if timeout is None else timeout
        adapter = PipeAdapter(command, per_call, triage=False)
    # An isolated process runs one test's calls from its start: a crash there is that
    # test's own, with no earlier call to triage (its calls are logged all the same).
    adapter.spec = spec
    return adapter
