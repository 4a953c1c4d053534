"""How one group of variants is timed: calibrated batches, warm-up, interleaved rounds.

Method (the same for every case, so runs can be compared):

* each variant is a function ``run(n)`` that performs ``n`` operations itself,
  so the loop overhead is the same Python ``for`` loop for a case and its
  baselines (the C rows loop in C instead, which is the point of them);
* calibration doubles ``n`` until one batch takes at least ``min_batch_s``; the
  calibration batches double as warm-up, and one more full batch is run and
  thrown away before timing;
* then ``samples`` rounds: in each round every variant runs one batch, in an
  order rotated from round to round, so that drift of the machine (another
  process, frequency changes) hits all variants alike and a ratio can be taken
  per round (paired);
* the clock is the thread's CPU time for operations that only compute and
  make syscalls, wall time for those that wait (see :data:`CLOCKS`);
* the garbage collector is off during a batch (as ``timeit`` does) and a
  collection runs between rounds;
* reported: the median time per operation over the batches, the quartiles
  (spread = IQR), and for each comparison the median and quartiles of the
  per-round ratios (the ratio of the two medians is kept in the JSON too).
"""

from __future__ import annotations

import dataclasses
import gc
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

Role = Literal["case", "baseline"]
RatioKind = Literal["time", "speed"]
Clock = Literal["cpu", "wall"]

CLOCKS: dict[Clock, Callable[[], int]] = {"cpu": time.thread_time_ns, "wall": time.perf_counter_ns}
"""``cpu``: the CPU time of this thread, user + system (syscalls included). On a
shared machine it leaves out the time other processes hold the CPU, which wall
time cannot. ``wall``: elapsed time, for operations that wait (disk I/O, child
processes), where CPU time would leave out the very thing measured."""


@dataclasses.dataclass
class Variant:
    """One row of the table."""

    key: str
    """Stable identifier, ``<group>.<name>``; what ``--compare`` matches on."""
    label: str
    run: Callable[[int], object] | None
    """Performs ``n`` operations. None when skipped."""
    role: Role = "baseline"
    bytes_per_op: int = 0
    """When > 0 the row also shows throughput (bytes per second)."""
    skip: str | None = None
    """Why this row was not measured."""
    fixed_n: int | None = None
    """Run exactly this many operations per batch instead of calibrating."""
    warmup: bool = True
    check: Callable[[], None] | None = None
    """Called after timing; raises if the variant did not do its job (wrong
    bytes copied, not a mirror...), so that no broken row is ever reported."""


@dataclasses.dataclass(frozen=True)
class Comparison:
    """A ratio the table shows, optionally with its target."""

    case: str
    baseline: str
    kind: RatioKind = "time"
    """``time``: case time / baseline time (lower is better).
    ``speed``: baseline time / case time, i.e. case speed relative to the baseline
    (higher is better)."""
    limit: float | None = None
    """The target: ratio <= limit for ``time``, ratio >= limit for ``speed``."""


@dataclasses.dataclass(frozen=True)
class Limit:
    """An absolute target: the median of ``key`` must not exceed ``max_seconds``."""

    key: str
    max_seconds: float


@dataclasses.dataclass
class Group:
    """One numbered case of the benchmark: its variants and the ratios to report."""

    id: str
    title: str
    variants: list[Variant]
    comparisons: list[Comparison] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    samples: int | None = None
    """Overrides the configured number of rounds (for very long operations)."""
    limits: list[Limit] = dataclasses.field(default_factory=list)
    waits: bool = False
    """The operations wait for something outside this thread (I/O, a child
    process): always timed by wall clock."""


@dataclasses.dataclass(frozen=True)
class Settings:
    min_batch_s: float
    samples: int
    clock: Clock = "cpu"
    """The clock of groups that do not wait; see :data:`CLOCKS`."""
    max_n: int = 10_000_000


@dataclasses.dataclass
class Stats:
    median: float
    q1: float
    q3: float

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    @classmethod
    def of(cls, values: list[float]) -> Stats:
        if not values:
            raise ValueError("no values")
        if len(values) == 1:
            return cls(values[0], values[0], values[0])
        q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
        return cls(q2, q1, q3)


@dataclasses.dataclass
class VariantResult:
    key: str
    label: str
    role: Role
    skip: str | None = None
    error: str | None = None
    n: int = 0
    """Operations per batch."""
    per_op: list[float] = dataclasses.field(default_factory=list)
    """Seconds per operation, one value per round."""
    bytes_per_op: int = 0

    @property
    def stats(self) -> Stats | None:
        return Stats.of(self.per_op) if self.per_op else None


@dataclasses.dataclass
class ComparisonResult:
    comparison: Comparison
    ratio: float | None = None
    """The median of the per-round ratios (case and baseline timed back to back
    in each round), the figure reported: it cancels load that changes between
    rounds, which matters on a shared machine."""
    paired: Stats | None = None
    """Quartiles of the per-round ratios."""
    of_medians: float | None = None
    """The ratio of the two medians, for reference."""

    @property
    def met(self) -> bool | None:
        c, r = self.comparison, self.ratio
        if c.limit is None or r is None:
            return None
        return r <= c.limit if c.kind == "time" else r >= c.limit


