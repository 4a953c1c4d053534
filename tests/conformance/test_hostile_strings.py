"""The same hostile strings, from a harness (the adapter's name, messages, examples)
and from a report (clause IDs, reasons), through every sink: the terminal, JSON,
JUnit XML, Markdown (run's and compare's), TOML (mmapspec expectations) and the HTML
page. None may crash a renderer, reach its sink raw, or grow without bound.
"""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from typing import Any

import jsonschema
import pytest
from mmapspec.results import (
    expectations,
    expectations_writer,
    model,
    report_formats,
    report_markdown,
    safe_text,
)
from mmapspec.results.clause_results import build_report
from mmapspec.results.records import AdapterInfo, TestOutcome
from mmapspec.results.status import CRASH, FAIL, HARNESS_ERROR, PASS
from mmapspec.viewer import compare, site

from tests.conformance.test_runner_units import CATALOGUE

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HOSTILE = [
    "cut mid-emoji \ud83d",  # a lone surrogate: valid JSON, no UTF-8
    "\ud800",
    "\x1b[32m108 pass -> conformant\x1b[0m",  # a fake green verdict
    "\x1b]0;title\x07\x1b[2J\x1b[8mhidden\x1b[28m",
    "over\rwritten\x08\x08\x7f",
    "C1 \x9b31mred\x85next",
    "nul \x00 and form feed \x0c and \x0b",
    "\u202eevil\u202c \u2066isolate\u2069 \u200f",
    "\n## ✅ conformant\n",
    "![img](https://evil.example/i.png) [click](https://evil.example) www.evil.example",
    '<img src="https://evil.example/x"><script>alert(1)</script>',
    "``` closing fences ```` and | pipes | `tick`",
    'toml "quote" \\ backslash ] [clause.x]\n= 1',
    "]]> <![CDATA[ &amp; \ufffe\uffff",
    "A" * 1_000_000,
]
JOINED = " ".join(h[:200] for h in HOSTILE)
RAW_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
MARKERS = ("evil.example", "<img", "<script", "\x1b")  # a heading is checked at line starts


def hostile_report() -> Any:
    tests = [
        TestOutcome(f"t{i}", (c.id,), status, h)
        for i, (c, status, h) in enumerate(
            zip(CATALOGUE, [FAIL, CRASH, HARNESS_ERROR, FAIL, PASS, FAIL], HOSTILE, strict=False)
        )
    ]
    for t, h in zip(tests, reversed(HOSTILE), strict=False):
        t.example = h
        t.notes = [("note", h[:300])]
    rep = build_report(
        CATALOGUE, tests, expectations.NO_EXPECTATIONS, adapter=AdapterInfo(JOINED, "x", JOINED)
    )
    rep.incomplete = HOSTILE[2] + HOSTILE[8]
    return rep


def hostile_doc() -> dict[str, Any]:
    """A report as a crafted file would hold it: the hostile strings as IDs too."""
    doc: dict[str, Any] = json.loads(report_formats.to_json(hostile_report()))
    doc["incomplete"] = None
    doc["verdict"] = "deviations"
    for i, (rec, h) in enumerate(zip(doc["clauses"], HOSTILE, strict=False)):
        rec["id"] = f"{h[:300]}#{i}"
        rec["message"] = h
        rec["actual"] = rec["status"] = "fail"
    return doc


def assert_clean(text: str, sink: str, limit: int = 200_000) -> None:
    raw = RAW_FORBIDDEN.search(text.replace("\n", "").replace("\t", ""))
    assert raw is None, f"{sink}: raw {raw.group()!r} at {raw.start()}"
    assert len(text) < limit, f"{sink}: {len(text)} characters from a bounded input"


def outside_code_spans(line: str) -> str:
    """``line`` without its Markdown code spans (CommonMark: a run of n backticks ends
    at the next run of exactly n)."""
    out, i = [], 0
    while i < len(line):
        m = re.compile("`+").search(line, i)
        if m is None:
            out.append(line[i:])
            break
        out.append(line[i : m.start()])
        close = re.compile(f"(?<!`){m.group()}(?!`)").search(line, m.end())
        if close is None:
            out.append(line[m.start() :])
            break
        i = close.end()
    return "".join(out)


