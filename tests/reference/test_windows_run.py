"""The Windows backend, run: tagnames' section handles, the 64 KiB allocation
granularity, what the address space cannot hold, and the kinds of file. Real sections,
views and child processes; no mocks (mirrors: ``test_windows_mirror.py``).

Windows only (run under Wine 8 here). The Win32 calls the tests observe with come from
the backend's own ``_win32`` module.
"""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from mmapspec import reference as mm

if sys.platform != "win32":
    pytest.skip("runs the Windows backend: Windows (or Wine) only", allow_module_level=True)

from mmapspec.reference._platform import _win32 as win32  # noqa: E402
from mmapspec.reference._platform import backend  # noqa: E402

GRAN = 1 << 16
MEM_FREE, MEM_MAPPED = 0x10000, 0x40000
WIN: Any = backend  # the WindowsBackend, with its Windows-only attributes


def _region(addr: int) -> win32.MEMORY_BASIC_INFORMATION:
    info = win32.MEMORY_BASIC_INFORMATION()
    assert win32.VirtualQuery(addr, ctypes.byref(info), ctypes.sizeof(info))
    return info


def _name_exists(tagname: str) -> bool:
    h = win32.OpenFileMappingW(win32.FILE_MAP_READ, False, "Local\\" + tagname)
    if not h:
        assert ctypes.get_last_error() == win32.ERROR_FILE_NOT_FOUND
        return False
    win32.CloseHandle(h)
    return True


_kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
_kernel32.GetProcessHandleCount.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint32)]


def _handles() -> int:
    n = ctypes.c_uint32()
    assert _kernel32.GetProcessHandleCount(win32.GetCurrentProcess(), ctypes.byref(n))
    return n.value


# -- tagnames: the section handle lives as long as the map --------------------


def test_a_second_map_of_a_tagname_sees_the_first(tagname: str) -> None:
    with mm.map(access="w", size=GRAN, tagname=tagname) as first:
        first[0:5] = b"hello"
        with mm.map(tagname=tagname) as second:  # its size: the existing section's
            assert second.size == GRAN and second[0:5] == b"hello"
            first[0:5] = b"again"
            assert second[0:5] == b"again"


def test_a_child_process_sees_the_tagname(tagname: str, run_child: Any) -> None:
    with mm.map(access="w", size=GRAN, tagname=tagname) as m:
        m[0:5] = b"hello"
        r = run_child(f"""
            from mmapspec import reference as mm
            with mm.map(tagname={tagname!r}, access="w", size={GRAN}) as m:
                print(m[0:5].decode())
                m[0:5] = b"world"
        """)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "hello"
        assert m[0:5] == b"world"


def test_the_name_goes_when_every_map_of_it_is_freed(tagname: str) -> None:
    first = mm.map(access="w", size=GRAN, tagname=tagname)
    second = mm.map(access="w", tagname=tagname)
    first.free()
    assert _name_exists(tagname), "the second map still holds the name"
    second.free()
    assert not _name_exists(tagname)
    with pytest.raises(mm.MmapError) as ei:
        mm.map(tagname=tagname)
    assert ei.value.errcode == "no_file"


def test_maps_and_failed_maps_of_a_tagname_leak_no_handle(tagname: str) -> None:
    with mm.map(access="w", size=GRAN) as taken:
        before = _handles()
        for _ in range(3):
            mm.map(access="w", size=GRAN, tagname=tagname).free()
            with pytest.raises(mm.MmapError) as ei:  # the view fails: the address is in use
                mm.map(access="w", size=GRAN, tagname=tagname, addr=taken.addr)
            assert ei.value.errcode == "out_of_mem"
        assert _handles() == before
        assert not _name_exists(tagname)


@pytest.mark.parametrize("access", ["", "w", "c", "x", "wx", "cx"])
def test_an_executable_tagname_opens_in_every_mode(tagname: str, access: str) -> None:
    with mm.map(access="wx", size=GRAN, tagname=tagname) as first:
        first[0:2] = b"ok"
        with mm.map(tagname=tagname, access=access) as second:
            assert second[0:2] == b"ok"
            if "w" in access or "c" in access:
                second[0:2] = b"me"
                assert first[0:2] == (b"ok" if "c" in access else b"me")


# -- the 64 KiB allocation granularity ------------------------------------------


def test_pagesize_is_the_allocation_granularity() -> None:
    info = win32.SYSTEM_INFO()
    win32.GetSystemInfo(ctypes.byref(info))
    assert mm.pagesize() == info.dwAllocationGranularity == GRAN
    assert mm.aligned_size(1) == GRAN and mm.aligned_size(GRAN + 1, "left") == GRAN
    assert mm.aligned_addr(4096) == GRAN and mm.aligned_addr(GRAN - 1, "left") == 0


def test_page_aligned_but_not_granule_aligned_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 3 * GRAN)
    with pytest.raises(ValueError, match="offset"):
        mm.map(path, offset=4096)
    with pytest.raises(ValueError, match="addr"):
        mm.map(size=GRAN, access="w", addr=GRAN + 4096)
    with pytest.raises(ValueError, match="addr"):
        mm.mirror(path, GRAN, 2, GRAN + 4096)


