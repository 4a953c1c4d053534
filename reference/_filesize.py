"""``filesize(file)`` and ``filesize(file, size)``."""

from __future__ import annotations

from typing import Any

from ._args import as_int, check_range
from ._errors import os_failure
from ._files import discard, open_file, release
from ._grow import grow
from ._platform import OsCallError, backend


def filesize(file: Any, size: int | None = None) -> int:
    """Get the size of ``file`` in bytes, or with ``size`` set it and return it.

    ``file`` is a filename, a file descriptor or a file object (its write buffer is
    flushed first, so buffered writes count). Getting fails with ``'not_found'``
    for a missing file; setting creates a missing file, keeps the data up to
    ``size`` when truncating, reserves the blocks when enlarging (the new bytes
    are undefined: zeros here) and fails with ``'disk_full'`` when the disk is
    full, leaving the size as it was (and removing a file it created). Other
    failures carry the OS error number. Do not resize a file while it is mapped.

    Only regular files have a size (a block device's is the device's, and cannot
    be set): a directory fails with ``EISDIR``, a FIFO or socket with ``ESPIPE``
    (never waiting on a FIFO), a character device with ``EINVAL``.
    """
    if file is None:
        raise ValueError("file: the file to query or resize is required")
    if size is None:
        opened = open_file(file, False, "open_filesize", "filesize")
        try:
            return backend.file_size(opened.f)
        except OsCallError as e:
            raise os_failure(
                e, "open_filesize", f"filesize: cannot stat {opened.label}", opened.path
            ) from None
        finally:
            release(opened)
    size = check_range("size", as_int("size", size), 0, ">= 0")
    opened = open_file(file, True, "reserve", "filesize")
    try:
        old = backend.file_size(opened.f)
        if size > old:  # grown as a map grows its file: a full disk is 'disk_full' here
            grow(opened, old, old, size, "filesize")
        elif size < old:
            backend.truncate(opened.f, size)
    except OsCallError as e:
        discard(opened)
        raise os_failure(
            e, "reserve", f"filesize: cannot set the size of {opened.label} to {size}", opened.path
        ) from None
    except BaseException:
        discard(opened)
        raise
    release(opened)
    return size
