"""The pipe adapter: any implementation, in any language, in a child process.

The child is a *harness* that speaks the line-delimited JSON protocol of
``PROTOCOL.md`` on its stdin and stdout (its stderr is free for logs). This module
is the runner's end of that protocol:

* :class:`PipeAdapter` runs a command (``--adapter pipe --adapter-option
  pipe_cmd='luajit adapters/lua/harness.lua'``), performs the ``start`` handshake,
  and turns every :class:`~mmapspec.adapters.interface.Adapter` method into
  exactly one request.
* Every request has a deadline and every response line a length limit. A child
  that does not answer in time is killed and the operation raises
  :class:`ImplementationTimeout`; one that answers too much or nonsense is killed
  and it raises :class:`ProtocolError`. The run never hangs and its memory stays
  bounded.
* Those, and a harness's own ``harness_error``, are
  :class:`~mmapspec.adapters.interface.HarnessFailure`: the machinery failed, not
  the binding. After one, the adapter is *failed* until :meth:`PipeAdapter.begin_test`:
  every call raises the same failure at once and no child is started, so neither
  the test nor Hypothesis's replays and shrinking pay for the broken harness again.
* A child that dies during an operation (the doc promises crashes for some
  misuses) raises :class:`~mmapspec.adapters.interface.ImplementationCrashed` for
  that operation. The next operation of the same test (or Hypothesis example)
  starts a fresh child, up to :data:`MAX_CRASHES_PER_TEST` children a test;
  handles of the dead child are rejected with an :class:`ArgumentError` naming why.
* On POSIX every child is started through a guard (``_guard.py``) that kills it,
  and all it started, when the runner dies, however it dies.
* :func:`serve_isolated` gives the spec's ``isolated()`` a second instance of an
  implementation in its own process.

Where each part lives:

* ``codec.py``: the messages (integers, files, capabilities, bytes), line limits,
  what a response means, and the schema of validating mode;
* ``channel.py`` and ``poll_channel.py``: lines to and from a child with deadlines
  (``poll`` on POSIX, reader and writer threads on Windows);
* ``child.py``: one harness process: started behind the guard, one request's
  round trip, killed with all it started, its stderr's tail;
* ``startup.py``: the handshake, and why a harness did not start;
* ``failures.py`` and ``child_handles.py``: what stands failed for the rest of a test,
  and the handles tests see;
* ``client.py``: :class:`PipeAdapter`; ``serving.py``: the Python harness's
  command for an in-process adapter, and :func:`serve_isolated`.
"""

from __future__ import annotations

from pathlib import Path

from mmapspec.adapters.pipe.client import PipeAdapter
from mmapspec.adapters.pipe.codec import (
    LINE_LIMIT,
    PROTOCOL_VERSION,
    decode_capabilities,
    encode_capabilities,
    schema,
    schema_violation,
)
from mmapspec.adapters.pipe.errors import HarnessError, ImplementationTimeout, ProtocolError
from mmapspec.adapters.pipe.failures import MAX_CRASHES_PER_TEST
from mmapspec.adapters.pipe.serving import harness_command, serve_isolated
from mmapspec.adapters.pipe.startup import PROBE_TIMEOUT

LUA_HARNESS = Path(__file__).resolve().parent.parent / "lua" / "harness.lua"
"""The LuaJIT harness shipped with the package: ``luajit {LUA_HARNESS} [MODULE]``."""

__all__ = [
    "LINE_LIMIT",
    "LUA_HARNESS",
    "MAX_CRASHES_PER_TEST",
    "PROBE_TIMEOUT",
    "PROTOCOL_VERSION",
    "HarnessError",
    "ImplementationTimeout",
    "PipeAdapter",
    "ProtocolError",
    "decode_capabilities",
    "encode_capabilities",
    "harness_command",
    "schema",
    "schema_violation",
    "serve_isolated",
]
