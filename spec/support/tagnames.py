"""Tagnames: unique names for a run's shared memory, and that memory as the OS shows it
(Linux: the file /dev/shm/NAME; macOS: a POSIX shared-memory object; Windows: a named
section in the session's ``Local\\`` namespace). Each OS's way is in :mod:`.platforms`.

Every tagname a test makes starts with the run's prefix, so that the runner can
remove them all through the OS at the end, whatever the binding's ``unlink`` did.
"""

from __future__ import annotations

import os
import uuid

import pytest
from mmapspec.spec.support.platforms import current

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
    """Remove a tagname's shared memory without asking the binding (Linux: the file
    /dev/shm/NAME; macOS: shm_unlink; Windows: nothing to remove). Absent is fine."""
    current.remove_tagname(name)


def remove_tagnames_by_prefix(prefix: str) -> list[str]:
    """Remove every shared-memory object whose name starts with ``prefix`` where the
    OS can list them (Linux: /dev/shm). Returns the names removed."""
    return current.remove_tagnames_by_prefix(prefix)


def shm_path(tagname: str) -> str | None:
    """The file that is a tagname's shared memory (Linux: /dev/shm/NAME, the doc's
    "shared memory file"), or None where the OS shows it as no file."""
    return current.tagname_path(tagname)


def shm_name(tagname: str) -> str:
    """A tagname's shared memory as messages name it."""
    return shm_path(tagname) or f"the shared memory of tagname {tagname!r}"


def shm_seen() -> bool:
    """Whether the OS shows whether a tagname's shared memory exists and what it holds."""
    return current.tagname_unseen() is None


def require_shm(why: str) -> None:
    """Skip unless the OS shows whether a tagname's shared memory exists, saying
    ``why`` it is needed and why it cannot be had."""
    unseen = current.tagname_unseen()
    if unseen is not None:
        pytest.skip(f"{why}: {unseen}")


def require_plantable(why: str) -> None:
    """Skip unless anyone can put an object of their own (a FIFO, another user's file)
    under a tagname, as in Linux's /dev/shm, saying ``why`` it is needed."""
    unplantable = current.tagnames_unplantable()
    if unplantable is not None:
        pytest.skip(f"{why}: {unplantable}")


def tagnames_are_kept() -> str | None:
    """None where a tagname's memory is a file kept until removed (Linux, macOS: "a file
    is created on the filesystem"); else why not (Windows: "not so on Windows")."""
    return current.tagnames_are_kept()


def require_kept_tagnames() -> None:
    """Skip where a tagname's memory is no file to be removed (Windows), saying so."""
    why = tagnames_are_kept()
    if why is not None:
        pytest.skip(why)


def shm_mode(tagname: str) -> int:
    """The permission bits of a tagname's shared-memory object, or a skip where the OS
    gives no such bits."""
    unseen = current.tagname_mode_unseen()
    if unseen is not None:
        pytest.skip(unseen)
    return current.tagname_mode(tagname)


def shm_exists(tagname: str) -> bool:
    """Whether the shared memory of a tagname exists, asked of the OS. Skips, saying
    why, where the OS cannot tell."""
    require_shm("whether shared memory exists is asked of the OS")
    return current.tagname_exists(tagname)


def shm_bytes(tagname: str, length: int) -> bytes:
    """The first ``length`` bytes of a tagname's shared memory, read through the OS."""
    require_shm("shared memory is read through the OS")
    got = current.tagname_bytes(tagname, length)
    if got is None:
        raise AssertionError(f"no shared memory object: {shm_name(tagname)}")
    return got
