"""A second instance of the implementation, in a process of its own."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from mmapspec.adapters.interface import Adapter


@contextlib.contextmanager
def isolated(adapter: Adapter, timeout: float | None = None) -> Iterator[Adapter]:
    """A second instance of the implementation in a fresh process (see
    ``Adapter.isolated``); ``timeout`` bounds each of its calls."""
    with adapter.isolated(timeout) as other:
        yield other
