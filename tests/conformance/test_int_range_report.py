"""What a declared integer range kept out of a clause's tests, in every report format.

A spec test records it as its note ``int_range`` (``spec/support/int_range.py``); the
report carries it per clause as ``tested_range``, the terminal and the Markdown say it
in one line, JUnit as the property.
"""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET

import jsonschema
from mmapspec.results import model, report_formats, report_markdown
from mmapspec.results.clause_results import build_report
from mmapspec.results.model import Report
from mmapspec.results.records import AdapterInfo, TestOutcome
from mmapspec.results.status import PASS

NOTE = "integers >= 2^63 not tried: the binding declares i64"


@dataclasses.dataclass(frozen=True)
class Clause:
    id: str
    section: str = "mmap.aligned_size"
    function: str = "mmap.aligned_size"
    kind: str = "returns"
    quote: str = "q"
    needs: tuple[str, ...] = ()
    reading: str | None = None
    basis: str = "document"


def _report() -> Report:
    narrowed = TestOutcome("t_left", ("c.left",), PASS, notes=[("int_range", NOTE)])
    plain = TestOutcome("t_plain", ("c.plain",), PASS)
    return build_report(
        [Clause("c.left"), Clause("c.plain")], [narrowed, plain], adapter=AdapterInfo("fake")
    )


def test_the_json_says_per_clause_what_the_range_kept_out() -> None:
    doc = json.loads(report_formats.to_json(_report()))
    jsonschema.validate(doc, model.schema())
    got = {c["id"]: c["tested_range"] for c in doc["clauses"]}
    assert got == {"c.left": NOTE, "c.plain": None}


def test_terminal_markdown_and_junit_say_it_too() -> None:
    rep = _report()
    line = f"integer range: {NOTE}, in 1 clause: c.left"
    assert line in report_formats.terminal_lines(rep)
    shown = line.replace("_", "\\_")  # Markdown's escape; the range line has none else
    assert f"**{shown}**  " in report_markdown.to_markdown(rep).splitlines()
    root = ET.fromstring(report_formats.to_junit(rep))
    props = [p.get("value") for p in root.iter("property") if p.get("name") == "int_range"]
    assert props == [NOTE]


def test_a_report_without_it_has_no_such_line() -> None:
    rep = build_report([Clause("c.plain")], [TestOutcome("t", ("c.plain",), PASS)])
    assert not any("integer range" in line for line in report_formats.terminal_lines(rep))
