"""Adapters whose machinery fails, for the runner's tests of runs that cannot finish.

``BrokenHarnessAdapter`` is CPython's mmap through the stdlib adapter, except that
every ``map`` and ``pagesize`` raises :class:`HarnessTimeout`, a
:class:`~mmapspec.adapters.interface.HarnessFailure` as the pipe adapter raises
when its harness stops answering. ``HangingAdapter`` blocks in ``map`` instead,
after creating the file named by its ``marker`` option, so that a test knows a
spec test is running before it interrupts the run.
"""

from __future__ import annotations

import time
from pathlib import Path

from mmapspec.adapters.interface import CallForm, FileRef, HarnessFailure, MapInfo
from mmapspec.adapters.stdlib import StdlibAdapter


class HarnessTimeout(HarnessFailure):
    """What a harness that stopped answering looks like to the runner."""


class BrokenHarnessAdapter(StdlibAdapter):
    def __init__(self, module: str = "mmap") -> None:
        super().__init__(module)
        self.name = "broken-harness"

    def pagesize(self) -> int:
        raise HarnessTimeout("harness did not answer 'pagesize' within 1 s")

    def map(
        self,
        file: FileRef | None = None,
        access: str | None = None,
        size: int | None = None,
        offset: int | None = None,
        addr: int | None = None,
        tagname: str | None = None,
        *,
        form: CallForm = "table",
    ) -> MapInfo:
        raise HarnessTimeout("harness did not answer 'map' within 1 s")


class HangingAdapter(StdlibAdapter):
    def __init__(self, marker: str, module: str = "mmap") -> None:
        super().__init__(module)
        self.name = "hanging"
        self.marker = Path(marker)

    def map(
        self,
        file: FileRef | None = None,
        access: str | None = None,
        size: int | None = None,
        offset: int | None = None,
        addr: int | None = None,
        tagname: str | None = None,
        *,
        form: CallForm = "table",
    ) -> MapInfo:
        self.marker.touch()
        time.sleep(3600)
        raise AssertionError("a test interrupted the run long before this")
