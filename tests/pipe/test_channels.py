"""Both ways of talking to a child, against real misbehaving children: ``poll``
(what POSIX uses) and the reader and writer threads (what Windows uses, run here
on POSIX too). Each must give the same answers, the same deadlines and the same
failures, and leave no thread or process behind. Written to run on Windows as
well (the CI's Windows job), which has never been seen to happen."""

from __future__ import annotations

import base64
import signal
import subprocess
import sys
import threading
import time

import pytest
from conftest import HERE
from mmapspec.adapters.interface import ImplementationCrashed, Unsupported
from mmapspec.adapters.pipe import ImplementationTimeout, ProtocolError
from mmapspec.adapters.pipe.channel import CHUNKS_AHEAD, ThreadChannel
from mmapspec.adapters.pipe.child import Child


@pytest.fixture(params=[False, True], ids=["poll", "threads"])
def threaded(request: pytest.FixtureRequest) -> bool:
    if sys.platform == "win32" and not request.param:
        pytest.skip("no poll on Windows pipes: the threads are the only way there")
    return bool(request.param)


def started(threaded: bool, *flags: str, timeout: float = 20.0) -> Child:
    argv = [sys.executable, str(HERE / "bad_harness.py"), *flags]
    child = Child(argv, timeout, validate=False, threaded=threaded)
    assert isinstance(child.channel, ThreadChannel) == threaded
    assert child.round_trip("start", {"protocol": 1})["protocol"] == 1
    return child


def test_answers_come_back_in_order_and_stop_ends_the_child(threaded: bool) -> None:
    threads = threading.active_count()
    child = started(threaded)
    for _ in range(100):
        assert child.round_trip("pagesize", {}) == 4096
    with pytest.raises(Unsupported):
        child.round_trip("unlink", {"tagname": "x"})
    child.stop()
    assert child.proc.returncode == 0 and not child.alive
    assert threading.active_count() == threads  # the channel's threads ended with it


def test_a_mebibyte_each_way_crosses_the_pipes_in_pieces(threaded: bool) -> None:
    """Far more than a pipe holds: writes and reads of one line take many turns."""
    child = started(threaded, "--serve", "stdlib")  # CPython's mmap: runs everywhere
    try:
        size = 1 << 20
        info = child.round_trip("map", {"access": "w", "size": size, "form": "table"})
        data = bytes(range(256)) * (size // 256)
        args = {"handle": info["handle"], "offset": 0, "data": base64.b64encode(data).decode()}
        assert child.round_trip("write", args) is None
        args = {"handle": info["handle"], "offset": 0, "length": size}
        assert base64.b64decode(child.round_trip("read", args)) == data
    finally:
        child.stop()
    assert child.proc.returncode == 0


def test_no_answer_in_time_kills_the_child(threaded: bool) -> None:
    child = started(threaded, "--hang-on", "pagesize", timeout=1.0)
    t0 = time.monotonic()
    with pytest.raises(ImplementationTimeout, match="no answer to 'pagesize' within 1 s"):
        child.round_trip("pagesize", {})
    assert time.monotonic() - t0 < 10  # loosely: the deadline, not the hour it would hang
    assert not child.alive and child.proc.returncode is not None
    child.stop()


def test_a_child_that_dies_is_a_crash_with_its_signal(threaded: bool) -> None:
    child = started(threaded, "--segfault-on", "pagesize")
    with pytest.raises(ImplementationCrashed) as crash:
        child.round_trip("pagesize", {})
    if sys.platform == "win32":
        assert crash.value.exitcode not in (None, 0)  # an access violation's status
    else:
        assert crash.value.signal == signal.SIGSEGV
    assert "about to crash in pagesize" in str(crash.value)  # the stderr tail
    assert not child.alive
    child.stop()


def test_an_endless_line_is_cut_at_its_limit(threaded: bool) -> None:
    child = started(threaded, "--endless-line-on", "pagesize")
    with pytest.raises(ProtocolError, match="longer than the limit"):
        child.round_trip("pagesize", {})
    assert not child.alive and child.proc.returncode is not None
    if threaded:
        assert isinstance(child.channel, ThreadChannel) and child.channel.stopped
    child.stop()


def test_the_reader_thread_reads_only_so_far_ahead() -> None:
    """A child flooding its stdout unasked is held back by its full pipe, as with
    ``poll``: the reader thread stops after a few chunks, memory stays bounded."""
    flood = "import os\nfor _ in range(1000):\n    os.write(1, b'x' * 65536)\n"
    proc = subprocess.Popen(
        [sys.executable, "-c", flood], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0
    )
    assert proc.stdin is not None and proc.stdout is not None
    channel = ThreadChannel(proc.stdin.fileno(), proc.stdout.fileno())
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=2)  # 64 MB: it cannot write them all, nobody takes them
        assert channel._chunks.qsize() <= CHUNKS_AHEAD
    finally:
        proc.kill()
        proc.wait()
        channel.close()  # drains the queue, so the reader reaches end of file
    assert channel.stopped
    proc.stdin.close()
    proc.stdout.close()
