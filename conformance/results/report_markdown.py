"""The Markdown summary of a run's report (``--markdown``, for ``$GITHUB_STEP_SUMMARY``):
the verdict, counts per section, deviations, then details folded. Every string from a
harness goes through :mod:`~mmapspec.results.safe_text`: nothing in it becomes markup."""

from __future__ import annotations

import re

from mmapspec.results import safe_text
from mmapspec.results.model import Report, Verdict
from mmapspec.results.report_formats import (
    COLUMNS,
    _after_verdict,
    _one_line,
    _table_rows,
    adapter_title,
    summary_line,
)
from mmapspec.results.status import BLOCKED, DIFFERS, ERROR, EXPECTED_FAIL, HARNESS_ERROR, SKIPPED


def _md_cell(text: str | None) -> str:
    return safe_text.for_markdown(_one_line(text, 160))


def _md_line(text: str) -> str:
    """A line of ours that quotes untrusted text (a verdict with its reason): what
    could start markup, HTML or a link is backslash-escaped, so it shows as written."""
    s = re.sub(r"([\\`*_\[\]<!|~&@])", r"\\\1", safe_text.for_terminal(text))
    # GitHub links bare URLs and www. names: break what it looks for.
    return re.sub(
        r"(?i)(://|\bwww\.)", lambda m: m.group().replace("/", "\\/").replace(".", "\\."), s
    )


def to_markdown(report: Report) -> str:
    """A summary page: verdict, counts per section, deviations, then details folded."""
    icon = {Verdict.INCOMPLETE: "⚠️", Verdict.DEVIATIONS: "❌"}.get(report.verdict, "✅")
    out = [f"## {icon} mmapspec conformance: {_md_cell(adapter_title(report))}", ""]
    if report.incomplete is not None:
        out += [
            f"**Incomplete run: {_md_line(report.incomplete)}**",
            "",
            "The run stopped before its end: it is not a verdict on the binding. "
            "The counts below are what it saw until then.",
            "",
        ]
    out += [f"**{_md_line(line)}**  " for line in [summary_line(report), *_after_verdict(report)]]
    out.append("")
    if report.expectations_file:
        out += [f"Expectations: {_md_cell(report.expectations_file)}", ""]
    out.append("| section | catalogue | " + " | ".join(h for _, h in COLUMNS) + " |")
    out.append("|---|--:|" + "--:|" * len(COLUMNS))
    for section, size, counts in _table_rows(report):
        cells = " | ".join(str(counts.get(s, 0) or "") for s, _ in COLUMNS)
        out.append(f"| {_md_cell(section)} | {size} | {cells} |")
    dev = report.deviations
    if dev or report.stale or report.failed_untagged:
        out += ["", "### Deviations", "", "| clause | status | message |", "|---|---|---|"]
        out += [f"| {_md_cell(c.id)} | {c.status} | {_md_cell(c.message)} |" for c in dev]
        out += [
            f"| {_md_cell(e.clause)} | stale expectation | not in the catalogue |"
            for e in report.stale
        ]
        out += [
            f"| {_md_cell(t.nodeid)} | untagged {t.status} | {_md_cell(t.message)} |"
            for t in report.failed_untagged
        ]
    with_examples = [c for c in dev if c.example]
    if with_examples:
        out += ["", "<details><summary>Falsifying examples</summary>", ""]
        for c in with_examples:
            fence, body = safe_text.markdown_fence(c.example or "")
            out += [_md_cell(c.id), "", fence + "python", body, fence, ""]
        out.append("</details>")
    for status, title in (
        (DIFFERS, "Readings that differ (not deviations unless --strict)"),
        (BLOCKED, "Blocked by a prerequisite that does not pass"),
        (ERROR, "Not judged: the suite's own code raised (the run is incomplete)"),
        (HARNESS_ERROR, "Not judged: the harness failed (the run is incomplete)"),
        (EXPECTED_FAIL, "Expected deviations"),
        (SKIPPED, "Not checked here"),
    ):
        rows = [c for c in report.clauses if c.status == status]
        if rows:
            out += ["", f"<details><summary>{title} ({len(rows)})</summary>", ""]
            out += ["| clause | reason |", "|---|---|"]
            out += [
                f"| {_md_cell(c.id)} | "
                f"{_md_cell(c.expectation.reason if c.expectation else c.message)} |"
                for c in rows
            ]
            out += ["", "</details>"]
    return "\n".join(out) + "\n"
