"""A second instance of the implementation, in a process of its own."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from mmapspec.adapters.interface import Adapter, Unsupported
from mmapspec.adapters.pipe import PipeAdapter, serve_isolated


@contextlib.contextmanager
def isolated(adapter: Adapter, timeout: float | None = None) -> Iterator[Adapter]:
    """A second instance of the implementation in a fresh process, stopped when the
    context exits; ``timeout`` bounds each of its calls (seconds; default the pipe's).

    For clauses about several processes and for the documented crashes: an operation
    that kills that process raises ``ImplementationCrashed`` in the test and never
    takes the runner down. A pipe adapter starts its own command again; any other
    adapter is served from the spec it was loaded from by the Python harness."""
    if isinstance(adapter, PipeAdapter):
        with adapter.isolated(timeout) as other:
            yield other
        return
    if adapter.spec is None:
        raise Unsupported("isolated: adapter was not created by mmapspec.adapters.load")
    with serve_isolated(adapter.spec, timeout) as other:
        yield other
