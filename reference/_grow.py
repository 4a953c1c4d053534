"""Growing a file to the size a map or a mirror needs, without ever shrinking one: one
place, shared by :func:`map`, :func:`mirror` and ``filesize(f, size)``.

A failing map leaves every file as it was (the safety clause
``safety.files.untouched-after-failure``), and it does so by checking whatever can fail
*before* the new size becomes visible, so that there is nothing to undo:

* the size itself: a file cannot be made larger than the largest file size
  (:func:`check_growable`, before anything else);
* the requested address: where the OS maps a file's range past its end (POSIX), the
  file is mapped first (:data:`MAPS_PAST_END`), which takes the address or fails with
  ``out_of_mem``; the file is grown only once the map (or every copy of a mirror)
  exists, and nobody touches those pages before;
* the disk space: :meth:`Backend.reserve` reserves the blocks, then moves the end of
  file over them, so that a full disk fails before the size changes (Linux:
  ``fallocate`` with ``FALLOC_FL_KEEP_SIZE``, then mode 0, which only ever extends).
  What a failed reservation may leave (ext4 keeps the blocks it did allocate, past the
  end of file) changes neither the size nor the bytes; the space is freed when the file
  is truncated or removed.

Growing and then truncating back on failure is no way out: another process appending to
the file between the two loses what it wrote, and one that mapped the grown file dies of
SIGBUS. Only where the OS grows a file as it maps it (Windows: ``CreateFileMapping`` of
a range past the end) is the file grown before it is mapped, and only once a requested
address was found free (:meth:`Backend.check_unused`); if the map still fails (another
thread took the address in between), :func:`put_back` shrinks the file only if it is
exactly as this call left it. That check cannot be made race-free: no system call sets a
file's size on condition that it still has a given size (there is no compare-and-swap on
a size), and a lock binds only writers that take it too. What is left is a window of two
system calls (read the size, set it) in which another writer's growth would be lost; a
writer that came before the check is seen and its bytes are kept. A file this call
created is not shrunk but removed, by the caller
(:func:`mmapspec.reference._files.discard`).
"""

from __future__ import annotations

from ._args import OFF_MAX
from ._errors import failure, os_failure
from ._files import Opened
from ._platform import OsCallError, OsFile, backend

MAPS_PAST_END = backend.name != "windows"
"""Whether a file's range past its end can be mapped before the file grows (POSIX: the
pages past the end would raise SIGBUS if touched, and nobody touches them before the
file is grown). Windows' ``CreateFileMapping`` grows the file itself instead."""


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


def check_growable(opened: Opened, end: int, func: str) -> None:
    """Fail with ``'disk_full'`` before anything happens when no file can be ``end``
    bytes long (and ``off_t`` would overflow)."""
    if end > OFF_MAX:
        raise failure(
            "disk_full",
            f"{func}: {opened.label} cannot be extended to {end} bytes "
            "(larger than the largest file size)",
            opened.path,
        )


def grow(opened: Opened, fsize: int, start: int, end: int, func: str) -> None:
    """Extend a file of ``fsize`` bytes to ``end`` bytes, reserving the blocks from
    ``max(start, fsize)`` (the ones a map from ``start`` uses), so that a full disk
    fails here with ``'disk_full'`` rather than as SIGBUS at first touch. A failure
    leaves the size as it was: the backend reserves before it extends."""
    check_growable(opened, end, func)
    try:
        backend.reserve(opened.f, max(start, fsize), end)
    except OsCallError as e:
        raise os_failure(
            e, "reserve", f"{func}: cannot extend {opened.label} to {end} bytes", opened.path
        ) from None


def put_back(f: OsFile, size: int, grown_to: int) -> None:
    """After a map that failed once the file was grown to ``grown_to`` (Windows only):
    shrink it back to ``size`` if it is still exactly ``grown_to`` bytes long, the
    size this call left it at; a file another writer has changed since is left alone.
    Not race-free (see the module's docstring); best effort, the map's failure is
    what the caller reports."""
    try:
        if backend.file_size(f) == grown_to:
            backend.truncate(f, size)
    except OsCallError:
        pass
