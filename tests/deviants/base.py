"""What the test deviants share: the shipped base (:class:`Deviant`, with its
``do_map`` and ``do_mirror`` hooks and :class:`MapCall`, :class:`MirrorCall`, from
``mmapspec.bench.deviant``), and the OS calls a defect makes directly (Linux's libc)."""

from __future__ import annotations

import os

from mmapspec.adapters.interface import DocumentedFailure
from mmapspec.bench.deviant import Deviant, MapCall, MirrorCall
from mmapspec.bench.libc import libc as native_libc

__all__ = ["Deviant", "MapCall", "MirrorCall", "libc", "os_failure"]

libc = native_libc()


def os_failure(err: int, call: str) -> DocumentedFailure:
    """What a binding returns for an OS error it does not translate: the number."""
    return DocumentedFailure(err, f"{call}: {os.strerror(err)}")
