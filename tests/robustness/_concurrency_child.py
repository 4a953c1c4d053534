"""Threads that map, write, flush, mirror and free at the same time.

Run as ``python _concurrency_child.py DIR THREADS ROUNDS TAG_PREFIX``; prints one JSON line.
It runs in a child process so that a clobbered mapping that crashes the
interpreter fails the test instead of killing pytest.

Each thread owns a byte pattern that encodes (thread, round), so a byte written by
any other thread is recognisable. Every live range (maps, and whole mirror spans)
is entered in a shared registry; a new map or mirror that lands inside another
thread's live range is a stolen reservation or a clobber. Each round also aims
a hinted map at another thread's live mirror, which must fail with 'out_of_mem'
and leave the mirror intact. ctypes releases the GIL around every system call and
memmove, so the threads really do run at once.
"""

from __future__ import annotations

import ctypes
import json
import os
import random
import sys
import threading
from typing import Any

import _resources
from mmapspec import reference as mm

PAGE = mm.pagesize()


class Registry:
    """Live address ranges by owner; reports any overlap between owners."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.live: dict[tuple[int, int], tuple[int, int]] = {}  # (start, end) -> (thread, round)
        self.mirrors: dict[int, tuple[int, int]] = {}  # thread -> its live mirror span
        self.problems: list[str] = []

    def add(self, start: int, size: int, owner: tuple[int, int]) -> None:
        end = start + -(-size // PAGE) * PAGE
        with self.lock:
            for (s, e), other in self.live.items():
                if s < end and start < e:
                    self.problems.append(
                        f"{owner} got [{start:#x},{end:#x}) inside live [{s:#x},{e:#x}) of {other}"
                    )
            self.live[(start, end)] = owner

    def remove(self, start: int, size: int) -> None:
        end = start + -(-size // PAGE) * PAGE
        with self.lock:
            del self.live[(start, end)]


def pattern(thread: int, rnd: int, n: int) -> bytes:
    unit = bytes([0xA0 | (thread & 0xF), rnd & 0xFF, (rnd >> 8) & 0xFF, 0x5C])
    return (unit * (n // 4 + 1))[:n]


def check_mirror(entry: tuple[Any, int, bytes], owner: tuple[int, int], reg: Registry) -> None:
    """A mirror kept over a round still holds its pattern in every copy."""
    mir, times, want = entry
    for o in range(times):
        if ctypes.string_at(mir.addr + o * mir.size, len(want)) != want:
            reg.problems.append(f"{owner}: the previous round's mirror copy {o} was clobbered")


class ThreadRounds:
    """One thread's rounds: each maps anonymous memory, a file, a tagname's shared
    memory and a mirror, writes its pattern into all of them, probes another
    thread's mirror with a hinted map, checks every byte, and frees."""

    def __init__(
        self, tid: int, base: str, tag_prefix: str, reg: Registry, stats: dict[str, int]
    ) -> None:
        self.tid, self.reg, self.stats = tid, reg, stats
        self.rng = random.Random(tid)
        self.file_path = os.path.join(base, f"t{tid}-file")
        self.mirror_path = os.path.join(base, f"t{tid}-mirror")
        self.tag = f"{tag_prefix}{tid}"
        self.prev: tuple[Any, int, bytes] | None = None
        """The last round's mirror, its times and its pattern: kept over the next round."""

    def run(self, rounds: int) -> None:
        for rnd in range(rounds):
            self.round((self.tid, rnd))
            self.stats["rounds"] += 1
        with self.reg.lock:
            del self.reg.mirrors[self.tid]
        self.drop_prev((self.tid, rounds))
        mm.unlink(self.tag)

    def round(self, owner: tuple[int, int]) -> None:
        rng, reg, rnd = self.rng, self.reg, owner[1]
        sizes = [rng.randint(1, 4 * PAGE) for _ in range(3)]
        pat = [pattern(self.tid, rnd, n) for n in sizes]
        anon = mm.map(None, "w", sizes[0])
        reg.add(anon.addr, anon.size, owner)
        ctypes.memmove(anon.addr, pat[0], sizes[0])
        fmap = mm.map(self.file_path, "w", sizes[1])
        reg.add(fmap.addr, fmap.size, owner)
        ctypes.memmove(fmap.addr, pat[1], sizes[1])
        fmap.flush()
        shared = mm.map(None, "w", PAGE, 0, None, self.tag)
        reg.add(shared.addr, shared.size, owner)
        ctypes.memmove(shared.addr, pat[2][:PAGE], min(PAGE, sizes[2]))
        times = rng.randint(2, 3)
        # Two files in turn: the previous round's mirror is still live on the other.
        mir = mm.mirror(f"{self.mirror_path}{rnd % 2}", sizes[2], times)
        reg.add(mir.addr, mir.size * times, owner)
        ctypes.memmove(mir.addr, pat[2], sizes[2])
        with reg.lock:
            reg.mirrors[self.tid] = (mir.addr, mir.size * times)
        self.probe_another_mirror(owner)
        # Everything we wrote is still ours, in every copy of the mirror.
        checks = [
            (anon.addr, pat[0]),
            (fmap.addr, pat[1]),
            (shared.addr, pat[2][:PAGE][: sizes[2]]),
        ]
        checks += [(mir.addr + o * mir.size, pat[2]) for o in range(times)]
        self.check_bytes(owner, checks)
        self.drop_prev(owner)
        self.prev = (mir, times, pat[2])
        for obj in (anon, fmap, shared):
            reg.remove(obj.addr, obj.size)
            obj.free()
        with open(self.file_path, "rb") as f:
            if f.read(sizes[1]) != pat[1]:
                reg.problems.append(f"{owner}: the flushed file does not hold the pattern")

    def probe_another_mirror(self, owner: tuple[int, int]) -> None:
        """Aim a hinted map into another thread's live mirror: it must be refused.
        (Each thread keeps its mirror until its next one exists, so after the first
        round some other mirror is nearly always live.) The registry lock is held
        through the probe: owners leave the registry under the lock before they
        free, so the target cannot be freed meanwhile."""
        reg, rng = self.reg, self.rng
        with reg.lock:
            targets = [span for t, span in reg.mirrors.items() if t != self.tid]
            if not targets:
                return
            start, span = rng.choice(targets)
            hint = start + rng.randrange(span // PAGE) * PAGE
            try:
                stray = mm.map(None, "w", PAGE, 0, hint)
            except mm.MmapError as e:
                if e.errcode != "out_of_mem":
                    reg.problems.append(f"hint into a live mirror: errcode {e.errcode!r}")
                self.stats["hints_refused"] += 1
            else:
                reg.problems.append(f"{owner}: a hinted map took {hint:#x} in a live mirror")
                stray.free()

    def check_bytes(self, owner: tuple[int, int], checks: list[tuple[int, bytes]]) -> None:
        for addr, want in checks:
            got = ctypes.string_at(addr, len(want))
            if got != want:
                bad = next(i for i in range(len(want)) if got[i] != want[i])
                self.reg.problems.append(
                    f"{owner}: byte {bad} at {addr:#x} is {got[bad]:#x}, want {want[bad]:#x}"
                )

    def drop_prev(self, owner: tuple[int, int]) -> None:
        """Check and free the previous round's mirror, if any."""
        if self.prev is None:
            return
        check_mirror(self.prev, owner, self.reg)
        mir, times, _ = self.prev
        self.reg.remove(mir.addr, mir.size * times)
        mir.free()
        self.prev = None


def run_thread(
    tid: int,
    rounds: int,
    base: str,
    tag_prefix: str,
    reg: Registry,
    ready: threading.Barrier,
    go: threading.Barrier,
    stats: dict[str, int],
) -> None:
    rounds_of = ThreadRounds(tid, base, tag_prefix, reg, stats)
    ready.wait()
    go.wait()
    rounds_of.run(rounds)


def main() -> None:
    base, threads, rounds, tag_prefix = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    reg = Registry()
    ready, go = threading.Barrier(threads + 1), threading.Barrier(threads + 1)
    stats_per_thread = [{"rounds": 0, "hints_refused": 0} for _ in range(threads)]
    workers = [
        threading.Thread(
            target=run_thread,
            args=(t, rounds, base, tag_prefix, reg, ready, go, stats_per_thread[t]),
        )
        for t in range(threads)
    ]
    errors: list[str] = []

    def excepthook(args: Any) -> None:
        errors.append(f"{args.thread.name}: {args.exc_type.__name__}: {args.exc_value}")

    threading.excepthook = excepthook
    for w in workers:
        w.start()
    ready.wait()
    before = _resources.snapshot()  # the threads exist (stacks mapped) and wait to go
    go.wait()
    for w in workers:
        w.join()
    leaked = _resources.leaks(before)
    print(
        json.dumps(
            {
                "rounds": sum(s["rounds"] for s in stats_per_thread),
                "hints_refused": sum(s["hints_refused"] for s in stats_per_thread),
                "problems": reg.problems[:20] + errors,
                "leaks": leaked,
            }
        )
    )


if __name__ == "__main__":
    main()
