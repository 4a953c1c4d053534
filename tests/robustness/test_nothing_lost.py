"""Nothing lost: maps never change a file's bytes unless asked to.

All on real files in a per-test directory; each test hashes the file before and
after. Memory is touched through ctypes at the map's address, the lowest common
denominator of the documented API (``addr``, ``size``).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import mmap as pymmap
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mmapspec import reference as mm

PAGE = mm.pagesize()


def make_file(path: Path, size: int) -> bytes:
    data = os.urandom(size)
    path.write_bytes(data)
    return data


def digest(path: Path) -> tuple[int, str]:
    data = path.read_bytes()
    return len(data), hashlib.sha256(data).hexdigest()


def opener(kind: str, path: Path, stack: list[Callable[[], None]]) -> Any:
    """The file in the form ``kind``: a name, a descriptor or a file object."""
    if kind == "name":
        return str(path)
    if kind == "fd":
        fd = os.open(path, os.O_RDWR)
        stack.append(lambda: os.close(fd))
        return fd
    f = open(path, "r+b")  # noqa: SIM115 (closed by the fixture)
    stack.append(f.close)
    return f


@pytest.fixture
def closers() -> Iterator[list[Callable[[], None]]]:
    stack: list[Callable[[], None]] = []
    yield stack
    for close in reversed(stack):
        close()


@pytest.fixture
def busy_addr() -> Iterator[int]:
    """The address of a live mapping of ours: a hinted map there must fail."""
    region = pymmap.mmap(-1, 4 * PAGE)
    anchor = ctypes.c_char.from_buffer(region)
    yield ctypes.addressof(anchor)
    del anchor
    region.close()


@pytest.mark.parametrize("kind", ["name", "fd", "fileobj"])
@pytest.mark.parametrize(
    "size,offset", [(None, 0), (3 * PAGE + 17, 0), (None, PAGE), (PAGE, 2 * PAGE)]
)
def test_w_map_freed_without_writes_leaves_the_bytes(
    tmp_path: Path, closers: list[Callable[[], None]], kind: str, size: int | None, offset: int
) -> None:
    path = tmp_path / "data"
    make_file(path, 3 * PAGE + 17)
    before = digest(path)
    m = mm.map(opener(kind, path, closers), "w", size, offset)
    m.free()
    assert digest(path) == before


@pytest.mark.parametrize("access", ["c", "cx"])
@pytest.mark.parametrize("kind", ["name", "fd", "fileobj"])
def test_copy_on_write_map_never_changes_the_file(
    tmp_path: Path, closers: list[Callable[[], None]], access: str, kind: str
) -> None:
    path = tmp_path / "data"
    original = make_file(path, 2 * PAGE + 100)
    before = digest(path)
    m = mm.map(opener(kind, path, closers), access)
    scribble = bytes(range(256)) * (m.size // 256 + 1)
    ctypes.memmove(m.addr, scribble, m.size)
    assert ctypes.string_at(m.addr, m.size) == scribble[: m.size]  # the copy is ours
    with contextlib.suppress(mm.MmapError):
        m.flush()  # flushing a private copy may be refused; either way the file stays put
    assert digest(path) == before  # while mapped
    m.free()
    assert digest(path) == before  # and after
    assert path.read_bytes() == original


@pytest.mark.parametrize("new_size", [0, 1, PAGE - 1, PAGE, 3 * PAGE + 5, 8 * PAGE])
def test_filesize_keeps_the_data_up_to_size(tmp_path: Path, new_size: int) -> None:
    path = tmp_path / "data"
    original = make_file(path, 5 * PAGE + 3)
    assert mm.filesize(str(path), new_size) == new_size
    now = path.read_bytes()
    assert len(now) == new_size
    keep = min(new_size, len(original))
    assert now[:keep] == original[:keep]


def failing_maps(busy: int) -> list[tuple[str, dict[str, Any]]]:
    """Calls on an existing 2-page file that must fail, each for a different reason."""
    return [
        ("zero size", dict(access="w", size=0)),
        ("negative size", dict(access="w", size=-PAGE)),
        ("unaligned offset", dict(access="w", size=PAGE, offset=1)),
        ("bad access", dict(access="rw", size=PAGE)),
        ("zero addr", dict(access="w", size=PAGE, addr=0)),
        ("tagname with file", dict(access="w", size=PAGE, tagname=f"t{uuid.uuid4().hex}")),
        ("too short, read-only", dict(access="", size=8 * PAGE)),
        ("too short, copy-on-write", dict(access="c", size=8 * PAGE)),
        # These grow the file before mapping: the growth must be undone.
        ("address in use, grows", dict(access="w", size=6 * PAGE, addr=busy)),
        ("address in use, offset", dict(access="w", size=PAGE, offset=4 * PAGE, addr=busy)),
        ("absurd size", dict(access="w", size=2**62)),
        ("size beyond off_t", dict(access="w", size=2**63 + PAGE)),
    ]


@pytest.mark.parametrize("case", range(len(failing_maps(0))), ids=[c[0] for c in failing_maps(0)])
def test_a_failed_map_never_truncates_or_rewrites_an_existing_file(
    tmp_path: Path, busy_addr: int, case: int
) -> None:
    path = tmp_path / "data"
    make_file(path, 2 * PAGE)
    before = digest(path)
    _, kwargs = failing_maps(busy_addr)[case]
    with pytest.raises((mm.MmapError, ValueError, TypeError)):
        mm.map(str(path), **kwargs)
    assert digest(path) == before


@pytest.mark.parametrize("how", ["address in use", "absurd size", "no size: created empty"])
def test_a_failed_map_removes_the_file_it_created(tmp_path: Path, busy_addr: int, how: str) -> None:
    """A map that created a new file and then failed leaves no debris (the reading of
    ``map.fails.removes-created-file``)."""
    path = tmp_path / "new"
    kwargs: dict[str, Any] = {
        "address in use": dict(size=PAGE, addr=busy_addr),
        "absurd size": dict(size=2**62),
        "no size: created empty": {},
    }[how]
    with pytest.raises(mm.MmapError) as info:
        mm.map(str(path), "w", **kwargs)
    if how == "no size: created empty":
        assert info.value.errcode == "file_too_short"
    if how == "address in use":
        assert info.value.errcode == "out_of_mem"
    assert not path.exists()


@pytest.mark.parametrize("how", ["address in use", "no size: created empty"])
def test_a_failed_tagname_map_removes_the_shared_memory_it_created(
    busy_addr: int, how: str
) -> None:
    tag = f"mmapspec-robust-{uuid.uuid4().hex}"
    kwargs: dict[str, Any] = {
        "address in use": dict(size=PAGE, addr=busy_addr),
        "no size: created empty": {},
    }[how]
    try:
        with pytest.raises(mm.MmapError) as info:
            mm.map(None, "w", tagname=tag, **kwargs)
        assert info.value.errcode == ("out_of_mem" if kwargs else "file_too_short")
        assert not os.path.exists(f"/dev/shm/{tag}")
    finally:
        if os.path.exists(f"/dev/shm/{tag}"):
            os.unlink(f"/dev/shm/{tag}")
