"""Rendering a :class:`~mmapspec.results.model.Report`: terminal, JSON, JUnit XML, Markdown.

JSON follows ``report.schema.json`` (shipped next to this module). JUnit has one
``testcase`` per clause so that CI dashboards count clauses, not test functions.
Markdown is sized for a CI summary page (GitHub's step summary): counts per
section, then every deviation, then the expected ones folded away.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter

from mmapspec.results import safe_text
from mmapspec.results.model import Report, Verdict
from mmapspec.results.records import ClauseResult
from mmapspec.results.status import (
    BLOCKED,
    CRASH,
    DIFFERS,
    ERROR,
    EXPECTED_FAIL,
    FAIL,
    HARNESS_ERROR,
    PASS,
    SKIPPED,
    UNEXPECTED_PASS,
    UNSUPPORTED,
    Status,
)

# Column order and short headings shared by the terminal and Markdown tables.
COLUMNS = tuple((s, s.facts.heading) for s in sorted(Status, key=lambda s: s.facts.column))
_LABEL = {s: s.facts.label for s in Status}


def adapter_title(report: Report) -> str:
    a = report.adapter
    name = a.name or a.spec or "?"
    version = a.version
    spec = a.spec
    title = f"{name} {version}" if version else str(name)
    return f"{title} (--adapter {spec})" if spec and spec != name else title


def _one_line(text: str | None, width: int) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def _table_rows(report: Report) -> list[tuple[str, int, Counter[str]]]:
    rows = []
    for section, clauses in report.by_section().items():
        counts: Counter[str] = Counter(c.status.value for c in clauses)
        rows.append((section, report.section_sizes.get(section, 0), counts))
    return rows


def summary_line(report: Report) -> str:
    """The verdict on the document's clauses (safety has its own line)."""
    clauses = [c for c in report.clauses if c.basis != "safety"]
    counts = Counter(c.status for c in clauses)
    parts = [f"{counts[s]} {h}" for s, h in COLUMNS if counts.get(s)]
    verdict = report.part_verdict(safety=False)
    return f"{len(clauses)} clauses: {', '.join(parts) or 'none ran'} -> {verdict}"


def safety_line(report: Report) -> str | None:
    """The verdict on the safety clauses, when any ran."""
    clauses = [c for c in report.clauses if c.basis == "safety"]
    if not clauses:
        return None
    counts = Counter(c.status for c in clauses)
    parts = [f"{counts[s]} {h}" for s, h in COLUMNS if counts.get(s)]
    verdict = report.part_verdict(safety=True)
    return f"safety: {len(clauses)} clauses: {', '.join(parts)} -> {verdict}"


def readings_line(report: Report) -> str | None:
    """Readings the binding reads differently: listed apart, deviations only if strict."""
    differing = report.differing
    if not differing:
        return None
    how = "deviations (--strict)" if report.strict else "not deviations (--strict counts them)"
    return f"readings: {len(differing)} differ from the suite's reading of the document: {how}"


def range_line(report: Report) -> str | None:
    """The clauses whose tests the binding's declared integer range narrowed, if any."""
    narrowed = [c for c in report.clauses if c.tested_range]
    if not narrowed:
        return None
    ids = ", ".join(c.id for c in narrowed)
    n = len(narrowed)
    return f"integer range: {narrowed[0].tested_range}, in {n} clause{'s' * (n != 1)}: {ids}"


def _after_verdict(report: Report) -> list[str]:
    """The lines under the verdict: readings that differ, safety, the integer range."""
    lines = (readings_line(report), safety_line(report), range_line(report))
    return [line for line in lines if line]


def _wrapped(label: str, cid: str, message: str | None) -> list[str]:
    """A clause and its whole message: the first line in full (paths in it are
    already shortened), later lines indented under it."""
    text = (message or "").strip()
    first, *rest = text.splitlines() or [""]
    lines = [f"{label:<12}{cid}: {first}"]
    lines += [f"{'':<12}  {line}" for line in rest[:12] if line.strip()]
    return lines


Markup = dict[str, bool]
"""Keyword arguments of pytest's ``TerminalWriter.write_line``: ``{"red": True}``."""

_MARKUP: dict[str, Markup] = {
    PASS: {"green": True},
    FAIL: {"red": True},
    DIFFERS: {"cyan": True},
    BLOCKED: {"yellow": True},
    CRASH: {"red": True, "bold": True},
    ERROR: {"purple": True},
    HARNESS_ERROR: {"purple": True, "bold": True},
    UNEXPECTED_PASS: {"red": True},
    UNSUPPORTED: {"yellow": True},
    EXPECTED_FAIL: {"yellow": True},
    SKIPPED: {},
}
_VERDICT_MARKUP: dict[Verdict, Markup] = {
    Verdict.CONFORMANT: {"green": True, "bold": True},
    Verdict.AS_EXPECTED: {"green": True, "bold": True},
    Verdict.DEVIATIONS: {"red": True, "bold": True},
    Verdict.INCOMPLETE: {"yellow": True, "bold": True},
}


