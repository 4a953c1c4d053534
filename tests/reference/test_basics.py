"""The reference's own tests: anonymous and file maps, access modes, free, flush,
filesize and the alignment helpers, against real files in temporary directories."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
from mmapspec import reference as mm

PS = mm.pagesize()


@pytest.mark.skipif(
    sys.platform == "win32", reason="the allocation granularity there: test_windows_run.py"
)
def test_pagesize_is_the_os_page_size() -> None:
    assert os.sysconf("SC_PAGESIZE") == PS


@pytest.mark.parametrize(
    ("n", "right", "left"),
    [(0, 0, 0), (1, PS, 0), (PS - 1, PS, 0), (PS, PS, PS), (PS + 1, 2 * PS, PS)],
)
def test_aligned_size_and_addr(n: int, right: int, left: int) -> None:
    assert mm.aligned_size(n) == right == mm.aligned_size(n, "right")
    assert mm.aligned_size(n, "left") == left
    assert mm.aligned_addr(n) == right
    assert mm.aligned_addr(n, "left") == left


@pytest.mark.parametrize("bad", [-1, 2**64, True, 1.5, "1", None])
def test_aligned_size_rejects_bad_numbers(bad: object) -> None:
    with pytest.raises((ValueError, TypeError), match="size"):
        mm.aligned_size(bad)  # type: ignore[arg-type]


def test_aligned_rejects_bad_dir() -> None:
    with pytest.raises(ValueError, match="dir must be 'left' or 'right'"):
        mm.aligned_addr(5, "up")


@pytest.mark.parametrize("access", ["w", "c", "wx", "cx"])
def test_pagefile_map_is_writable_and_zeroed(access: str) -> None:
    with mm.map(size=PS + 1, access=access) as m:
        assert m.size == PS + 1 and m.addr % PS == 0
        assert m[0 : PS + 1] == bytes(PS + 1)
        m[PS : PS + 1] = b"z"
        assert m[PS] == ord("z")


@pytest.mark.parametrize("access", ["", "x"])
def test_pagefile_map_read_only_refuses_writes(access: str) -> None:
    with mm.map(None, access, 100) as m:
        assert m[0:100] == bytes(100)
        with pytest.raises(TypeError, match="read-only"):
            m[0:1] = b"x"
        assert memoryview(m).readonly


def test_pagefile_offset_is_ignored() -> None:
    with mm.map(size=100, offset=-3) as m:  # documented: ignored, so not validated
        assert m.size == 100


def test_positional_order_is_the_documented_one(tmp_path: Path) -> None:
    p = tmp_path / "f"
    p.write_bytes(b"a" * PS + b"bcd")
    with mm.map(str(p), "", 3, PS) as m:
        assert m[0:3] == b"bcd"


def _data(tmp_path: Path, content: bytes = b"0123456789") -> Path:
    p = tmp_path / "data.bin"
    p.write_bytes(content)
    return p


def test_read_only_map_of_a_file_defaults_to_its_size(tmp_path: Path) -> None:
    p = _data(tmp_path)
    with mm.map(p) as m:
        assert m.size == 10 and m[:] == b"0123456789"


def test_write_map_writes_through_to_the_file(tmp_path: Path) -> None:
    p = _data(tmp_path)
    with mm.map(p, "w") as m:
        m[0:3] = b"abc"
        assert m.flush() is True
    assert p.read_bytes() == b"abc3456789"


def test_copy_on_write_never_changes_the_file(tmp_path: Path) -> None:
    p = _data(tmp_path)
    with mm.map(p, "c") as m:
        m[0:3] = b"abc"
        assert m[0:4] == b"abc3"
        m.flush()
    assert p.read_bytes() == b"0123456789"


def test_write_map_creates_and_extends(tmp_path: Path) -> None:
    p = tmp_path / "new.bin"
    with mm.map(p, "w", 100, PS) as m:
        m[0:2] = b"hi"
    assert p.stat().st_size == PS + 100
    assert p.read_bytes()[PS : PS + 2] == b"hi"
    _data(tmp_path)
    with mm.map(tmp_path / "data.bin", "wx", 2 * PS):
        pass
    assert (tmp_path / "data.bin").read_bytes()[:10] == b"0123456789"
    assert (tmp_path / "data.bin").stat().st_size == 2 * PS


def test_default_size_with_offset_is_the_rest_of_the_file(tmp_path: Path) -> None:
    p = _data(tmp_path, b"x" * PS + b"tail")
    with mm.map(p, offset=PS) as m:
        assert m.size == 4 and m[:] == b"tail"


@pytest.mark.parametrize("access", ["", "c", "x", "cx"])
def test_missing_file_without_write_is_no_file(tmp_path: Path, access: str) -> None:
    p = tmp_path / "missing"
    with pytest.raises(mm.MmapError) as ei:
        mm.map(p, access, 10)
    assert ei.value.errcode == "no_file" and str(p) in str(ei.value)
    assert not p.exists()


@pytest.mark.parametrize("access", ["", "c", "x", "cx"])
def test_short_file_without_write_is_file_too_short(tmp_path: Path, access: str) -> None:
    p = _data(tmp_path)
    with pytest.raises(mm.MmapError) as ei:
        mm.map(p, access, 11)
    assert ei.value.errcode == "file_too_short"
    assert p.read_bytes() == b"0123456789"


def test_empty_file_is_file_too_short(tmp_path: Path) -> None:
    p = _data(tmp_path, b"")
    for access in ("", "w"):
        with pytest.raises(mm.MmapError) as ei:
            mm.map(p, access)
        assert ei.value.errcode == "file_too_short"
    assert p.exists()  # existing: never removed


def test_offset_past_the_end_without_size_is_file_too_short(tmp_path: Path) -> None:
    p = _data(tmp_path)
    with pytest.raises(mm.MmapError) as ei:
        mm.map(p, "w", None, PS)
    assert ei.value.errcode == "file_too_short"
    assert p.read_bytes() == b"0123456789"


def test_created_file_is_removed_when_the_map_fails(tmp_path: Path) -> None:
    p = tmp_path / "new"
    with pytest.raises(mm.MmapError) as ei:
        mm.map(p, "w")  # created empty, no size: file_too_short
    assert ei.value.errcode == "file_too_short"
    assert not p.exists()


@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        ({"size": 0}, ValueError, "size must be > 0, got 0"),
        ({"size": -5}, ValueError, "size must be > 0"),
        ({"size": 2**64}, ValueError, "size must be < 2\\*\\*64"),
        ({"size": True}, TypeError, "size must be an int, not bool"),
        ({"size": 1.0}, TypeError, "size must be an int"),
        ({"size": 10, "access": "rw"}, ValueError, "access must be one of"),
        ({"size": 10, "access": 1}, TypeError, "access must be a str"),
        ({"size": 10, "addr": 0}, ValueError, "addr must not be zero"),
        ({"size": 10, "addr": 5}, ValueError, "addr must be aligned"),
        ({}, ValueError, "size expected when mapping the pagefile"),
        ({"file": "x", "tagname": "t"}, ValueError, "file and tagname cannot be used together"),
        ({"tagname": "a/b"}, ValueError, "tagname must not contain '/' or"),
        ({"tagname": "a\\b"}, ValueError, "tagname must not contain '/' or"),
        ({"tagname": ""}, ValueError, "tagname must not be empty"),
        ({"tagname": "a\0"}, ValueError, "NUL"),
        ({"file": 1.5}, TypeError, "file must be a filename"),
        ({"file": True}, TypeError, "not bool"),
        ({"file": -1}, ValueError, "file descriptor must be >= 0"),
        ({"file": "a\0b"}, ValueError, "NUL"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(
    kwargs: dict[str, object], exc: type, message: str
) -> None:
    with pytest.raises(exc, match=message):
        mm.map(**kwargs)  # type: ignore[arg-type]


def test_unaligned_offset_is_an_error(tmp_path: Path) -> None:
    p = _data(tmp_path)
    rule = f"offset must be aligned to the page size \\({PS}\\), got 100"
    with pytest.raises(ValueError, match=rule):
        mm.map(p, "", 5, 100)
    with pytest.raises(ValueError, match="offset must be >= 0"):
        mm.map(p, "", 5, -PS)


def test_fd_and_file_object_stay_open_after_free(tmp_path: Path) -> None:
    p = _data(tmp_path)
    fd = os.open(p, os.O_RDWR)
    try:
        with mm.map(fd, "w", 4) as m:
            m[0:1] = b"Z"
        os.fstat(fd)  # still open
    finally:
        os.close(fd)
    with open(p, "r+b") as f:
        f.write(b"QQ")  # unflushed in the buffer: map must flush it first
        with mm.map(f, "") as m:
            assert m[0:3] == b"QQ2"
        assert not f.closed
        f.seek(0)
        assert f.read(3) == b"QQ2"


def test_closed_file_object_is_an_argument_error(tmp_path: Path) -> None:
    f = open(_data(tmp_path), "rb")  # noqa: SIM115
    f.close()
    with pytest.raises(ValueError, match="file object is not usable"):
        mm.map(f)


def test_read_only_fd_for_write_map_fails_with_the_os_error(tmp_path: Path) -> None:
    p = _data(tmp_path)
    fd = os.open(p, os.O_RDONLY)
    try:
        with pytest.raises(mm.MmapError) as ei:
            mm.map(fd, "w", 4)
        assert isinstance(ei.value.errcode, int)
    finally:
        os.close(fd)
    assert p.read_bytes() == b"0123456789"


def test_free_is_idempotent_and_use_after_free_raises() -> None:
    m = mm.map(size=10, access="w")
    m.free()
    m.free()
    for use in (lambda: m.addr, lambda: m.size, lambda: m.flush(), lambda: m[0], lambda: len(m)):
        with pytest.raises(ValueError, match="map is freed"):
            use()


def test_flush_forms(tmp_path: Path) -> None:
    p = _data(tmp_path, bytes(3 * PS))
    with mm.map(p, "w") as m:
        m[PS + 5 : PS + 8] = b"abc"
        assert m.flush() is True
        assert m.flush(True) is True
        assert m.flush(m.addr + PS + 5, 3) is True  # unaligned addr: aligned left
        assert m.flush(False, m.addr + PS, PS) is True
        assert m.flush(async_=True, addr=m.addr, size=1) is True
        assert m.flush(m.addr + m.size, 0) is True
        with pytest.raises(ValueError, match="addr must be within the map"):
            m.flush(m.addr - PS, 1)
        with pytest.raises(ValueError, match="addr \\+ size must not pass the end"):
            m.flush(m.addr + PS, 2 * PS + 1)
        with pytest.raises(TypeError, match="addr and size must be given together"):
            m.flush(addr=m.addr)
        with pytest.raises(TypeError, match="async_ must be a bool"):
            m.flush(1)
        with pytest.raises(TypeError, match="multiple values"):
            m.flush(True, m.addr, 1, addr=m.addr)
    assert p.read_bytes()[PS + 5 : PS + 8] == b"abc"


def test_filesize_get_and_set(tmp_path: Path) -> None:
    p = _data(tmp_path)
    assert mm.filesize(p) == 10
    assert mm.filesize(str(p), 4) == 4
    assert p.read_bytes() == b"0123"
    assert mm.filesize(p, 3 * PS) == 3 * PS and p.stat().st_size == 3 * PS
    assert p.read_bytes()[:4] == b"0123"
    new = tmp_path / "created"
    assert mm.filesize(new, 7) == 7 and new.stat().st_size == 7
    with pytest.raises(mm.MmapError) as ei:
        mm.filesize(tmp_path / "missing")
    assert ei.value.errcode == "not_found"
    with open(p, "ab") as f:
        f.write(b"xy")  # buffered: filesize flushes it first
        assert mm.filesize(f) == 3 * PS + 2
    with pytest.raises(ValueError, match="size must be >= 0"):
        mm.filesize(p, -1)


def test_mmap_error_is_an_os_error_with_errno(tmp_path: Path) -> None:
    with pytest.raises(OSError) as ei:
        mm.map(tmp_path / "missing")
    assert isinstance(ei.value, mm.MmapError) and ei.value.errno == 2


def test_documented_crash_writing_a_read_only_map_kills_only_a_child(run_child: Any) -> None:
    r = run_child(
        "import ctypes; from mmapspec import reference as mm; m = mm.map(size=10); "
        "ctypes.memmove(m.addr, b'x', 1)"
    )
    if sys.platform == "win32":  # ctypes turns the access violation into an OSError
        assert r.returncode == 1 and "access violation writing" in r.stderr, r.stderr
    else:
        assert r.returncode == -signal.SIGSEGV, r.stderr


def _dirty_kb(addr: int) -> int:
    """Dirty kB of the mapping starting at ``addr``, from /proc/self/smaps."""
    total, inside = 0, False
    with open("/proc/self/smaps") as f:
        for line in f:
            head = line.split()[0]
            if "-" in head and not head.endswith(":"):
                inside = int(head.split("-")[0], 16) == addr
            elif inside and head in ("Shared_Dirty:", "Private_Dirty:"):
                total += int(line.split()[1])
    return total


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/smaps")
def test_unaligned_range_flush_covers_the_whole_range(tmp_path: Path) -> None:
    # Aligned left AND extended (the reading of flush.unaligned-addr-covers-range).
    # Observable: written-back pages
    # are no longer dirty in smaps (on filesystems with writeback).
    with mm.map(tmp_path / "f", "w", 3 * PS) as m:
        for page in range(3):
            m[page * PS] = page + 1
        assert _dirty_kb(m.addr) == 3 * PS // 1024
        m.flush(m.addr + PS - 10, 20)  # touches pages 0 and 1, not 2
        partial = _dirty_kb(m.addr)
        m.flush()
        if _dirty_kb(m.addr) != 0:
            pytest.skip("this filesystem keeps mapped pages dirty after msync (no writeback)")
        assert partial == PS // 1024  # only page 2 still dirty
