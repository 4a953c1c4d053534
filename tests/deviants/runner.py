"""Deviants for the runner's own tests (``tests/conformance``): CPython's mmap through
the stdlib adapter, with one deliberate defect each, on real files and memory.

``DeviantAdapter``'s ``pagesize()`` reports half the allocation granularity: maps at
an offset that is a multiple of that "page size" but not of the real one fail with
EINVAL from the kernel. ``RaisingAdapter`` and ``NoReadOnlyFileAdapter`` make errors
the runner must tell apart (the implementation's, the suite's own). Selected as
``tests.deviants.runner:NAME`` with the repository's root on ``PYTHONPATH``.
"""

from __future__ import annotations

from typing import Any

from mmapspec.adapters.interface import ArgumentError
from mmapspec.adapters.stdlib import StdlibAdapter


class DeviantAdapter(StdlibAdapter):
    name = "deviant"

    def __init__(self, module: str = "mmap") -> None:
        super().__init__(module)
        self.name = "deviant"

    def pagesize(self) -> int:
        return super().pagesize() // 2


class RaisingAdapter(StdlibAdapter):
    """CPython's mmap whose ``free`` has a bug that raises AttributeError, as an
    adapter that forgot to convert an error would: the implementation's failure.
    (Not ``pagesize``, which the pipe asks once when its harness starts.)"""

    name = "raising"

    def free(self, handle: int) -> None:
        raise AttributeError("'NoneType' object has no attribute 'close'")


class NoReadOnlyFileAdapter(StdlibAdapter):
    """CPython's mmap that refuses every read-only map of a file (access ``''``): the
    spec's stateful model then finds no file kind it can map with ``''`` and has
    nothing to draw from (Hypothesis raises InvalidArgument in the suite's own
    code). That is the suite's error, never a failure of the model's clauses."""

    name = "no-read-only-file"

    def map(self, file: Any = None, access: str | None = None, *args: Any, **kw: Any) -> Any:
        if file is not None and not access:
            raise ArgumentError("read-only file maps are refused")
        return super().map(file, access, *args, **kw)
