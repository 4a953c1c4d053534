"""The spec's hang finder (``spec/support/hangs.py``) against real processes: one that
opens a FIFO with no writer, one that waits for its standard input (an idle harness),
one that sleeps, one that answers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mmapspec.spec.support.hangs import Blocked, fifo_wait, watch_call

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc/PID/wchan, stack and syscall"
)


def _settled(proc: subprocess.Popen[bytes]) -> Blocked | None | bool:
    """What the OS says about ``proc`` once it has blocked (it may still be starting)."""
    deadline = time.monotonic() + 5
    seen = fifo_wait(proc.pid)
    while not isinstance(seen, Blocked) and time.monotonic() < deadline:
        time.sleep(0.02)
        seen = fifo_wait(proc.pid)
    return seen


def _require_the_os_says(started: list[subprocess.Popen[bytes]]) -> None:
    """Skip where the OS does not say what a sleeping process waits for."""
    proc = _python(started, "import time; time.sleep(30)")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # None while it runs (starting up): wait for a sleep
        if fifo_wait(proc.pid) is not None:
            return
        time.sleep(0.02)
    pytest.skip("this kernel says nothing through /proc/PID/wchan or stack")


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        proc.kill()
        proc.wait()


def _python(started: list[subprocess.Popen[bytes]], code: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE)
    started.append(proc)
    return proc


def test_opening_a_fifo_with_no_writer_is_a_hang(
    tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    _require_the_os_says(started)
    seen = _settled(_python(started, f"open({str(fifo)!r}, 'rb')"))
    assert isinstance(seen, Blocked), f"expected a FIFO wait, got {seen!r}"
    assert not seen.idle
    assert seen.wait in ("wait_for_partner", "fifo_open")
    assert seen.syscall is None or "open" in seen.syscall


def test_waiting_for_standard_input_is_idle_not_a_hang(
    started: list[subprocess.Popen[bytes]],
) -> None:
    _require_the_os_says(started)
    seen = _settled(_python(started, "import sys; sys.stdin.buffer.read(1)"))
    assert isinstance(seen, Blocked) and seen.idle, f"expected an idle read of fd 0, got {seen!r}"


def test_sleeping_is_no_fifo_wait(started: list[subprocess.Popen[bytes]]) -> None:
    _require_the_os_says(started)
    proc = _python(started, "import time; time.sleep(30)")
    seen = []
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline:
        seen.append(fifo_wait(proc.pid))
        time.sleep(0.02)
    assert False in seen, "never seen asleep"
    assert not [s for s in seen if isinstance(s, Blocked)], f"seen in a FIFO wait: {seen}"


def test_watch_call_kills_a_hang_at_once_and_lets_an_answer_through(
    tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    _require_the_os_says(started)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    hanging = _python(started, f"import sys; sys.stdin.buffer.read(1); open({str(fifo)!r}, 'rb')")

    def call() -> int:
        assert hanging.stdin is not None
        hanging.stdin.write(b"go")
        hanging.stdin.flush()
        return hanging.wait(timeout=15)

    watched = watch_call(hanging.pid, call, deadline=15)
    assert watched.hang is not None, f"not seen as a hang: {watched}"
    assert watched.seconds < 2, f"took {watched.seconds:.2f} s"
    assert watched.result == -9  # killed by SIGKILL, which ended the call
    answered = watch_call(os.getpid(), lambda: 42, deadline=15)
    assert (answered.result, answered.hang, answered.error) == (42, None, None)
