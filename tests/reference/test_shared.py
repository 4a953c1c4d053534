"""Tagged shared memory (real POSIX shm, real child processes) and unlink."""

from __future__ import annotations

import os
import stat
import sys
from typing import Any

import pytest
from mmapspec import reference as mm

SHM = "/dev/shm"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/dev/shm is Linux")


def test_same_tagname_in_another_process_is_the_same_memory(tagname: str, run_child: Any) -> None:
    with mm.map(None, "w", 4096, 0, None, tagname) as m:
        m[0:5] = b"hello"
        r = run_child(f"""
            from mmapspec import reference as mm
            with mm.map(tagname={tagname!r}, access='w') as m:
                assert m.size == 4096, m.size
                print(m[0:5].decode())
                m[0:5] = b"world"
        """)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "hello"
        assert m[0:5] == b"world"


def test_same_tagname_twice_in_one_process(tagname: str) -> None:
    with mm.map(tagname=tagname, access="w", size=100) as a, mm.map(tagname=tagname) as b:
        a[0:2] = b"ok"
        # Windows tells a section's size in whole pages (4 KiB): see _windows.py.
        assert b.size == (4096 if sys.platform == "win32" else 100)
        assert b[0:2] == b"ok" and a.addr != b.addr


@linux_only
def test_shared_memory_is_owner_only(tagname: str) -> None:
    with mm.map(tagname=tagname, access="w", size=10):
        mode = stat.S_IMODE(os.stat(os.path.join(SHM, tagname)).st_mode)
    assert mode == 0o600


def test_missing_tagname_read_only_is_no_file(tagname: str) -> None:
    with pytest.raises(mm.MmapError) as ei:
        mm.map(tagname=tagname, size=10)
    assert ei.value.errcode == "no_file" and tagname in str(ei.value)


@linux_only
def test_missing_tagname_created_empty_is_file_too_short_and_removed(tagname: str) -> None:
    with pytest.raises(mm.MmapError) as ei:
        mm.map(tagname=tagname, access="w")
    assert ei.value.errcode == "file_too_short"
    assert not os.path.exists(os.path.join(SHM, tagname))


@linux_only
def test_unlink_removes_and_keeps_live_maps(tagname: str) -> None:
    m = mm.map(tagname=tagname, access="w", size=10)
    m[0:1] = b"k"
    m.unlink()
    assert not os.path.exists(os.path.join(SHM, tagname))
    assert m[0:1] == b"k"  # the mapping is unaffected
    m.free()
    mm.unlink(tagname)  # a missing object is not an error
    with pytest.raises(mm.MmapError) as ei:
        mm.map(tagname=tagname)
    assert ei.value.errcode == "no_file"


def test_unlink_of_untagged_map_and_bad_names() -> None:
    with mm.map(size=10) as m, pytest.raises(ValueError, match="no tagname"):
        m.unlink()
    for bad, rule in [("a/b", "'/'"), ("", "empty"), ("x" * 300, "at most"), (".", "'.'")]:
        with pytest.raises(ValueError, match=rule):
            mm.unlink(bad)
    with pytest.raises(TypeError, match="tagname must be a str"):
        mm.unlink(b"x")  # type: ignore[arg-type]
