"""A harness's stderr, kept as a bounded tail: a pipe drained by a thread that keeps
the last :data:`KEEP` bytes. A harness writing gigabytes to stderr costs the runner
CPU, never memory or disk (a file would fill ``TMPDIR``, and the harness would then
die of ENOSPC, reported as the binding crashing)."""

from __future__ import annotations

import contextlib
import os
import threading

KEEP = 64 * 1024
"""Bytes of the harness's stderr kept (the last ones)."""
SETTLE = 1.0
"""Seconds to wait for the pipe's last bytes once the harness is dead."""


class StderrTail:
    """The read end drained by a daemon thread; :attr:`write_fd` goes to the child."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        read_fd, self.write_fd = os.pipe()
        self._buf = bytearray()
        self._lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._drain, args=(read_fd,), name="mmapspec-stderr", daemon=True
        )
        self._thread.start()

    def _drain(self, fd: int) -> None:
        try:
            while chunk := os.read(fd, 65536):
                with self._lock:
                    self._buf += chunk
                    if len(self._buf) > 2 * self.keep:
                        del self._buf[: -self.keep]
        except OSError:
            pass
        finally:
            os.close(fd)

    def given(self) -> None:
        """The child has the write end: close the runner's copy, so that the pipe
        ends when every process of the harness has closed it."""
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def tail(self, size: int, settle: bool = False) -> bytes:
        """The last ``size`` bytes; with ``settle``, after waiting a little for what
        a dead harness wrote last."""
        if settle:
            self._thread.join(SETTLE)
        with self._lock:
            return bytes(self._buf[-size:])

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.given()
        self._thread.join(SETTLE)
