"""A harness's stderr is kept as a bounded tail: 200 MB of it cost the runner neither
memory nor disk, and the tail quoted on a crash is its end."""

from __future__ import annotations

import os
import shlex
import tempfile

import pytest
from mmapspec.adapters.interface import ImplementationCrashed
from mmapspec.adapters.pipe import PipeAdapter
from mmapspec.adapters.pipe.stderr_tail import KEEP, StderrTail
from test_broken_harness import bad, rss_kib


def _tmp_free() -> int:
    st = os.statvfs(tempfile.gettempdir())
    return st.f_bavail * st.f_frsize


def test_two_hundred_megabytes_of_stderr_cost_no_memory_and_no_disk() -> None:
    noisy = f"head -c 200000000 /dev/zero | tr '\\0' x >&2; echo LAST-LINE >&2; exec {bad()}"
    before_rss, before_free = rss_kib(), _tmp_free()
    with PipeAdapter(f"sh -c {shlex.quote(noisy)}", timeout=120) as adapter:
        child = adapter._child
        assert child is not None
        grown = rss_kib() - before_rss
        used = before_free - _tmp_free()
        assert used < 150_000_000, f"TMPDIR lost {used} bytes while the harness wrote 200 MB"
        assert len(child.stderr.tail(10 * KEEP)) <= 2 * KEEP
    assert grown < 32 * 1024, f"the runner grew by {grown} KiB"


def test_the_tail_quoted_on_a_crash_is_the_end_of_stderr() -> None:
    noisy = (
        f"head -c 5000000 /dev/zero | tr '\\0' y >&2; exec {bad('--segfault-on', 'aligned_size')}"
    )
    adapter = PipeAdapter(f"sh -c {shlex.quote(noisy)}", timeout=60)
    with adapter, pytest.raises(ImplementationCrashed) as crash:
        adapter.aligned_size(1)
    assert "bad_harness: about to crash in aligned_size" in str(crash.value)


def test_the_tail_keeps_the_last_bytes() -> None:
    tail = StderrTail(keep=10)
    os.write(tail.write_fd, b"0123456789" * 5 + b"abcdefghij")
    tail.close()
    assert tail.tail(10) == b"abcdefghij"