def assert_markdown_inert(text: str, sink: str) -> None:
    assert_clean(text, sink)
    fence = None
    for line in text.splitlines():
        if fence is not None:  # inside a fenced block: literal
            fence = None if line == fence else fence
            continue
        if re.fullmatch("`{3,}[a-z]*", line):
            fence = line.rstrip("abcdefghijklmnopqrstuvwxyz")
            continue
        rest = outside_code_spans(line).replace("\\\\", "")
        rest = re.sub(r"\\.", "", rest)  # backslash-escaped punctuation is literal
        for marker in (*MARKERS, "]("):
            assert marker not in rest, f"{sink}: {marker!r} live in {line!r}"
        ours = line.startswith(
            ("## ✅ mmapspec", "## ❌ mmapspec", "## ⚠️ mmapspec", "## mmapspec: ", "### ")
        )
        assert ours or not line.startswith("#"), f"{sink}: a heading from the input: {line!r}"


def test_terminal() -> None:
    rows = report_formats.terminal_rows(hostile_report(), verbose=True)
    for line, _ in rows:
        assert_clean(line, "terminal", safe_text.TEXT_LIMIT * 5)
    assert not any(line.startswith("108 pass") for line, _ in rows)


def test_json() -> None:
    text = report_formats.to_json(hostile_report())
    assert_clean(json.dumps(json.loads(text)), "JSON")  # escaped, not raw
    text.encode("utf-8")  # no lone surrogate left to crash the writer
    doc = json.loads(text)
    jsonschema.validate(doc, model.schema())
    assert max(len(s) for s in re.findall(r'"((?:[^"\\]|\\.)*)"', text)) <= 5 * safe_text.TEXT_LIMIT


def test_junit() -> None:
    text = report_formats.to_junit(hostile_report())
    ET.fromstring(text.encode("utf-8"))  # any forbidden character makes this raise
    assert_clean(text, "JUnit")


def test_markdown_of_a_run() -> None:
    assert_markdown_inert(report_markdown.to_markdown(hostile_report()), "run --markdown")


def test_compare_markdown_and_text() -> None:
    old, new = hostile_doc(), hostile_doc()
    for rec in new["clauses"]:
        rec["actual"] = rec["status"] = "crash"
    result = compare.compare(old, new)
    assert_markdown_inert(compare.render_markdown(result), "compare --markdown")
    assert_clean(compare.render_text(result), "compare")


def test_toml_of_expectations_reads_back() -> None:
    """What ``mmapspec expectations`` writes (tomlkit, reasons made stable and visible)."""
    doc = hostile_doc()
    header = f"Known deviations of {JOINED}"
    text = expectations_writer.write(doc, {}, None, header)
    assert_clean(text, "TOML")
    tomllib.loads(text)
    parsed = expectations.parse(text, platform=None)
    failing = {
        safe_text.visible(c["id"]) for c in doc["clauses"] if c["actual"] in expectations.EXPECTABLE
    }
    assert set(parsed.entries) == failing


def test_html_page() -> None:
    page = site.build([hostile_doc()])
    assert_clean(page, "HTML", 2_000_000)
    body = page[page.index("<body") :]
    for marker in ('<img src="https://evil', "<script>alert", "\u202e"):
        assert marker not in body
    assert "<bdi>" in body


@pytest.mark.parametrize("text", HOSTILE)
def test_each_sink_function_alone(text: str) -> None:
    for sink in (
        safe_text.for_terminal,
        safe_text.for_xml,
        safe_text.for_toml,
        safe_text.for_html,
        safe_text.for_markdown,
    ):
        out = sink(text)
        out.encode("utf-8")
        assert len(out) <= 4 * safe_text.TEXT_LIMIT + 16
    shown = safe_text.visible(text, lines=True)
    assert tomllib.loads(f"k = {safe_text.for_toml(text)}")["k"] == shown
