"""Planted defects: what every deviant binding shares, and the one the bench times.

A deviant binding is the reference adapter with one deliberate defect, the instrument
for "a failure names the promise that is broken, and only that one". :class:`Deviant`
is their base: the reference under the deviant's own name, with one hook per
operation a defect changes. A defect in ``map`` overrides :meth:`Deviant.do_map`
alone, which gets the call's arguments as one :class:`MapCall`; one in ``mirror``
overrides :meth:`Deviant.do_mirror` with a :class:`MirrorCall`. Each maps with
``super().do_map(call)`` (or ``do_mirror``), changed as the defect changes it.

The base ships here because the bench needs a deviant at runtime:
:class:`FilesizeNeverShrinks` is what the ``failing`` bench case times. The project's
own deviants (the verdict, safety and runner tests') live in the source tree's
``tests/deviants/`` and build on this same base.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from mmapspec.adapters.interface import CallForm, FileRef, MapInfo, MirrorInfo
from mmapspec.adapters.reference_adapter import ReferenceAdapter


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


@dataclasses.dataclass(frozen=True)
class MirrorCall:
    """The arguments of one ``mirror`` call, as the adapter interface takes them."""

    file: FileRef | None
    size: int | None
    times: int | None = None
    addr: int | None = None
    form: CallForm = "table"

    def but(self, **changes: Any) -> MirrorCall:
        """The same call with ``changes`` to its arguments (what a defect does to them)."""
        return dataclasses.replace(self, **changes)


class Deviant(ReferenceAdapter):
    """The reference under its own name, so a report says which deviant it judged
    (``deviant:ClassName``, unless the class names itself)."""

    INTENDED: str | tuple[str, ...] = ()
    """The catalogue clause (or clauses) whose promise the defect breaks."""

    def __init__(self) -> None:
        super().__init__()
        if self.name == ReferenceAdapter.name:
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

    def mirror(
        self,
        file: FileRef | None,
        size: int | None,
        times: int | None = None,
        addr: int | None = None,
        *,
        form: CallForm = "table",
    ) -> MirrorInfo:
        return self.do_mirror(MirrorCall(file, size, times, addr, form))

    def do_mirror(self, call: MirrorCall) -> MirrorInfo:
        """The reference's ``mirror`` with ``call``'s arguments."""
        return super().mirror(call.file, call.size, call.times, call.addr, form=call.form)


class FilesizeNeverShrinks(Deviant):
    """``filesize(file, size)`` never truncates: it returns ``size`` but a larger file
    keeps its size.

    The binding sets a size through its growing path only (``posix_fallocate``, which
    reserves blocks but never shrinks a file) and skips the call when the file is
    already large enough. Growing works; truncating silently does nothing.

    The defect is one the spec's stateful model (``spec/test_model.py``) runs into under
    the CI profile: a file resized while nothing maps it, then mapped or read again
    (with shrinking, as in the dev profile, Hypothesis then minimises the sequence of
    operations that showed it, which took minutes). How long such a failing run takes,
    next to a passing run of the same adapter, is the bench's measure of "a failing
    run is fast". Selected as ``mmapspec.bench.deviant:FilesizeNeverShrinks``; the
    project's verdict tests judge the same class.
    """

    INTENDED = "filesize.set.resizes"
    name = "filesize-never-shrinks"

    def filesize(self, file: FileRef, size: int | None = None) -> int:
        if (
            size is not None
            and file.kind == "name"
            and os.path.isfile(file.path)
            and size < os.path.getsize(file.path)
        ):
            return size  # the defect: the file keeps its size
        return super().filesize(file, size)
