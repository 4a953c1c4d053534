"""A byte ring buffer on a mirrored mapping: the showcase for ``mmap.mirror``.

A ring buffer keeps a stream in a fixed block of memory and wraps around at its
end. Data that crosses the end lies in two pieces, so an ordinary ring has to
split every copy in two at the wrap, and cannot hand out a contiguous view of
such data at all without first copying it somewhere else.

``mirror`` maps the same pages twice, back to back: the byte at ``addr + i`` is
also the byte at ``addr + size + i``. A run of up to ``size`` bytes starting
anywhere in the first copy is therefore contiguous in memory, so in
:class:`MirrorRing` every write and every read is exactly one copy, and
:meth:`MirrorRing.peek` returns a zero-copy ``memoryview`` of the next bytes
even when they straddle the wrap, which is what a parser of records arriving
on a stream wants. :class:`SplitRing` is the same ring on a ``bytearray``, with
the split copies, for comparison::

    from mmapspec.examples.ring_buffer import MirrorRing

    with MirrorRing(64 * 1024) as ring:
        ring.write(b"header:")
        ring.write(b"payload")
        assert bytes(ring.peek(7)) == b"header:"   # no copy, even across the wrap
        ring.consume(7)
        out = memoryview(bytearray(7))
        ring.read_into(out)                      # one memcpy, never two

Both rings are single-producer/single-consumer byte FIFOs with the same
interface; in C the two indices would be the atomics of a lock-free ring, in
Python they are plain integers and this module is about the memory layout.

Run ``python -m mmapspec.examples.ring_buffer [MiB]`` to move a stream through
both rings, verify every byte and print the speeds; ``mmapspec.bench`` times
the same :func:`pump` (case 5).
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from types import TracebackType
from typing import Protocol, TypeVar

from mmapspec import reference as mm


class Ring(Protocol):
    capacity: int

    def __len__(self) -> int: ...
    def write(self, data: memoryview) -> int: ...
    def read_into(self, out: memoryview) -> int: ...
    def peek(self, n: int) -> memoryview: ...
    def consume(self, n: int) -> None: ...
    def close(self) -> None: ...


_R = TypeVar("_R", bound="_Indices")


class _Indices:
    """The bookkeeping both rings share: ``head`` counts bytes ever written,
    ``tail`` bytes ever read; ``head - tail`` are buffered (never more than
    ``capacity``), and a position in memory is a count modulo ``capacity``."""

    capacity: int
    _head: int = 0
    _tail: int = 0

    def __len__(self) -> int:
        return self._head - self._tail

    def free(self) -> int:
        """Bytes that can be written now."""
        return self.capacity - (self._head - self._tail)

    def consume(self, n: int) -> None:
        """Drop the next ``n`` buffered bytes (after :meth:`peek`)."""
        if not 0 <= n <= self._head - self._tail:
            raise ValueError(f"n: must be between 0 and the {len(self)} buffered bytes, got {n}")
        self._tail += n

    def __enter__(self: _R) -> _R:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()  # type: ignore[attr-defined]


class MirrorRing(_Indices):
    """A ring on ``mmap.mirror(file, capacity, 2)``: every copy is contiguous.

    The mirror needs a file (the doc makes ``file`` required); the ring creates
    one in a fresh temporary directory (``/dev/shm`` when present, so the pages
    never go to a disk), maps it and removes it at once: the maps keep the pages
    alive and nothing is left behind, even if the process dies.
    """

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError(f"capacity: must be > 0, got {capacity}")
        where = "/dev/shm" if os.path.isdir("/dev/shm") else None
        tmpdir = tempfile.mkdtemp(prefix="mirror-ring-", dir=where)
        path = os.path.join(tmpdir, "ring")
        self._mirror: mm.Mirror | None
        try:
            self._mirror = mirror = mm.mirror(
                path, capacity
            )  # 'w' access: creates and sizes the file
        finally:
            if os.path.exists(path):
                os.unlink(path)
            os.rmdir(tmpdir)
        self.capacity = mirror.size  # aligned up to whole pages by mirror
        # One view over both copies (the mirror's buffer spans all of them). While it
        # or any view from peek() lives, the mirror refuses to be freed (BufferError),
        # so no view can outlive the memory it shows.
        self._view = _buffer_of(mirror)

    def write(self, data: memoryview) -> int:
        """Copy as much of ``data`` as fits; returns the number of bytes taken."""
        n = min(len(data), self.capacity - (self._head - self._tail))
        at = self._head % self.capacity
        self._view[at : at + n] = data if n == len(data) else data[:n]
        self._head += n
        return n

    def read_into(self, out: memoryview) -> int:
        """Move up to ``len(out)`` buffered bytes into ``out``; returns how many."""
        n = min(len(out), self._head - self._tail)
        at = self._tail % self.capacity
        out[:n] = self._view[at : at + n]
        self._tail += n
        return n

    def peek(self, n: int) -> memoryview:
        """The next ``n`` buffered bytes, contiguous and not copied, even across
        the wrap. The bytes stay put until they are consumed and overwritten;
        release the view before closing the ring."""
        if not 0 <= n <= self._head - self._tail:
            raise ValueError(f"n: must be between 0 and the {len(self)} buffered bytes, got {n}")
        at = self._tail % self.capacity
        return self._view[at : at + n]

    def close(self) -> None:
        """Free the mirror (idempotent). BufferError while a view from
        :meth:`peek` is still alive."""
        mirror = self._mirror
        if mirror is not None:
            self._view.release()
            try:
                mirror.free()
            except BufferError:
                self._view = _buffer_of(mirror)  # still open and usable
                raise
            self._mirror = None


def _buffer_of(mirror: mm.Mirror) -> memoryview:
    # The reference exports the buffer from a C type slot, which type checkers
    # cannot see (Python 3.11 has no __buffer__).
    return memoryview(mirror)  # type: ignore[arg-type]


class SplitRing(_Indices):
    """The same ring on a ``bytearray``: copies split in two at the wrap, and a
    :meth:`peek` across the wrap has to assemble a copy."""

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError(f"capacity: must be > 0, got {capacity}")
        self.capacity = capacity
        self._view = memoryview(bytearray(capacity))

    def write(self, data: memoryview) -> int:
        n = min(len(data), self.capacity - (self._head - self._tail))
        at = self._head % self.capacity
        first = min(n, self.capacity - at)
        self._view[at : at + first] = data[:first]
        if first < n:
            self._view[: n - first] = data[first:n]
        self._head += n
        return n

    def read_into(self, out: memoryview) -> int:
        n = min(len(out), self._head - self._tail)
        at = self._tail % self.capacity
        first = min(n, self.capacity - at)
        out[:first] = self._view[at : at + first]
        if first < n:
            out[first:n] = self._view[: n - first]
        self._tail += n
        return n

    def peek(self, n: int) -> memoryview:
        if not 0 <= n <= self._head - self._tail:
            raise ValueError(f"n: must be between 0 and the {len(self)} buffered bytes, got {n}")
        at = self._tail % self.capacity
        if at + n <= self.capacity:
            return self._view[at : at + n]
        joined = bytearray(self._view[at:])  # the copy a mirror makes unnecessary
        joined += self._view[: n - len(joined)]
        return memoryview(joined)

    def close(self) -> None:
        self._view.release()


class Stream:
    """A reproducible byte stream and chunk sizes for a producer and a consumer.

    ``source`` holds ``period`` random bytes followed by its own first
    ``max_chunk`` bytes again, so the producer's next chunk is always one
    contiguous slice of it; the consumer checks what it reads against the same
    bytes. Chunk sizes are drawn uniformly from ``[min_chunk, max_chunk]`` (seeded):
    different sizes for producer and consumer make the fill level wander and the
    copies hit the wrap at every offset.
    """

    def __init__(
        self, period: int = 1 << 20, min_chunk: int = 512, max_chunk: int = 16384, seed: int = 6
    ) -> None:
        rnd = random.Random(seed)
        body = rnd.randbytes(period)
        self.period = period
        self.source = memoryview(body + body[:max_chunk])
        self.write_sizes = [rnd.randint(min_chunk, max_chunk) for _ in range(997)]
        self.read_sizes = [rnd.randint(min_chunk, max_chunk) for _ in range(991)]
        self.min_chunk, self.max_chunk = min_chunk, max_chunk


def pump(ring: Ring, total: int, stream: Stream, verify: bool = False) -> int:
    """Producer and consumer take turns (one write, one read) until ``total``
    bytes have gone through ``ring``; returns the bytes moved. With ``verify``,
    every byte read is compared with what was written, and AssertionError is
    raised on the first difference."""
    source, period = stream.source, stream.period
    sink = memoryview(bytearray(stream.max_chunk))
    sinks = [sink[:s] for s in stream.read_sizes]
    wsizes = stream.write_sizes
    nw, nr = len(wsizes), len(sinks)
    produced = consumed = i = 0
    while consumed < total:
        p = produced % period
        produced += ring.write(source[p : p + min(wsizes[i % nw], total - produced)])
        m = ring.read_into(sinks[i % nr])
        if verify and m:
            q = consumed % period
            if sink[:m].tobytes() != source[q : q + m].tobytes():  # memcmp, not per item
                raise AssertionError(
                    f"{type(ring).__name__}: bytes {consumed}..{consumed + m} differ"
                )
        consumed += m
        i += 1
    return consumed


def main(argv: list[str] | None = None) -> int:
    """Move ``MiB`` (default 256) through a 64 KiB ring of each kind, verified."""
    args = sys.argv[1:] if argv is None else argv
    total = int(args[0]) << 20 if args else 256 << 20
    stream = Stream()
    for kind in (MirrorRing, SplitRing):
        with kind(64 * 1024) as ring:
            t0 = time.perf_counter()
            pump(ring, total, stream, verify=True)
            dt = time.perf_counter() - t0
        print(
            f"{kind.__name__:10} moved {total >> 20} MiB through 64 KiB, verified: "
            f"{total / dt / 1e9:.2f} GB/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
