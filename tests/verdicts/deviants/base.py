"""What every deviant binding shares: the reference adapter under the deviant's own
name, one hook for the arguments of ``map`` (:class:`MapCall`), and the OS calls a
defect makes directly (Linux's libc)."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from mmapspec.adapters.interface import CallForm, DocumentedFailure, FileRef, MapInfo
from mmapspec.adapters.reference_adapter import ReferenceAdapter
from mmapspec.bench.libc import libc as native_libc

libc = native_libc()


def os_failure(err: int, call: str) -> DocumentedFailure:
    """What a binding returns for an OS error it does not translate: the number."""
    return DocumentedFailure(err, f"{call}: {os.strerror(err)}")


@dataclasses.dataclass(frozen=True)
class MapCall:
    """The arguments of one ``map`` call, as the adapter interface takes them."""

    file: FileRef | None = None
    access: str | None = None
    size: int | None = None
    offset: int | None = None
    addr: int | None = None
    tagname: str | None = None
    form: CallForm = "table"

    def but(self, **changes: Any) -> MapCall:
        """The same call with ``changes`` to its arguments (what a defect does to them)."""
        return dataclasses.replace(self, **changes)


class Deviant(ReferenceAdapter):
    """The reference under its own name, so a report says which deviant it judged.

    A defect in ``map`` overrides :meth:`do_map` alone, which gets the call's
    arguments as one :class:`MapCall` and maps with ``super().do_map(call)``."""

    INTENDED: str | tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__()
        self.name = f"deviant:{type(self).__name__}"

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
        return self.do_map(MapCall(file, access, size, offset, addr, tagname, form))

    def do_map(self, call: MapCall) -> MapInfo:
        """The reference's ``map`` with ``call``'s arguments."""
        return super().map(
            call.file,
            call.access,
            call.size,
            call.offset,
            call.addr,
            call.tagname,
            form=call.form,
        )
