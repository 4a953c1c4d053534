"""A real implementation with one deliberate deviation, for the runner's own tests.

``DeviantAdapter`` is CPython's mmap through the stdlib adapter, except that its
``pagesize()`` reports half the allocation granularity: maps at an offset that is
a multiple of that "page size" but not of the real one fail with EINVAL from the
kernel. Everything else is the real thing, on real files and memory.
"""

from __future__ import annotations

from mmapspec.adapters.stdlib import StdlibAdapter


class DeviantAdapter(StdlibAdapter):
    name = "deviant"

    def __init__(self, module: str = "mmap") -> None:
        super().__init__(module)
        self.name = "deviant"

    def pagesize(self) -> int:
        return super().pagesize() // 2


class RaisingAdapter(StdlibAdapter):
    """CPython's mmap whose ``pagesize`` has a bug that raises AttributeError, as an
    adapter that forgot to convert an error would: the implementation's failure."""

    name = "raising"

    def pagesize(self) -> int:
        raise AttributeError("'NoneType' object has no attribute 'page_size'")
