"""A binding with one defect in a stateful path: what the ``failing`` bench case times.

The defect only shows after a sequence of operations (write to a copy-on-write map,
free it, look at the file), the kind the spec's stateful model finds and Hypothesis
then shrinks. How long a failing run takes, next to a passing run of the same
adapter, is the bench's measure of "a failing run is fast".

Selected as ``mmapspec.bench.deviant:CowWritesBackOnFree``; the project's verdict
tests (``tests/verdicts``) use the same class.
"""

from __future__ import annotations

import os

from mmapspec.adapters.interface import CallForm, FileRef, Handle, MapInfo
from mmapspec.adapters.reference import ReferenceAdapter


class CowWritesBackOnFree(ReferenceAdapter):
    """``free()`` writes a copy-on-write map's bytes back into its file.

    The binding writes a map's bytes back through the file before unmapping it when
    the map has write access, and its test of write access reads
    ``access in ("w", "c")`` where ``("w", "wx")`` was meant. A ``'c'`` map's private
    writes therefore reach the file, but only once it is freed: until then the
    file, and every other map of it, are as the document says.
    """

    INTENDED = "map.access.c"
    name = "cow-writes-back-on-free"

    def __init__(self) -> None:
        super().__init__()
        self._write_back: dict[Handle, tuple[str, int, int]] = {}
        """Handle -> (path, offset, size) of the maps whose bytes free() writes back."""

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
        info = super().map(file, access, size, offset, addr, tagname, form=form)
        if file is not None and access in ("w", "c"):  # the defect: "c" meant "wx"
            self._write_back[info.handle] = (file.path, offset or 0, info.size)
        return info

    def free(self, handle: Handle) -> None:
        back = self._write_back.pop(handle, None)
        if back is not None:
            path, offset, size = back
            data = self.read(handle, 0, size)
            fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
            try:
                os.pwrite(fd, data, offset)
            finally:
                os.close(fd)
        super().free(handle)
