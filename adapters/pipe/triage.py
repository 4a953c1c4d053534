"""Crash triage: which calls made the implementation's process die.

A :class:`CallLog` keeps every request a child received since it started, with the
value each one answered. When the child dies, the crash may be the running test's
own, or the late effect of an earlier call (a binding that mapped over memory it
does not own crashes later, in an unrelated call). :func:`triage` decides which, in
fresh children of the same command:

1. the running test's calls alone: if they crash, the crash is the test's clause's;
2. else every call since the child started: if they crash, the sequence is shrunk by
   delta debugging (within a time bound) to a minimal one that still crashes, and
   the crash is reported under the safety clause ``safety.process.survives`` with
   that sequence, blaming no other clause;
3. else the crash did not replay: it is reported as flaky, under that clause too.

Handles and addresses in a replayed request are those of the child that answered the
original: each is translated to what the fresh child answered for the same call (an
address inside a map the original returned moves with that map).
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from mmapspec.adapters.interface import HarnessFailure, ImplementationCrashed
from mmapspec.adapters.operations import OPERATION
from mmapspec.adapters.pipe.codec import decode_int, encode_int

SURVIVES = "safety.process.survives"
"""The clause a crash caused by earlier calls (or one that does not replay) is
reported under."""
SHRINK_SECONDS = 30.0
"""How long delta debugging may take to shrink a crashing sequence."""
MAX_LOGGED = 20_000
"""Calls kept per child: past that, the log stops growing (and says so)."""


@dataclasses.dataclass
class Call:
    """One request as sent, and the value it answered (None: it failed or died)."""

    op: str
    args: dict[str, Any]
    value: Any = None

    def line(self) -> str:
        return json.dumps({"op": self.op, "args": self.args}, sort_keys=True)


@dataclasses.dataclass
class CallLog:
    """The calls one child received since it started; ``test_start`` indexes the
    first call of the running test."""

    calls: list[Call] = dataclasses.field(default_factory=list)
    test_start: int = 0
    overflowed: bool = False

    def record(self, op: str, args: dict[str, Any]) -> Call | None:
        if len(self.calls) >= MAX_LOGGED:
            self.overflowed = True
            return None
        call = Call(op, dict(args))
        self.calls.append(call)
        return call

    def begin_test(self) -> None:
        self.test_start = len(self.calls)


class CrashCausedEarlier(ImplementationCrashed):
    """The process died during this test, but this test's calls alone do not crash it:
    a sequence of earlier calls does. ``lines`` reproduce it (one request a line)."""

    clause = SURVIVES

    def __init__(self, crash: ImplementationCrashed, op: str, lines: list[str], note: str):
        detail = (
            f"{crash.detail}, which does not crash alone: {note}; the minimal sequence "
            f"that crashes a fresh process ({len(lines)} calls):\n" + "\n".join(lines)
        )
        super().__init__(crash.signal, crash.exitcode, detail)
        self.lines = lines


class FlakyCrash(ImplementationCrashed):
    """The process died, and neither this test's calls nor all the calls since it
    started crash a fresh process again."""

    clause = SURVIVES

    def __init__(self, crash: ImplementationCrashed, op: str, replayed: int):
        detail = (
            f"flaky: {crash.detail}; neither the test's calls nor all {replayed} calls "
            "since the process started crash a fresh process"
        )
        super().__init__(crash.signal, crash.exitcode, detail)


Replay = Callable[[Sequence[Call]], bool]
"""Runs calls in a fresh child; whether it died."""


class _Translation:
    """Old handles and addresses (the original child's) to the replaying child's."""

    def __init__(self) -> None:
        self.handles: dict[Any, Any] = {}
        self.ranges: list[tuple[int, int, int]] = []  # (old addr, size, new addr)

    def learn(self, old: Any, new: Any) -> None:
        if not isinstance(old, dict) or not isinstance(new, dict):
            return
        if "handle" in old and "handle" in new:
            self.handles[json.dumps(old["handle"])] = new["handle"]
        try:
            o, n, size = decode_int(old["addr"]), decode_int(new["addr"]), decode_int(old["size"])
        except Exception:  # no address in this answer (or not one we can read)
            o = n = size = None
        if isinstance(o, int) and isinstance(n, int) and isinstance(size, int):
            copies = max(1, len(old.get("maps") or ()))  # a mirror spans all its copies
            self.ranges.append((o, max(size, 1) * copies, n))
        for old_map, new_map in zip(old.get("maps") or (), new.get("maps") or (), strict=False):
            self.learn(old_map, new_map)

    def args(self, call: Call) -> dict[str, Any]:
        spec = OPERATION.get(call.op)
        out = dict(call.args)
        if spec is None:
            return out
        for arg in spec.args:
            key = arg.request_key
            if key not in out:
                continue
            if arg.wire == "handle":
                out[key] = self.handles.get(json.dumps(out[key]), out[key])
            elif arg.wire == "addr":
                out[key] = self._addr(out[key])
        return out

    def _addr(self, encoded: Any) -> Any:
        try:
            value = decode_int(encoded)
        except Exception:  # not an integer we can read: sent as it was
            return encoded
        for old, span, new in reversed(self.ranges):
            if isinstance(value, int) and old <= value < old + span:
                return encode_int(new + (value - old))
        return encoded


def replay_in(round_trip_factory: Callable[[], Any], calls: Sequence[Call]) -> bool:
    """Replays ``calls`` through a fresh child made by ``round_trip_factory`` (an object
    with ``round_trip(op, args)`` and ``stop()``); True if the child died."""
    child = round_trip_factory()
    names = _Translation()
    try:
        for call in calls:
            try:
                value = child.round_trip(call.op, names.args(call))
            except ImplementationCrashed:
                return True
            except HarnessFailure:
                return False
            except Exception:  # a documented failure or raise: the sequence goes on
                continue
            names.learn(call.value, value)
        return False
    finally:
        child.stop()


def shrink(calls: list[Call], crashes: Replay, seconds: float = SHRINK_SECONDS) -> list[Call]:
    """Delta debugging (ddmin): a smaller sequence of ``calls`` that still crashes,
    minimal as far as ``seconds`` allowed. ``calls`` must crash."""
    deadline = time.monotonic() + seconds
    current, n = list(calls), 2
    while len(current) >= 2 and time.monotonic() < deadline:
        chunk = -(-len(current) // n)
        parts = [current[i : i + chunk] for i in range(0, len(current), chunk)]
        reduced = False
        for i in range(len(parts)):
            if time.monotonic() >= deadline:
                break
            rest = [c for j, p in enumerate(parts) if j != i for c in p]
            if rest and crashes(rest):
                current, n, reduced = rest, max(n - 1, 2), True
                break
        if not reduced:
            if n >= len(current):
                break
            n = min(len(current), 2 * n)
    return current


def triage(
    log: CallLog, crash: ImplementationCrashed, op: str, crashes: Replay
) -> ImplementationCrashed:
    """What the crash in ``op`` (the last call logged) is: ``crash`` itself if the
    running test's calls alone crash a fresh child, else :class:`CrashCausedEarlier`
    with the minimal sequence, else :class:`FlakyCrash`."""
    own = log.calls[log.test_start :]
    if not own or crashes(own):
        return crash
    everything = list(log.calls)
    if not crashes(everything):
        return FlakyCrash(crash, op, len(everything))
    started = time.monotonic()
    minimal = shrink(everything, crashes)
    note = (
        f"{len(everything)} calls since the process started, shrunk to {len(minimal)} in "
        f"{time.monotonic() - started:.1f} s"
        + (" (the log stopped growing at its limit)" if log.overflowed else "")
    )
    return CrashCausedEarlier(crash, op, [c.line() for c in minimal], note)
