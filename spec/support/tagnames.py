"""Tagnames: unique names for a run's shared memory, and that memory as the OS shows it.

Every tagname a test makes starts with the run's prefix, so that the runner can
remove them all through the OS at the end, whatever the binding's ``unlink`` did.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import sys
import uuid
from pathlib import Path

import pytest
from mmapspec.spec.support.files import pread

RUN_PREFIX_VARIABLE = "MMAPSPEC_RUN_PREFIX"
"""Set by the runner for the whole run (workers and harnesses inherit it): every
tagname a test makes starts with it, so that the runner can remove them all through
the OS at the end, whatever the binding's ``unlink`` did."""


def tagname_prefix() -> str:
    return os.environ.get(RUN_PREFIX_VARIABLE, "mmapspec-")


def new_tagname() -> str:
    """A tagname no other test (or helper running the suite at the same time) uses."""
    return f"{tagname_prefix()}{uuid.uuid4().hex}"


def remove_tagname_through_os(name: str) -> None:
    """Remove a tagname's shared memory without asking the binding: on Linux the
    object is the file /dev/shm/NAME; elsewhere POSIX shm_unlink. Absent is fine."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(shm_path(name))
    elif os.name == "posix":  # macOS: no file system view of shared memory
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.shm_unlink(f"/{name}".encode())


def remove_tagnames_by_prefix(prefix: str) -> list[str]:
    """Remove every shared-memory object whose name starts with ``prefix`` (Linux:
    /dev/shm). Returns the names removed."""
    removed: list[str] = []
    shm = Path("/dev/shm")
    if not prefix or not shm.is_dir():
        return removed
    for entry in shm.iterdir():
        if entry.name.startswith(prefix):
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
                removed.append(entry.name)
    return removed


def shm_path(tagname: str) -> str:
    """Where Linux shows the shared memory of a tagname (the doc's "shared memory file")."""
    return f"/dev/shm/{tagname}"


def require_shm(why: str) -> None:
    """Skip, saying ``why``, unless this OS shows shared memory as files (Linux's
    /dev/shm)."""
    if not sys.platform.startswith("linux") or not os.path.isdir("/dev/shm"):
        pytest.skip(why)


def shm_mode(tagname: str) -> int:
    """The permission bits of a tagname's shared-memory object, or a skip where this
    OS gives no way to read them."""
    if sys.platform.startswith("linux"):
        return os.stat(shm_path(tagname)).st_mode & 0o777
    if sys.platform == "darwin":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.shm_open.argtypes = [ctypes.c_char_p, ctypes.c_int]
        libc.shm_open.restype = ctypes.c_int
        fd = libc.shm_open(f"/{tagname}".encode(), os.O_RDONLY)
        if fd < 0:
            err = ctypes.get_errno()
            raise AssertionError(f"shm_open of {tagname!r} failed: {os.strerror(err)}")
        try:
            return os.fstat(fd).st_mode & 0o777
        finally:
            os.close(fd)
    pytest.skip(
        f"the mode of shared memory is checked on Linux and macOS only; {sys.platform} "
        "has no POSIX shared-memory objects to stat"
    )


def shm_exists(tagname: str) -> bool:
    """Whether the shared memory object of a tagname exists, asked of the OS (on Linux
    the file /dev/shm/NAME). Skips, saying why, where the OS shows no such file."""
    require_shm("shared memory objects are seen through /dev/shm on Linux only")
    return os.path.exists(shm_path(tagname))


def shm_bytes(tagname: str, length: int) -> bytes:
    """The first ``length`` bytes of a tagname's shared memory, read through the OS."""
    if not shm_exists(tagname):
        raise AssertionError(f"no shared memory object {shm_path(tagname)}")
    return pread(Path(shm_path(tagname)), 0, length)
