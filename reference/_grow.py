"""Growing a file to the size a map or a mirror needs, and putting its size back when
the mapping then fails: one place, shared by :func:`map` and :func:`mirror`, so that
neither leaves a file longer than it found it (COORD reading 9: no debris)."""

from __future__ import annotations

from ._args import OFF_MAX
from ._errors import failure, os_failure
from ._files import Opened
from ._platform import OsCallError, OsFile, backend


def size_of(opened: Opened, func: str) -> int:
    """The file's size: known from checking its kind (a regular file), else asked for."""
    if opened.size is not None:
        return opened.size
    try:
        return backend.file_size(opened.f)
    except OsCallError as e:
        raise os_failure(
            e, "open", f"{func}: cannot get the size of {opened.label}", opened.path
        ) from None


def grow(opened: Opened, fsize: int, start: int, end: int, func: str) -> None:
    """Extend a file of ``fsize`` bytes to ``end`` bytes, reserving the blocks from
    ``max(start, fsize)`` (the ones a map from ``start`` uses), so that a full disk
    fails here with ``'disk_full'`` rather than as SIGBUS at first touch. On failure
    the file is put back to ``fsize``; after a later failure, call :func:`restore`."""
    if end > OFF_MAX:  # no file can be that large (and off_t would overflow)
        raise failure(
            "disk_full",
            f"{func}: {opened.label} cannot be extended to {end} bytes "
            "(larger than the largest file size)",
            opened.path,
        )
    try:
        backend.reserve(opened.f, max(start, fsize), end)
    except OsCallError as e:
        restore(opened.f, fsize)
        raise os_failure(
            e, "reserve", f"{func}: cannot extend {opened.label} to {end} bytes", opened.path
        ) from None


def restore(f: OsFile, size: int) -> None:
    """Put a file back to its original size after a failed extension (best effort)."""
    try:
        if backend.file_size(f) != size:
            backend.truncate(f, size)
    except OsCallError:
        pass  # the original failure is the one to report
