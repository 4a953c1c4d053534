"""Growing files: whatever can fail is checked before the new size becomes visible, no
size is ever shrunk back that another writer may have moved, and reserving never
shrinks. Real files, a real full tmpfs where this process may mount one."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mmapspec import reference as mm
from mmapspec.reference import _grow
from mmapspec.reference._platform import OsCallError, backend
from mmapspec.spec.support.full_disk import small_tmpfs

PS = mm.pagesize()


def _fd(path: Path) -> int:
    return os.open(path, os.O_RDWR)


def test_a_map_at_an_address_in_use_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    """The address is taken before the file grows, so the failure has nothing to undo."""
    path = tmp_path / "f"
    path.write_bytes(b"x" * PS)
    before = os.stat(path)
    with mm.map(access="w", size=4 * PS) as way:
        for call in (
            lambda: mm.map(str(path), "w", 64 * PS, 0, way.addr),
            lambda: mm.mirror(str(path), 64 * PS, 2, way.addr),
        ):
            with pytest.raises(mm.MmapError) as ei:
                call()
            assert ei.value.errcode == "out_of_mem"
            after = os.stat(path)
            assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert path.read_bytes() == b"x" * PS


def test_a_grown_map_is_usable_to_its_end(tmp_path: Path) -> None:
    """Mapped first and grown after: every page of the map is backed by the file."""
    path = tmp_path / "f"
    path.write_bytes(b"y" * 10)
    with mm.map(str(path), "w", 8 * PS) as m:
        m[8 * PS - 1] = 7
        assert m[0:10] == b"y" * 10
    assert os.path.getsize(path) == 8 * PS
    with mm.mirror(str(path), 16 * PS) as ring:
        ring[16 * PS - 1 : 16 * PS + 1] = b"ab"
        assert ring[0:1] == b"b"
    assert os.path.getsize(path) == 16 * PS


def test_put_back_shrinks_only_a_file_as_this_call_left_it(tmp_path: Path) -> None:
    """The backend's own file (a descriptor on POSIX, a HANDLE on Windows, where this
    put-back is the one that runs)."""
    path = tmp_path / "f"
    path.write_bytes(b"z" * 100)
    f, _ = backend.open_path(str(path), write=True)
    try:
        backend.truncate(f, 1000)  # as a call that grew it to 1000 bytes left it
        _grow.put_back(f, 100, 1000)
        assert os.path.getsize(path) == 100
        backend.truncate(f, 1000)
        with open(path, "ab") as other:
            other.write(b"another writer's")
        _grow.put_back(f, 100, 1000)  # no longer as that call left it: kept
        assert os.path.getsize(path) == 1000 + len(b"another writer's")
    finally:
        backend.close(f)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's fallocate reserve")
def test_reserve_never_shrinks_a_file_grown_meanwhile(tmp_path: Path) -> None:
    """A writer made the file longer than the end asked for: reserving keeps its bytes."""
    path = tmp_path / "f"
    path.write_bytes(b"w" * (3 * PS))
    fd = _fd(path)
    try:
        backend.reserve(fd, 0, PS)
    finally:
        os.close(fd)
    assert path.read_bytes() == b"w" * (3 * PS)


def test_a_full_disk_changes_no_size(tmp_path: Path) -> None:
    """Blocks are reserved before the end of file moves: a full disk fails before."""
    with small_tmpfs(tmp_path, "256k") as mounted:
        if mounted is None:
            pytest.skip("needs root on Linux to mount a small tmpfs")
        path = mounted / "f"
        path.write_bytes(b"v" * PS)
        with pytest.raises(OsCallError):
            fd = _fd(path)
            try:
                backend.reserve(fd, PS, 1 << 20)
            finally:
                os.close(fd)
        assert path.read_bytes() == b"v" * PS
        with pytest.raises(mm.MmapError) as ei:
            mm.map(str(path), "w", 1 << 20)
        assert ei.value.errcode == "disk_full"
        assert path.read_bytes() == b"v" * PS


@contextlib.contextmanager
def small_ext4(directory: Path) -> Iterator[Path | None]:
    """A 4 MiB ext4 file system on a loop device, or None where it cannot be had (not
    root, no mkfs.ext4, no loop devices). ext4 is where fallocate mode 0 extends the
    size chunk by chunk, and so leaves a file half grown when the disk fills up."""
    if getattr(os, "geteuid", lambda: -1)() != 0 or shutil.which("mkfs.ext4") is None:
        yield None
        return
    image, mountpoint = directory / "ext4.img", directory / "ext4"
    mountpoint.mkdir()
    with open(image, "wb") as f:
        f.truncate(4 << 20)
    made = subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], capture_output=True)
    mounted = (
        made.returncode == 0
        and (
            subprocess.run(
                ["mount", "-o", "loop", str(image), str(mountpoint)], capture_output=True
            )
        ).returncode
        == 0
    )
    if not mounted:
        yield None
        return
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], capture_output=True)


def test_a_full_ext4_changes_no_size(tmp_path: Path) -> None:
    """Mode 0 alone would leave the file some MiB long here (measured: 2,749,440 bytes
    of a 4 KiB file asked to grow to 64 MiB); reserving with FALLOC_FL_KEEP_SIZE first
    leaves it 4 KiB."""
    with small_ext4(tmp_path) as mounted:
        if mounted is None:
            pytest.skip("needs root, mkfs.ext4 and a loop device to make a small ext4")
        path = mounted / "f"
        path.write_bytes(b"u" * PS)
        with pytest.raises(mm.MmapError) as ei:
            mm.map(str(path), "w", 64 << 20)
        assert ei.value.errcode == "disk_full"
        assert path.read_bytes() == b"u" * PS
        with pytest.raises(mm.MmapError):
            mm.filesize(str(path), 64 << 20)
        assert path.read_bytes() == b"u" * PS
