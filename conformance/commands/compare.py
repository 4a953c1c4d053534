"""``mmapspec compare OLD.json NEW.json``: the command; the comparison and its
renderings are :mod:`mmapspec.viewer.compare`."""

from __future__ import annotations

import argparse
import sys

from mmapspec.results.exit_status import run_failed
from mmapspec.results.report_input import ReportError, read_report
from mmapspec.viewer.compare import (
    EXIT_UNREADABLE,
    compare,
    ranking,
    render_markdown,
    render_text,
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser(
        "compare",
        help="what changed between two JSON reports",
        description="Compare two JSON reports clause by clause: what got worse, what got "
        f"better, what changed, what was added or removed. Actual statuses rank {ranking()}; "
        "a drop is worse.",
        epilog="Exit status: 1 when a clause got worse, 0 otherwise, 2 when a report "
        "cannot be read.",
    )
    cmd.add_argument("old", metavar="OLD.json", help="the earlier report")
    cmd.add_argument("new", metavar="NEW.json", help="the later report")
    cmd.add_argument("--markdown", action="store_true", help="write Markdown instead of text")
    cmd.set_defaults(func=_main)


def _main(ns: argparse.Namespace) -> int:
    try:
        old, new = read_report(ns.old), read_report(ns.new)
    except ReportError as exc:
        run_failed(str(exc))
        return EXIT_UNREADABLE
    result = compare(old, new)
    try:
        sys.stdout.write(render_markdown(result) if ns.markdown else render_text(result))
        sys.stdout.flush()
    except OSError as exc:
        run_failed(f"cannot write the comparison: {exc.strerror or exc}")
        return EXIT_UNREADABLE
    return result.exit_code