@dataclasses.dataclass
class LimitResult:
    limit: Limit
    median: float | None = None

    @property
    def met(self) -> bool | None:
        return None if self.median is None else self.median <= self.limit.max_seconds


@dataclasses.dataclass
class GroupResult:
    id: str
    title: str
    notes: list[str]
    variants: list[VariantResult]
    comparisons: list[ComparisonResult]
    limits: list[LimitResult] = dataclasses.field(default_factory=list)
    clock: Clock = "wall"
    error: str | None = None


@contextmanager
def _no_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def timed(run: Callable[[int], object], n: int, clock: Clock = "wall") -> float:
    """Seconds taken by one batch of ``n`` operations, collector off."""
    now = CLOCKS[clock]
    with _no_gc():
        t0 = now()
        run(n)
        t1 = now()
    return (t1 - t0) / 1e9


def calibrate(run: Callable[[int], object], settings: Settings, clock: Clock = "wall") -> int:
    """The smallest power-of-two-ish ``n`` whose batch lasts ``min_batch_s``
    (capped at ``max_n``); every trial batch is also warm-up."""
    n = 1
    while True:
        t = timed(run, n, clock)
        if t >= settings.min_batch_s or n >= settings.max_n:
            return n
        # Jump close to the target when the estimate is trustworthy, never by
        # more than 10x at once, so one fast outlier cannot overshoot wildly.
        grow = 10.0 if t < 1e-4 else min(10.0, max(2.0, settings.min_batch_s / t * 1.2))
        n = min(settings.max_n, int(n * grow) + 1)


def measure(
    group: Group, settings: Settings, log: Callable[[str], None] = lambda s: None
) -> GroupResult:
    """Time every live variant of ``group`` and compute its comparisons."""
    clock: Clock = "wall" if group.waits else settings.clock
    results = {
        v.key: VariantResult(v.key, v.label, v.role, skip=v.skip, bytes_per_op=v.bytes_per_op)
        for v in group.variants
    }
    live = _calibrated(group.variants, results, settings, clock, log)
    rounds = group.samples if group.samples is not None else settings.samples
    per_round, failed = _timed_rounds(live, results, rounds, clock)
    for v in live:
        if v.check is not None and v.key not in failed:
            try:
                v.check()
            except Exception as exc:
                results[v.key].error = f"check failed: {type(exc).__name__}: {exc}"
                results[v.key].per_op.clear()
    comparisons = [_compare(c, results, per_round) for c in group.comparisons]
    limits = []
    for lim in group.limits:
        st = results[lim.key].stats
        limits.append(LimitResult(lim, st.median if st else None))
    return GroupResult(
        group.id, group.title, list(group.notes), list(results.values()), comparisons, limits, clock
    )


def _calibrated(
    variants: list[Variant],
    results: dict[str, VariantResult],
    settings: Settings,
    clock: Clock,
    log: Callable[[str], None],
) -> list[Variant]:
    """The variants that can run, each with its batch size found (and warmed up);
    a skipped or failing one is recorded in ``results`` and left out."""
    live: list[Variant] = []
    for v in variants:
        if v.skip is not None or v.run is None:
            results[v.key].skip = v.skip or "not available"
            continue
        try:
            n = v.fixed_n if v.fixed_n is not None else calibrate(v.run, settings, clock)
            if v.warmup:
                v.run(n)
        except Exception as exc:  # a failing variant is reported, the others still run
            results[v.key].error = f"{type(exc).__name__}: {exc}"
            continue
        results[v.key].n = n
        live.append(v)
        log(f"  calibrated {v.label}: {n} op(s) per batch")
    return live


def _timed_rounds(
    live: list[Variant], results: dict[str, VariantResult], rounds: int, clock: Clock
) -> tuple[list[dict[str, float]], set[str]]:
    """Time one batch of each variant per round, in an order rotated each round.
    Returns each round's per-op times and the keys of the variants that failed."""
    per_round: list[dict[str, float]] = []
    failed: set[str] = set()
    for r in range(rounds):
        gc.collect()
        order = live[r % len(live) :] + live[: r % len(live)] if live else []
        times: dict[str, float] = {}
        for v in order:
            if v.key in failed:
                continue
            res = results[v.key]
            assert v.run is not None
            try:
                t = timed(v.run, res.n, clock)
            except Exception as exc:
                res.error = f"{type(exc).__name__}: {exc}"
                res.per_op.clear()  # figures from before the failure are not reported
                failed.add(v.key)
                continue
            times[v.key] = t / res.n
            res.per_op.append(t / res.n)
        per_round.append(times)
    return per_round, failed


def _compare(
    c: Comparison, results: dict[str, VariantResult], rounds: list[dict[str, float]]
) -> ComparisonResult:
    case, base = results[c.case].stats, results[c.baseline].stats
    if case is None or base is None:
        return ComparisonResult(c)
    paired = [
        (t[c.case] / t[c.baseline]) if c.kind == "time" else (t[c.baseline] / t[c.case])
        for t in rounds
        if c.case in t and c.baseline in t
    ]
    of_medians = case.median / base.median if c.kind == "time" else base.median / case.median
    if not paired:
        return ComparisonResult(c, of_medians=of_medians)
    st = Stats.of(paired)
    return ComparisonResult(c, st.median, st, of_medians)
