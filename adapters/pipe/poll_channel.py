"""The POSIX channel: ``poll`` on the pipes, no helper thread (see ``channel.py``)."""

from __future__ import annotations

import math
import os
import select
import sys
import time

from mmapspec.adapters.pipe.channel import READ_CHUNK, Channel

# Windows has no poll on pipes; this also tells mypy --platform win32 to skip the rest.
assert sys.platform != "win32", "the poll channel is POSIX only: use ThreadChannel"


def _wait(poller: select.poll, deadline: float) -> None:
    """Return when ``poller`` reports its descriptor ready, or raise TimeoutError
    at ``deadline``."""
    remaining = deadline - time.monotonic()
    if remaining <= 0 or not poller.poll(math.ceil(remaining * 1000)):
        raise TimeoutError


class PollChannel(Channel):
    """``poll`` with the deadline on both pipes, no helper thread (POSIX only)."""

    def __init__(self, in_fd: int, out_fd: int) -> None:
        super().__init__()
        self.in_fd, self.out_fd = in_fd, out_fd
        os.set_blocking(in_fd, False)  # a full pipe must not block a write past its deadline
        self._readable = select.poll()
        self._readable.register(out_fd, select.POLLIN)
        self._writable = select.poll()
        self._writable.register(in_fd, select.POLLOUT)

    def send(self, data: bytes, deadline: float) -> None:
        try:
            written = os.write(self.in_fd, data)
        except BlockingIOError:
            written = 0
        view = memoryview(data)[written:]  # usually empty: the pipe had room for it all
        while view:
            # The pipe is full: the child is busy or stuck. Wait, but not forever.
            _wait(self._writable, deadline)
            try:
                view = view[os.write(self.in_fd, view) :]
            except BlockingIOError:
                continue

    def _fill(self, deadline: float) -> None:
        _wait(self._readable, deadline)
        chunk = os.read(self.out_fd, READ_CHUNK)
        if not chunk:
            raise EOFError
        self.buffer += chunk
