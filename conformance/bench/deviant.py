"""A binding with one defect in a stateful path: what the ``failing`` bench case times.

The defect is one the spec's stateful model (``spec/test_model.py``) runs into under
the CI profile: a file resized while nothing maps it, then mapped or read again
(with shrinking, as in the dev profile, Hypothesis then minimises the sequence of
operations that showed it, which took minutes). How long such a
failing run takes, next to a passing run of the same adapter, is the bench's
measure of "a failing run is fast".

Selected as ``mmapspec.bench.deviant:FilesizeNeverShrinks``; the project's verdict
tests (``tests/verdicts``) use the same class.
"""

from __future__ import annotations

import os

from mmapspec.adapters.interface import FileRef
from mmapspec.adapters.reference_adapter import ReferenceAdapter


class FilesizeNeverShrinks(ReferenceAdapter):
    """``filesize(file, size)`` never truncates: it returns ``size`` but a larger file
    keeps its size.

    The binding sets a size through its growing path only (``posix_fallocate``, which
    reserves blocks but never shrinks a file) and skips the call when the file is
    already large enough. Growing works; truncating silently does nothing.
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
