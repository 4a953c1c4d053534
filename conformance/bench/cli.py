"""``python -m mmapspec.bench`` / ``mmapspec bench``: run the cases, print the table, write JSON."""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import datetime
import io
import pstats
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from mmapspec.bench import cases, failing, native, pipe, report, suite
from mmapspec.bench.machine import machine_info, one_line
from mmapspec.bench.timing import Group, GroupResult, Settings, measure

CaseFactory = Callable[[cases.Context], AbstractContextManager[Group]]

CASES: dict[str, CaseFactory] = {
    "anon": cases.anon,
    "file": cases.file_by_name,
    "bulk": cases.bulk,
    "flush": cases.flush,
    "mirror": cases.mirror,
    "ring": cases.ring,
    "suite": suite.suite,
    "pipe": pipe.pipe,
    "failing": failing.failing,
}

FULL = Settings(min_batch_s=0.04, samples=15)
QUICK = Settings(min_batch_s=0.002, samples=3)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mmapspec bench",
        description="Benchmark the reference against CPython's mmap, raw ctypes, C and memcpy, "
        "side by side in one run; print a table and write JSON.",
        epilog="Absolute figures vary between machines; the ratios within one run are what count.",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes and few rounds (smoke test; figures are not meaningful)",
    )
    p.add_argument("--only", metavar="CASES", help=f"comma-separated subset of: {', '.join(CASES)}")
    p.add_argument("--skip", metavar="CASES", default="", help="comma-separated cases to leave out")
    p.add_argument(
        "--json",
        metavar="PATH",
        type=Path,
        help="where to write the JSON (default: reports/bench-<time>.json)",
    )
    p.add_argument(
        "--compare", metavar="OLD.json", type=Path, help="also show changes against an earlier run"
    )
    p.add_argument("--rounds", type=int, help=f"timed rounds per case (default {FULL.samples})")
    p.add_argument(
        "--min-batch",
        type=float,
        metavar="SECONDS",
        help=f"calibrated batch length (default {FULL.min_batch_s})",
    )
    p.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="clock of the cases that only compute: this thread's CPU time (default; leaves out "
        "time other processes hold the CPU) or wall time. Flush, suite and pipe always use wall",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="instead of timing, run each reference row under cProfile and print the top functions",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log calibration")
    return p


def _selected(args: argparse.Namespace, p: argparse.ArgumentParser) -> list[str]:
    wanted = [n.strip() for n in args.only.split(",")] if args.only else list(CASES)
    skipped = [n.strip() for n in args.skip.split(",") if n.strip()]
    unknown = [n for n in wanted + skipped if n and n not in CASES]
    if unknown:
        p.error(f"unknown case(s) {', '.join(unknown)}: expected some of {', '.join(CASES)}")
    return [n for n in CASES if n in wanted and n not in skipped]  # always in the cases' order


def _profile(group: Group, seconds: float = 2.0) -> str:
    """cProfile of each reference row for about ``seconds``: where its time goes.

    A ctypes call is not an entry of its own: its time (the syscall) shows up as
    the ``tottime`` of the Python function that makes it, e.g. the backend's
    ``map``/``unmap``. For native frames use ``py-spy record --native``."""
    out = []
    for v in group.variants:
        if (
            v.role != "case"
            or v.run is None
            or v.skip
            or not v.key.split(".")[-1].startswith("reference")
        ):
            continue
        n = 1
        while True:  # size the profiled batch like calibration does, without the profiler
            t0 = time.perf_counter()
            v.run(n)
            if time.perf_counter() - t0 > seconds / 10 or n > 1 << 22:
                break
            n *= 2
        prof = cProfile.Profile()
        prof.runcall(v.run, n * 10)
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(12)
        out.append(f"== {v.label}: {n * 10} operations\n{buf.getvalue()}")
    return "\n".join(out) if out else f"{group.title}: no reference rows to profile"


def run(
    args: argparse.Namespace, names: list[str], log: Callable[[str], None]
) -> tuple[list[GroupResult], dict[str, Any]]:
    settings = QUICK if args.quick else FULL
    settings = Settings(
        min_batch_s=args.min_batch if args.min_batch is not None else settings.min_batch_s,
        samples=args.rounds if args.rounds is not None else settings.samples,
        clock=args.clock,
    )
    workdir = Path(tempfile.mkdtemp(prefix="mmapspec-bench-"))
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.perf_counter()
    try:
        helper = native.compile_helper(workdir)
        ref, why = cases.load_reference()
        ctx = cases.Context(
            workdir, cases.QUICK if args.quick else cases.Sizes(), helper, ref, why, args.quick
        )
        info = machine_info(workdir, helper.compiler if isinstance(helper, native.Helper) else None)
        if isinstance(helper, str):
            log(helper)
        if ref is None:
            log(f"reference rows skipped: {why}")
        results = []
        for name in names:
            log(f"{name} ...")
            try:
                with CASES[name](ctx) as group:
                    if args.profile:
                        print(_profile(group, 0.05 if args.quick else 2.0))
                        continue
                    results.append(
                        measure(group, settings, log if args.verbose else lambda s: None)
                    )
                # A case may add notes while it cleans up (the suite's outcome, say).
                if results and results[-1].id == group.id:
                    results[-1].notes = list(group.notes)
            except Exception as exc:  # a case whose setup fails is reported; the others still run
                results.append(
                    GroupResult(name, name, [], [], [], error=f"{type(exc).__name__}: {exc}")
                )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    meta = {
        "started": started.isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - t0, 1),
        "argv": sys.argv[1:],
        "quick": args.quick,
        "settings": {
            "min_batch_s": settings.min_batch_s,
            "rounds": settings.samples,
            "clock": settings.clock,
            "sizes": dataclasses.asdict(ctx.sizes),
        },
        "machine": info,
    }
    return results, meta


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (1 when a row errored or a check failed)."""
    p = parser()
    return run_parsed(p.parse_args(argv), p)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``bench`` to another command's subcommands (``mmapspec bench``): the
    same options as ``python -m mmapspec.bench``; the subcommand's ``func``
    takes the parsed namespace and returns the exit status."""
    own = parser()
    bench = sub.add_parser(
        "bench",
        parents=[own],
        add_help=False,
        help="benchmark the reference against CPython's mmap, ctypes, C and memcpy",
        description=own.description,
        epilog=own.epilog,
    )
    bench.set_defaults(func=lambda ns: run_parsed(ns, bench))


def run_parsed(args: argparse.Namespace, p: argparse.ArgumentParser) -> int:
    """Run with parsed options; ``p`` reports usage errors."""
    names = _selected(args, p)
    old = None
    if args.compare is not None:
        try:
            old = report.load_json(args.compare)
        except (OSError, ValueError) as exc:
            p.error(f"--compare: {exc}")

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    results, meta = run(args, names, log)
    if args.profile:
        return 0
    print(report.table(results, one_line(meta["machine"])))
    doc = report.to_json(results, meta)
    path = (
        args.json
        or Path("reports") / f"bench-{meta['started'].replace(':', '').replace('+0000', '')}.json"
    )
    report.write_json(doc, path)
    print(f"\nJSON written to {path}")
    if old is not None:
        print()
        print(report.compare(old, doc))
    broken = [f"{v.key}: {v.error}" for g in results for v in g.variants if v.error]
    broken += [f"{g.id}: {g.error}" for g in results if g.error]
    for line in broken:
        print(f"ERROR {line}", file=sys.stderr)
    return 1 if broken else 0
