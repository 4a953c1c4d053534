"""Mirrors on Windows, run: both ways of making them (placeholders where the system has
them, else search and map), collisions made on purpose with real reservations, and a
thread racing for the address space. Real sections and views; no mocks.

Windows only (run under Wine 8 here: Wine has no placeholders, so their way skips).
"""

from __future__ import annotations

import ctypes
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mmapspec import reference as mm

if sys.platform != "win32":
    pytest.skip("runs the Windows backend: Windows (or Wine) only", allow_module_level=True)

from mmapspec.reference._platform import OsCallError, _win_mirror, backend  # noqa: E402
from mmapspec.reference._platform import _win32 as win32  # noqa: E402

GRAN = 1 << 16
MEM_FREE, MEM_PRIVATE, MEM_MAPPED = 0x10000, 0x20000, 0x40000
WIN: Any = backend  # the WindowsBackend, with its Windows-only attributes


def _region(addr: int) -> win32.MEMORY_BASIC_INFORMATION:
    info = win32.MEMORY_BASIC_INFORMATION()
    assert win32.VirtualQuery(addr, ctypes.byref(info), ctypes.sizeof(info))
    return info


@pytest.fixture(params=["placeholders", "search"])
def way(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each way of making a mirror, where the system has it (the choice is restored)."""
    chosen = WIN.placeholders
    if request.param == "placeholders":
        have = _win_mirror.have_placeholders(win32.GetCurrentProcess(), GRAN)
        if not have:
            pytest.skip(
                "no placeholders here (Wine 8 refuses MEM_RESERVE_PLACEHOLDER: "
                "python.exe tools/win_probes.py placeholder_reserve)"
            )
    WIN.placeholders = request.param == "placeholders"
    yield request.param
    WIN.placeholders = chosen


@pytest.mark.parametrize("times", [1, 2, 3])
def test_mirror_copies_are_one_memory_and_free_releases_all(
    tmp_path: Path, way: str, times: int
) -> None:
    mi = mm.mirror(tmp_path / "ring", 2 * GRAN, times)
    bases = [m.addr for m in mi.maps]
    assert bases == [mi.addr + k * 2 * GRAN for k in range(times)]
    mi.maps[times - 1][0:4] = b"last"
    mi[2 * GRAN - 2 : 2 * GRAN] = b"up"
    for k in range(times):
        assert mi[k * 2 * GRAN : k * 2 * GRAN + 4] == b"last"
        assert mi.maps[k][2 * GRAN - 2 : 2 * GRAN] == b"up"
        assert _region(bases[k]).Type == MEM_MAPPED
    mi.free()
    assert [_region(b).State for b in bases] == [MEM_FREE] * times


def test_mirror_at_a_given_address(tmp_path: Path, way: str) -> None:
    with mm.map(access="w", size=3 * GRAN) as probe:
        at = probe.addr
    with mm.mirror(tmp_path / "ring", GRAN, 3, at) as mi:
        assert mi.addr == at and [m.addr for m in mi.maps] == [at, at + GRAN, at + 2 * GRAN]
        mi[0:2] = b"ok"
        assert mi[2 * GRAN : 2 * GRAN + 2] == b"ok"


def test_mirror_over_a_mapping_fails_and_leaves_it(tmp_path: Path, way: str) -> None:
    with mm.map(access="w", size=2 * GRAN) as probe:
        at = probe.addr
    with mm.map(access="w", size=GRAN, addr=at + GRAN) as taken:  # the second copy's place
        taken[0:4] = b"mine"
        with pytest.raises(mm.MmapError) as ei:
            mm.mirror(tmp_path / "ring", GRAN, 2, at)
        assert ei.value.errcode == "out_of_mem"
        assert taken[0:4] == b"mine" and _region(at).State == MEM_FREE


class _Occupier:
    """A mirror hook that occupies the second copy's place in each of the first ``n``
    candidate ranges (so that the first copy is mapped, then must be unmapped): with a
    view of a section of its own on even candidates, committed memory on odd ones, each
    marked to show that nothing replaced it. Real mappings, released by close."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.seen: list[int] = []
        self.taken: list[tuple[int, bool]] = []  # (address, whether a view)
        self.section = win32.create_section(
            win32.INVALID_HANDLE_VALUE, win32.PAGE_READWRITE, GRAN, None
        )

    def __call__(self, base: int) -> None:
        self.seen.append(base)
        if len(self.seen) > self.n:
            return
        view = len(self.seen) % 2 == 0
        if view:
            at = win32.MapViewOfFileEx(self.section, win32.FILE_MAP_WRITE, 0, 0, GRAN, base + GRAN)
        else:
            at = win32.VirtualAlloc(base + GRAN, GRAN, 0x3000, win32.PAGE_READWRITE)  # commit
        assert at == base + GRAN, "could not occupy the candidate range"
        ctypes.memmove(at, b"occupied", 8)
        self.taken.append((at, view))

    def check_and_close(self) -> None:
        try:
            for at, view in self.taken:
                assert _region(at).Type == (MEM_MAPPED if view else MEM_PRIVATE)
                assert ctypes.string_at(at, 8) == b"occupied", "replaced"
                assert _region(at - GRAN).Type != MEM_MAPPED, "a failed attempt left a view"
        finally:
            for at, view in self.taken:
                if view:
                    win32.UnmapViewOfFile(at)
                else:
                    win32.VirtualFree(at, 0, win32.MEM_RELEASE)
            win32.CloseHandle(self.section)


@pytest.fixture
def occupy() -> Iterator[Callable[[int], _Occupier]]:
    chosen, made = WIN.placeholders, []

    def start(n: int) -> _Occupier:
        WIN.placeholders, WIN.mirror_hook = False, _Occupier(n)
        made.append(WIN.mirror_hook)
        return WIN.mirror_hook  # type: ignore[no-any-return]

    yield start
    WIN.placeholders, WIN.mirror_hook = chosen, None
    for hook in made:
        hook.check_and_close()


def test_a_collision_is_retried_elsewhere_never_clobbered(tmp_path: Path, occupy: Any) -> None:
    hook = occupy(3)
    with mm.mirror(tmp_path / "ring", GRAN, 2) as mi:
        assert len(hook.seen) == 4 and mi.addr == hook.seen[-1]
        assert mi.addr not in hook.seen[:3]
        mi[0:2] = b"ok"
        assert mi[GRAN : GRAN + 2] == b"ok"


def test_collisions_give_up_after_the_bound(tmp_path: Path, occupy: Any) -> None:
    hook = occupy(_win_mirror.ATTEMPTS)
    path = tmp_path / "ring"
    with pytest.raises(mm.MmapError) as ei:
        mm.mirror(path, GRAN, 2)
    assert ei.value.errcode == "out_of_mem"
    assert f"{_win_mirror.ATTEMPTS} attempts" in str(ei.value)
    assert len(hook.seen) == _win_mirror.ATTEMPTS
    assert not path.exists(), "the file the failed mirror created is removed"


def test_unmapping_the_copies_goes_on_past_one_that_fails(tmp_path: Path) -> None:
    f, _ = WIN.open_path(str(tmp_path / "ring"), True)
    try:
        WIN.truncate(f, GRAN)
        base = WIN.mirror(f, GRAN, 3, None)
        WIN.unmap(base + GRAN, GRAN)  # the middle copy goes first: its unmap will fail
        with pytest.raises(OsCallError) as ei:
            WIN.unmap_copies(base, GRAN, 3)
        assert ei.value.err == win32.ERROR_INVALID_ADDRESS
        assert [_region(base + k * GRAN).State for k in range(3)] == [MEM_FREE] * 3
    finally:
        WIN.close(f)


def test_the_way_is_chosen_once_per_process(tmp_path: Path) -> None:
    with mm.mirror(tmp_path / "ring", GRAN):
        pass
    have = _win_mirror.have_placeholders(win32.GetCurrentProcess(), GRAN)
    assert WIN.placeholders is have


def _racer(stop: threading.Event, seen: list[str]) -> None:
    """Map views of a section of its own into free ranges found as the search-and-map
    way finds them, each marked and checked, until ``stop``; what it sees goes in ``seen``."""
    section = win32.create_section(win32.INVALID_HANDLE_VALUE, win32.PAGE_READWRITE, GRAN, None)
    try:
        for i in range(1 << 30):
            if stop.is_set():
                break
            base = win32.VirtualAlloc(None, GRAN, win32.MEM_RESERVE, win32.PAGE_NOACCESS)
            win32.VirtualFree(base, 0, win32.MEM_RELEASE)
            view = win32.MapViewOfFileEx(section, win32.FILE_MAP_WRITE, 0, 0, GRAN, base)
            if not view:
                continue
            marker = i.to_bytes(8, "little")
            ctypes.memmove(view, marker, 8)
            if ctypes.string_at(view, 8) != marker:
                seen.append(f"the racer's view at {view:#x} lost its marker")
            if not win32.UnmapViewOfFile(view):
                seen.append(f"the racer's view at {view:#x} was unmapped by someone else")
    except OSError as e:  # an access violation: the racer's view was taken from it
        seen.append(f"the racer: {e}")
    finally:
        win32.CloseHandle(section)


def test_a_thread_racing_for_the_ranges_is_never_clobbered(tmp_path: Path) -> None:
    """Mirrors are made and freed while another thread maps its own views into the free
    ranges it finds the same way: neither side's views are ever replaced."""
    chosen, WIN.placeholders = WIN.placeholders, False
    stop = threading.Event()
    seen: list[str] = []
    racer = threading.Thread(target=_racer, args=(stop, seen))
    racer.start()
    try:
        for i in range(300):
            with mm.mirror(tmp_path / "ring", GRAN, 3) as mi:
                marker = i.to_bytes(8, "little")
                mi.maps[0][0:8] = marker
                if [m[0:8] for m in mi.maps] != [marker] * 3:
                    seen.append(f"mirror {i} at {mi.addr:#x} lost a copy")
    finally:
        stop.set()
        racer.join()
        WIN.placeholders = chosen
    assert not seen
