"""``mmapspec html REPORT.json... -o page.html``: the command; the page is
:mod:`mmapspec.viewer.site`."""

from __future__ import annotations

import argparse

from mmapspec.results import report_files
from mmapspec.results.exit_status import run_failed
from mmapspec.results.report_input import ReportError, read_report
from mmapspec.results.safe_text import NAME_LIMIT, for_terminal
from mmapspec.viewer.site import build


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser(
        "html",
        help="one static HTML page of JSON reports side by side",
        description="Write one self-contained HTML page (inline CSS and script, nothing "
        "loaded from the network) showing the given JSON reports side by side: a header "
        "per implementation, the clause matrix with filters, and the document with every "
        "quoted sentence marked by its status in each implementation.",
    )
    cmd.add_argument(
        "reports", nargs="+", metavar="REPORT.json", help="reports of mmapspec run --json"
    )
    cmd.add_argument("-o", "--output", required=True, metavar="PAGE.html", help="where to write")
    cmd.set_defaults(func=_main)


def _main(ns: argparse.Namespace) -> int:
    try:
        reports = [read_report(p) for p in ns.reports]
    except ReportError as exc:
        return run_failed(str(exc))
    problem = report_files.check_writable(ns.output)
    if problem:
        return run_failed(f"-o: {problem}")
    text = build(reports)
    try:
        report_files.write(ns.output, text)
    except report_files.ReportWriteError as exc:
        return run_failed(str(exc))
    shown = for_terminal(ns.output, NAME_LIMIT)
    print(f"{shown}: {len(text.encode('utf-8'))} bytes, {len(reports)} implementation(s)")
    return 0