def terminal_rows(report: Report, verbose: bool = False) -> list[tuple[str, Markup]]:
    """The per-section table, then each deviation (all clauses if verbose), the
    readings that differ and what is blocked, then the verdict lines; each line with
    the colours to show it in."""
    head = f"{'section':<27}{'catalogue':>10}" + "".join(f"{h:>7}" for _, h in COLUMNS)
    rows: list[tuple[str, Markup]] = [(f"adapter: {adapter_title(report)}", {}), (head, {})]
    if report.incomplete is not None:
        rows.insert(
            0, (f"INCOMPLETE RUN: {report.incomplete}", _VERDICT_MARKUP[Verdict.INCOMPLETE])
        )
    total: Counter[str] = Counter()
    for section, size, counts in _table_rows(report):
        total += counts
        line = f"{section:<27}{size:>10}" + "".join(f"{counts.get(s, 0):>7}" for s, _ in COLUMNS)
        rows.append((line, {}))
    rows.append(
        (
            f"{'total':<27}{sum(report.section_sizes.values()):>10}"
            + "".join(f"{total.get(s, 0):>7}" for s, _ in COLUMNS),
            {"bold": True},
        )
    )
    if verbose:
        shown = report.clauses
    else:
        listed = {c.id for c in report.deviations}
        shown = [
            c
            for c in report.clauses
            if c.id in listed or c.status in (DIFFERS, BLOCKED, ERROR, HARNESS_ERROR)
        ]
    if shown:
        rows.append(("", {}))
    for c in shown:
        rows += [(line, _MARKUP[c.status]) for line in _wrapped(_LABEL[c.status], c.id, c.message)]
    for e in report.stale:
        line = f"{'STALE':<12}{e.clause}: in {report.expectations_file} but not in the catalogue"
        rows.append((line, {"red": True}))
    for t in report.failed_untagged:
        rows += [(line, {"red": True}) for line in _wrapped("UNTAGGED", t.nodeid, t.message)]
    rows += [("", {}), (summary_line(report), _VERDICT_MARKUP[report.verdict])]
    rows += [(line, {}) for line in _after_verdict(report)]
    # What a harness or report put in a line can neither colour, move nor hide text.
    return [(safe_text.for_terminal(line), markup) for line, markup in rows]


def terminal_lines(report: Report, verbose: bool = False) -> list[str]:
    """:func:`terminal_rows` without colours."""
    return [line for line, _ in terminal_rows(report, verbose)]


def to_json(report: Report) -> str:
    """The JSON report: :meth:`Report.to_json`'s document as text."""
    return json.dumps(report.to_json(), indent=1, ensure_ascii=False) + "\n"


def to_junit(report: Report) -> str:
    """JUnit XML, one testcase per clause: deviations are failures (crashes, and the
    suite's own errors, are errors); expected deviations and clauses not checked are
    skipped with a reason."""
    counts = report.counts
    suites = ET.Element("testsuites")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"mmapspec: {adapter_title(report)}",
        tests=str(len(report.clauses) + len(report.stale)),
        failures=str(
            sum(counts.get(s, 0) for s in (FAIL, UNSUPPORTED, UNEXPECTED_PASS)) + len(report.stale)
        ),
        errors=str(counts.get(CRASH, 0) + counts.get(ERROR, 0) + counts.get(HARNESS_ERROR, 0)),
        skipped=str(counts.get(EXPECTED_FAIL, 0) + counts.get(SKIPPED, 0)),
        time=f"{report.duration:.3f}",
    )
    if report.incomplete is not None:
        # A testcase of its own, so that a dashboard counting testcases shows red.
        suite.set(
            "errors",
            str(counts.get(CRASH, 0) + counts.get(ERROR, 0) + counts.get(HARNESS_ERROR, 0) + 1),
        )
        suite.set("tests", str(len(report.clauses) + len(report.stale) + 1))
        case = ET.SubElement(suite, "testcase", classname="mmapspec", name="run-complete")
        ET.SubElement(
            case, "error", message=f"incomplete: {report.incomplete}", type=Verdict.INCOMPLETE.value
        ).text = "The run stopped before its end; the clauses below are what it saw until then."
    for c in report.clauses:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=c.section,
            name=c.id,
            time=f"{sum(t.duration for t in c.tests):.3f}",
        )
        notes = [(n, v) for t in c.tests for n, v in t.notes]
        if notes:  # properties first, as pytest's own JUnit writer does
            props = ET.SubElement(case, "properties")
            for name, value in notes:
                ET.SubElement(props, "property", name=str(name), value=str(value))
        message = _one_line(c.message, 200)
        if c.status in (CRASH, ERROR, HARNESS_ERROR):
            ET.SubElement(case, "error", message=message, type=c.status).text = _detail(c)
        elif c.status in (FAIL, UNSUPPORTED, UNEXPECTED_PASS):
            # UNSUPPORTED here was not expected (an expected one is expected-fail).
            ET.SubElement(case, "failure", message=message, type=c.status).text = _detail(c)
        elif c.status == EXPECTED_FAIL and c.expectation is not None:
            reason = f"expected {c.expectation.status}: {c.expectation.reason}"
            ET.SubElement(case, "skipped", message=reason, type=c.status)
        elif c.status != PASS:
            ET.SubElement(case, "skipped", message=message, type=c.status)
    for e in report.stale:
        case = ET.SubElement(suite, "testcase", classname="expectations", name=e.clause)
        ET.SubElement(case, "failure", message="stale expectation: no such clause", type="stale")
    return _xml_text(suites)


def _xml_text(root: ET.Element) -> str:
    """The document, with what XML 1.0 cannot hold (and every control) shown as escapes."""
    for element in root.iter():
        element.attrib = {k: safe_text.for_xml(v) for k, v in element.attrib.items()}
        if element.text:
            element.text = safe_text.for_xml(element.text)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _detail(c: ClauseResult) -> str:
    parts = [f"{c.function}: {c.quote}"]
    if c.message:
        parts.append(c.message)
    if c.example:
        parts.append(c.example)
    parts.append("tests: " + ", ".join(f"{t.nodeid} [{t.status}]" for t in c.tests))
    return "\n\n".join(parts)
