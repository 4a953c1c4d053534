"""The bytes between the runner and one child: request lines out, response lines
in, each with a deadline, without ever blocking past it.

Two ways behind one interface, :class:`Channel`:

* ``PollChannel`` (POSIX, in ``poll_channel.py``): ``poll`` waits for the pipes with the deadline
  (the stdin end is non-blocking, so a full pipe never blocks a write). A read
  takes whatever has arrived, into a buffer that later lines are split from.
* :class:`ThreadChannel` (Windows, where ``select`` and ``poll`` do not work on
  pipes, and usable anywhere): a reader thread blocks on the child's stdout and
  hands each chunk over through a queue, and a writer thread does the writes; the
  caller waits on queues, which take a timeout everywhere.

A deadline is a :func:`time.monotonic` value. Running out of time raises
:class:`TimeoutError`, the child closing its end raises :class:`EOFError` (read) or
:class:`BrokenPipeError` (write), and a line longer than allowed raises
:class:`LineTooLong`; the caller turns those into the adapter's failures.
"""

from __future__ import annotations

import abc
import contextlib
import os
import queue
import sys
import threading
import time

READ_CHUNK = 1 << 16
"""Bytes asked for by one read of the child's stdout."""
JOIN_GRACE = 1.0
"""Seconds :meth:`ThreadChannel.close` waits for its threads to see the pipes close."""
CHUNKS_AHEAD = 16
"""Chunks the reader thread may hold unread: beyond them it stops reading, and the
child blocks on its full pipe, as it would with ``poll``, so memory stays bounded."""


class LineTooLong(Exception):
    """The child sent more than ``longest`` bytes without a newline."""

    def __init__(self, longest: int, head: bytes) -> None:
        super().__init__(f"line longer than {longest} bytes")
        self.longest = longest
        self.head = head


class Channel(abc.ABC):
    """Request lines to the child's stdin, response lines from its stdout."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    @abc.abstractmethod
    def send(self, data: bytes, deadline: float) -> None:
        """Write all of ``data`` by ``deadline``."""

    @abc.abstractmethod
    def _fill(self, deadline: float) -> None:
        """Append at least one byte to :attr:`buffer`, waiting until ``deadline``."""

    def receive_line(self, deadline: float, longest: int) -> bytes:
        """The next line, without its newline, if it comes by ``deadline``."""
        if not self.buffer:
            # The usual case: nothing left over, and one read brings the whole line.
            self._fill(deadline)
            end = self.buffer.find(b"\n")
            if end == len(self.buffer) - 1 and end <= longest:
                line = bytes(self.buffer[:end])
                self.buffer.clear()
                return line
        scanned = 0  # the buffer before this holds no newline: never scan it twice
        while True:
            end = self.buffer.find(b"\n", scanned)
            if end > longest or (end < 0 and len(self.buffer) > longest):
                raise LineTooLong(longest, bytes(self.buffer[:501]))
            if end >= 0:
                line = bytes(self.buffer[:end])
                del self.buffer[: end + 1]
                return line
            scanned = len(self.buffer)
            self._fill(deadline)

    def close(self) -> None:
        """Forget what was read and stop any helper; the caller closes the pipes."""
        self.buffer.clear()

    @property
    def stopped(self) -> bool:
        """Nothing of this channel uses the pipes any more: they may be closed."""
        return True


class ThreadChannel(Channel):
    """Blocking pipes served by two daemon threads (any platform)."""

    def __init__(self, in_fd: int, out_fd: int) -> None:
        super().__init__()
        self.in_fd, self.out_fd = in_fd, out_fd
        self._chunks: queue.Queue[bytes] = queue.Queue(CHUNKS_AHEAD)
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._written: queue.SimpleQueue[OSError | None] = queue.SimpleQueue()
        self._eof = False
        self._reader = threading.Thread(target=self._read_all, daemon=True, name="pipe-reader")
        self._writer = threading.Thread(target=self._write_all, daemon=True, name="pipe-writer")
        self._reader.start()
        self._writer.start()

    def _read_all(self) -> None:
        while True:
            try:
                chunk = os.read(self.out_fd, READ_CHUNK)
            except OSError:
                chunk = b""
            self._chunks.put(chunk)
            if not chunk:
                return

    def _write_all(self) -> None:
        while (data := self._outbox.get()) is not None:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(self.in_fd, view) :]
            except OSError as exc:
                self._written.put(exc)
                return
            self._written.put(None)

    def send(self, data: bytes, deadline: float) -> None:
        if not self._writer.is_alive():
            raise BrokenPipeError
        self._outbox.put(data)
        try:
            failed = self._written.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise TimeoutError from None
        if failed is not None:
            raise BrokenPipeError(str(failed))

    def _fill(self, deadline: float) -> None:
        if self._eof:
            raise EOFError
        try:
            chunk = self._chunks.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise TimeoutError from None
        if not chunk:
            self._eof = True
            raise EOFError
        self.buffer += chunk

    def close(self) -> None:
        """Stop the writer, and wait a little for the reader to see end of file.

        Call it after the child is dead. Until the reader has stopped, the pipes
        must stay open: a descriptor closed under a blocked read could be reused
        by the next child, and the old thread would read the new child's lines."""
        super().close()
        self._outbox.put(None)
        self._writer.join(JOIN_GRACE)
        end = time.monotonic() + JOIN_GRACE
        while self._reader.is_alive() and time.monotonic() < end:
            # Make room: the reader may be blocked on a full queue, not on the pipe.
            with contextlib.suppress(queue.Empty):
                while True:
                    self._chunks.get_nowait()
            self._reader.join(0.05)

    @property
    def stopped(self) -> bool:
        """Both threads are done: the pipes may be closed."""
        return not self._reader.is_alive() and not self._writer.is_alive()


def open_channel(in_fd: int, out_fd: int, threaded: bool = False) -> Channel:
    """A :class:`ThreadChannel` on Windows or when ``threaded``, else a ``PollChannel``."""
    if sys.platform == "win32":
        return ThreadChannel(in_fd, out_fd)
    else:  # an else, so that mypy --platform win32 skips the POSIX-only import
        from mmapspec.adapters.pipe.poll_channel import PollChannel

        return ThreadChannel(in_fd, out_fd) if threaded else PollChannel(in_fd, out_fd)
