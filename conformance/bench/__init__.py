"""Benchmarks of the reference against CPython's mmap, raw ctypes, C and memcpy.

Separate from the tests: run ``python -m mmapspec.bench`` (or ``mmapspec bench``)
for the table and a JSON file; ``--quick`` for a smoke run, ``--compare OLD.json``
to set two runs side by side. Speed is only ever reported here as ratios against
baselines measured in the same run, never asserted in a test.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark with command-line arguments ``argv`` (default: sys.argv[1:])."""
    from mmapspec.bench.cli import main as cli_main

    return int(cli_main(None if argv is None else list(argv)))
