"""Whether a file's pages have reached the disk, asked of Linux (cachestat(2)): the one
witness, seen from outside the binding, that a flush did its work."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

from mmapspec.spec.support.files import new_paged_file
from mmapspec.spec.support.pages import os_page
from mmapspec.spec.support.platforms import current

_CACHESTAT = 451
"""cachestat(2)'s number, the same on every Linux architecture (Linux 6.5 and later)."""
_witness_by_device: dict[int, bool] = {}


class _Range(ctypes.Structure):
    _fields_ = [("off", ctypes.c_uint64), ("len", ctypes.c_uint64)]


class _Stat(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_uint64)
        for name in ("cache", "dirty", "writeback", "evicted", "recently_evicted")
    ]


def _cachestat(fd: int, offset: int, length: int) -> int | None:
    """Pages of ``[offset, offset + length)`` dirty or under writeback, or None."""
    libc = ctypes.CDLL(None, use_errno=True)
    stat = _Stat()
    rng = _Range(offset, length)
    if libc.syscall(_CACHESTAT, fd, ctypes.byref(rng), ctypes.byref(stat), 0) != 0:
        return None
    return int(stat.dirty + stat.writeback)


def _dirty_pages_are_witnessed(directory: Path) -> bool:
    """Whether cachestat tells written pages from flushed ones on this filesystem
    (not on tmpfs, where nothing is ever written back; not before Linux 6.5)."""
    probe = new_paged_file(directory, b"\0" * os_page(), os_page())
    try:
        fd = os.open(probe, os.O_RDWR)
        try:
            os.write(fd, b"x")
            before = _cachestat(fd, 0, os_page())
            os.fsync(fd)
            return before == 1 and _cachestat(fd, 0, os_page()) == 0
        finally:
            os.close(fd)
    finally:
        probe.unlink()


def dirty_pages(path: Path, offset: int, length: int) -> int | None:
    """How many pages of the file in ``[offset, offset + length)`` the OS has not yet
    written to disk (dirty or under writeback), or None where the OS cannot say
    (cachestat(2): Linux 6.5 and later, on a filesystem that writes back). The one
    witness, seen from outside the binding, that a flush reached the disk."""
    if not current.cachestat_possible():
        return None
    device = path.stat().st_dev
    if device not in _witness_by_device:
        _witness_by_device[device] = _dirty_pages_are_witnessed(path.parent)
    if not _witness_by_device[device]:
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        return _cachestat(fd, offset, length)
    finally:
        os.close(fd)