def test_an_offset_of_one_granule_maps_and_grows_the_file_exactly(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"a" * GRAN + b"b" * 10)
    with mm.map(path, "w", 100, GRAN) as m:
        assert m[0:10] == b"b" * 10 and m.addr % GRAN == 0
        m[99:100] = b"z"
    assert path.stat().st_size == GRAN + 100
    assert path.read_bytes()[-1:] == b"z"


def test_a_mirror_of_one_byte_is_one_granule_per_copy(tmp_path: Path) -> None:
    with mm.mirror(tmp_path / "ring", 1, 3) as mi:
        assert mi.size == GRAN and mi.addr % GRAN == 0
        assert [m.addr - mi.addr for m in mi.maps] == [0, GRAN, 2 * GRAN]
    assert (tmp_path / "ring").stat().st_size == GRAN


# -- what the address space cannot hold, and other edges --------------------------


@pytest.mark.parametrize("at", [1 << 47, 1 << 62])
def test_an_address_beyond_the_address_space_is_out_of_mem(tmp_path: Path, at: int) -> None:
    """Wine 8 'maps' a view there with nothing behind it; Windows refuses it."""
    with pytest.raises(mm.MmapError) as ei:
        mm.map(size=GRAN, access="w", addr=at)
    assert ei.value.errcode == "out_of_mem"
    with pytest.raises(mm.MmapError) as ei:
        mm.mirror(tmp_path / "ring", GRAN, 2, at)
    assert ei.value.errcode == "out_of_mem"


def test_a_range_reaching_past_the_address_space_is_out_of_mem() -> None:
    info = win32.SYSTEM_INFO()
    win32.GetSystemInfo(ctypes.byref(info))
    last = mm.aligned_addr(info.lpMaximumApplicationAddress, "left")  # its last granule
    with pytest.raises(mm.MmapError) as ei:
        mm.map(size=2 * GRAN, access="w", addr=last)
    assert ei.value.errcode == "out_of_mem"


@pytest.mark.parametrize("size", [1 << 62, 1 << 63])
def test_a_pagefile_map_larger_than_the_address_space_is_out_of_mem(size: int) -> None:
    with pytest.raises(mm.MmapError) as ei:
        mm.map(size=size, access="w")
    assert ei.value.errcode == "out_of_mem"


def test_a_flush_of_nothing_at_the_end_of_a_map_succeeds(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(bytes(2 * GRAN))
    with mm.map(path, "w") as m:
        assert m.flush(m.addr + m.size, 0) is True
        assert m.flush(False, m.addr + GRAN, 0) is True


def test_messages_name_a_path_as_written(tmp_path: Path) -> None:
    path = tmp_path / "missing"
    with pytest.raises(mm.MmapError) as ei:
        mm.map(path)
    assert f"'{path}'" in str(ei.value) and "\\\\" not in str(ei.value)


# -- the kinds of file --------------------------------------------------------------


def _created(tmp_path: Path) -> Path:
    path = tmp_path / "f"
    path.write_bytes(b"content" + bytes(GRAN))
    return path


def test_a_handle_maps_like_the_name_and_stays_the_callers(tmp_path: Path) -> None:
    path = _created(tmp_path)
    share = win32.FILE_SHARE_READ | win32.FILE_SHARE_WRITE | win32.FILE_SHARE_DELETE
    rights = win32.GENERIC_READ | win32.GENERIC_WRITE
    h = win32.CreateFileW(str(path), rights, share, None, win32.OPEN_EXISTING, 0x80, None)
    assert h and h != win32.INVALID_HANDLE_VALUE
    try:
        with mm.map(ctypes.c_void_p(h), "w", 2 * GRAN) as m:  # grown through the handle
            assert m[0:7] == b"content"
            m[0:3] = b"CON"
            assert m.flush() is True
        size = ctypes.c_int64()
        assert win32.GetFileSizeEx(h, ctypes.byref(size)), "free() closed the caller's handle"
        assert size.value == 2 * GRAN
    finally:
        win32.CloseHandle(h)
    assert path.read_bytes()[:7] == b"CONtent"


def test_a_descriptor_and_a_file_object_map_like_the_name(tmp_path: Path) -> None:
    path = _created(tmp_path)
    fd = os.open(path, os.O_RDWR | os.O_BINARY)
    try:
        with mm.map(fd, "w") as m:
            m[0:3] = b"FD "
        os.lseek(fd, 0, os.SEEK_SET)
        assert os.read(fd, 3) == b"FD ", "free() closed the caller's descriptor"
    finally:
        os.close(fd)
    with open(path, "r+b") as f:
        f.write(b"buffered")  # left in the buffer: map() flushes it first
        with mm.map(f, "c") as m:
            assert m[0:8] == b"buffered"
            m[0:3] = b"cow"  # copy-on-write: never reaches the file
    assert path.read_bytes()[:8] == b"buffered"
