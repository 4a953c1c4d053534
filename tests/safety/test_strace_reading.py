"""How the mirror's safety clause reads strace: logs as strace writes them (``-f -o``:
a pid before each line, calls split by another thread as unfinished/resumed), and
which MAP_FIXED calls land in a hole the process made."""

from __future__ import annotations

from mmapspec.spec.support.strace import fixed_into_holes, parse_strace

PAGE = 4096

RESERVE_THEN_FIXED = """\
4242 mmap(NULL, 16384, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000
4242 mmap(0x7f0000000000, 8192, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_FIXED, 5, 0) = 0x7f0000000000
4242 mmap(0x7f0000002000, 8192, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_FIXED, 5, 0) = 0x7f0000002000
4242 munmap(0x7f0000000000, 8192)       = 0
4242 munmap(0x7f0000002000, 8192)       = 0
"""

UNMAP_THEN_FIXED = """\
4242 mmap(NULL, 16384, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000
4242 munmap(0x7f0000000000, 16384)      = 0
4242 mmap(0x7f0000000000, 8192, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_FIXED, 5, 0) = 0x7f0000000000
4242 mmap(0x7f0000002000, 8192, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_FIXED, 5, 0) = 0x7f0000002000
"""


def test_reserve_then_fixed_is_safe() -> None:
    calls = parse_strace(RESERVE_THEN_FIXED)
    assert [c.name for c in calls] == ["mmap", "mmap", "mmap", "munmap", "munmap"]
    assert calls[1].flags == {"MAP_SHARED", "MAP_FIXED"}
    assert fixed_into_holes(calls, PAGE) == []


def test_unmap_then_fixed_is_caught_once_per_copy() -> None:
    bad = fixed_into_holes(parse_strace(UNMAP_THEN_FIXED), PAGE)
    assert len(bad) == 2
    assert bad[0].startswith("mmap(0x7f0000000000, 8192")


def test_a_hole_mapped_again_is_no_longer_a_hole() -> None:
    """An old mirror freed, and a new reservation that the kernel put at the same place:
    mapping over the new reservation is mapping over the process's own memory."""
    log = "4242 munmap(0x7f0000000000, 16384)      = 0\n" + RESERVE_THEN_FIXED
    assert fixed_into_holes(parse_strace(log), PAGE) == []


def test_noreplace_and_failed_calls_are_not_flagged() -> None:
    log = """\
4242 munmap(0x7f0000000000, 16384)      = 0
4242 mmap(0x7f0000000000, 8192, PROT_READ, MAP_SHARED|MAP_FIXED_NOREPLACE, 5, 0) = 0x7f0000000000
4242 mmap(0x7f0000002000, 8192, PROT_READ, MAP_SHARED|MAP_FIXED, 99, 0) = -1 EBADF
"""
    assert fixed_into_holes(parse_strace(log), PAGE) == []


def test_calls_split_by_other_threads_are_joined() -> None:
    log = """\
[pid  4243] munmap(0x7f0000000000, 16384 <unfinished ...>
[pid  4242] mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0 <unfinished ...>
[pid  4243] <... munmap resumed>)       = 0
[pid  4242] <... mmap resumed>)         = 0x7e0000000000
[pid  4243] mmap(0x7f0000001000, 4096, PROT_READ, MAP_SHARED|MAP_FIXED, 5, 0) = 0x7f0000001000
"""
    calls = parse_strace(log)
    assert [(c.name, c.addr) for c in calls] == [
        ("munmap", 0x7F0000000000),
        ("mmap", 0x7E0000000000),
        ("mmap", 0x7F0000001000),
    ]
    assert len(fixed_into_holes(calls, PAGE)) == 1
