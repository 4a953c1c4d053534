"""Starting a harness: can its program run, the ``start`` handshake and the probe
that shows it listens, and the one line that says why it did not start."""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import shutil
from typing import Any

from mmapspec.adapters.interface import (
    ArgumentError,
    Capabilities,
    DocumentedFailure,
    ImplementationCrashed,
    Unsupported,
)
from mmapspec.adapters.pipe.child import Child
from mmapspec.adapters.pipe.codec import PROTOCOL_VERSION, decode_capabilities, decode_int
from mmapspec.adapters.pipe.errors import HarnessError, ImplementationTimeout, ProtocolError
from mmapspec.adapters.pipe.processes import own_processes

PROBE_TIMEOUT = 10.0
"""Seconds a harness that has answered ``start`` may take to answer ``pagesize``,
the request that shows it is still listening (at most ``start_timeout``)."""


@dataclasses.dataclass(frozen=True)
class Hello:
    """What a harness said about itself when it started."""

    capabilities: Capabilities
    implementation: dict[str, Any]
    pid: int | None
    """The process holding the maps, if the harness named one (even behind a wrapper)."""
    pagesize: int | None
    """The answer to the probe, if it was a page size."""


def handshake(child: Child, start_timeout: float) -> Hello:
    """``start``, then the probe; raises whatever breaks the protocol or the child."""
    hello = child.round_trip("start", {"protocol": PROTOCOL_VERSION}, start_timeout)
    if type(hello) is not dict:
        raise ProtocolError(f"start answered {hello!r}, not an object")
    if hello.get("protocol") != PROTOCOL_VERSION:
        theirs = hello.get("protocol")
        raise ProtocolError(f"harness speaks protocol {theirs!r}, runner {PROTOCOL_VERSION}")
    caps = decode_capabilities(hello.get("capabilities", {}))
    impl = hello.get("implementation", {})
    if type(impl) is not dict or not all(
        type(impl.get(k, "")) is str for k in ("name", "version", "language", "harness")
    ):
        raise ProtocolError("start: implementation must be an object of strings")
    pid = hello.get("pid")
    if pid is not None and (type(pid) is not int or pid <= 0):
        raise ProtocolError(f"start: pid must be a positive integer, got {pid!r:.40}")
    if pid is not None and pid not in own_processes(child.proc.pid):
        raise ProtocolError(
            f"start: pid {pid} is not the harness nor a process it started: the runner "
            "observes, limits and traces only processes it started"
        )
    return Hello(caps, impl, pid, _probe(child, min(PROBE_TIMEOUT, start_timeout)))


def _probe(child: Child, timeout: float) -> int | None:
    """Is the harness still listening after ``start``? One that answers ``start``
    and nothing else would otherwise cost every test a whole ``timeout``."""
    try:
        size = child.round_trip("pagesize", {}, timeout)
    except (DocumentedFailure, ArgumentError, Unsupported, HarnessError):
        return None  # an answer, whatever it says
    with contextlib.suppress(ProtocolError):
        value = decode_int(size)
        if type(value) is int:
            return value
    return None


def start_failure(exc: BaseException, child: Child) -> str:
    """Why a harness did not start, in one line: a harness that fails to load
    usually says why on its last stderr line."""
    if isinstance(exc, (ImplementationCrashed, ImplementationTimeout)):
        if isinstance(exc, ImplementationTimeout):
            how = f"no answer to {exc.op!r} within {exc.timeout:g} s"
        elif exc.signal is not None:
            how = f"killed by signal {exc.signal}"
        else:
            how = f"exited with code {exc.exitcode}"
        lines = [ln for ln in child.stderr_tail().splitlines() if ln.strip()]
        return f"{how}" + (f": {lines[-1].strip()}" if lines else " (no stderr output)")
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def not_runnable(program: str) -> str | None:
    """Why ``program`` cannot be run, or None. Asked before starting it, because
    the guard starts it, and the guard's failure to would only be an exit status."""
    if shutil.which(program) is not None:
        return None
    if os.sep not in program:
        return f"{os.strerror(errno.ENOENT)} (not found on PATH)"
    return os.strerror(errno.ENOENT if not os.path.exists(program) else errno.EACCES)
