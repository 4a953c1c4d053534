"""Safety of tagnames: the shared memory a binding makes is its owner's alone, and what
another user planted under a tagname (a world-writable object: /dev/shm is writable by
every user) is not adopted (a FIFO planted there: ``test_safety_fifo.py``). Seen through the
shared-memory object's owner and mode.

These clauses (``basis="safety"``) are in no sentence of the document, yet every user
of a memory-mapping library counts on them. They are judged like any other, from what
the OS says about the implementation's process; where the OS or the machine cannot
say, a test is skipped and says why.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from mmapspec.adapters.interface import Adapter
from mmapspec.spec.support import (
    Maps,
    os_page,
    pattern,
    require,
    same,
    shm_mode,
    shm_path,
)
from mmapspec.spec.support.tagnames import require_plantable

# ----------------------------------------------------------------------------- made by the binding


@pytest.mark.clause("safety.tagname.owner-only")
def test_tagname_object_is_owner_only(adapter: Adapter, maps: Maps) -> None:
    name = maps.tagname()
    maps.map(None, "w", os_page(), tagname=name)
    mode = shm_mode(name)
    assert mode & 0o077 == 0, (
        f"the shared memory of tagname {name!r} was created with mode {mode:04o}: "
        f"{'readable' if mode & 0o044 else 'usable'} by other users (owner-only is 0600)"
    )


# ----------------------------------------------------------------------------- planted by others


NOBODY = 65534
"""The other user who plants objects: nobody, on Debian and most Linux systems."""


def _planted_path(tag: str, as_another_user: bool = False) -> Path:
    """Where an object planted under ``tag`` goes (/dev/shm/NAME), or a skip saying why
    none can be planted here."""
    require_plantable("planting objects under a tagname needs a directory of them (/dev/shm)")
    if as_another_user and os.geteuid() != 0:
        pytest.skip("planting an object as another user needs root (CI runs as root)")
    path = shm_path(tag)
    assert path is not None, "shared memory shown in a directory, but no path for a tagname"
    return Path(path)


def _plant_as_nobody(path: str, content: bytes) -> None:
    """``path`` created by another user, mode 0666 (exactly: fchmod beats the umask).
    A forked child drops to that user (no exec: the interpreter may live where that
    user cannot read)."""
    pid = os.fork()
    if pid == 0:  # the child: nothing but system calls, then _exit
        code = 1
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
            os.fchmod(fd, 0o666)
            os.write(fd, content)
            os.close(fd)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        pytest.skip(f"cannot create {path} as uid {NOBODY} here")


@pytest.mark.clause("safety.tagname.foreign-refused")
@pytest.mark.parametrize("access", ["", "w"])
def test_another_users_object_is_not_adopted(adapter: Adapter, maps: Maps, access: str) -> None:
    """Another user's world-writable object under the tagname: mapping it would let
    that user read and change what the binding's user keeps there."""
    if access:
        require(adapter, f"access:{access}")
    p = os_page()
    tag = maps.tagname()
    planted = _planted_path(tag, as_another_user=True)
    marker = pattern(p, seed=930)
    _plant_as_nobody(str(planted), marker)
    what = f"map(nil, {access!r}, {p}, nil, nil, {tag!r}) of uid {NOBODY}'s 0666 object"
    outcome = maps.try_map(None, access, p, tagname=tag)
    assert outcome.kind != "value", f"{what}: adopted it ({outcome})"
    st = os.stat(planted)
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (NOBODY, 0o666), (
        f"{what}: owner or mode changed"
    )
    same(planted.read_bytes(), marker, f"{what}: its bytes")
