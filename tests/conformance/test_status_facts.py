"""Every status's facts live in one table (``results/status.py``): the renderers'
tables are made from it, and the schema's enums and the README's tables are checked
against it here."""

from __future__ import annotations

import re
from pathlib import Path

from mmapspec.results import model, report_formats, status
from mmapspec.results.expectations import EXPECTABLE
from mmapspec.results.status import ACTUAL, DEVIATIONS, Status
from mmapspec.viewer import compare, site_model

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_the_schema_names_exactly_the_statuses() -> None:
    schema = model.schema()
    defs = schema["$defs"]
    assert sorted(defs["status"]["enum"]) == sorted(s.value for s in Status)
    assert sorted(defs["actual"]["enum"]) == sorted(s.value for s in ACTUAL)
    assert sorted(defs["expectable"]["enum"]) == sorted(EXPECTABLE)
    assert set(schema["properties"]["summary"]["properties"]) == {
        "clauses",
        *(s.value for s in Status),
    }


def test_the_readme_table_lists_exactly_the_statuses() -> None:
    start = README.index("| status | meaning | a deviation? |")
    rows = README[start:].split("\n\n")[0].splitlines()[2:]
    named: dict[str, str] = {}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        for name in re.findall(r"\*\*([a-z-]+)\*\*", cells[0]):
            named[name] = cells[-1]
    assert set(named) == {s.value for s in Status}
    single = {n: said for n, said in named.items() if "/" not in said}
    assert {n for n, said in single.items() if said == "yes"} == {
        s.value for s in DEVIATIONS if s.value in single
    }


def test_the_readme_glyphs_are_the_pages() -> None:
    listed = " ".join(README.split("Statuses carry a glyph\n(")[1].split(") as well")[0].split())
    pairs = dict(item.strip().rsplit(" ", 1)[::-1] for item in listed.split(", "))
    assert pairs == {s.value: s.facts.glyph for s in Status}


def test_the_readme_ranking_is_compares() -> None:
    assert compare.ranking() in " ".join(README.split())


def test_the_renderers_read_the_facts() -> None:
    assert [s for s, _ in report_formats.COLUMNS] == sorted(Status, key=lambda s: s.facts.column)
    assert list(site_model.STATUSES) == [
        s.value for s in sorted(Status, key=lambda s: s.facts.order)
    ]
    assert len({s.facts.column for s in Status}) == len({s.facts.order for s in Status}) == 11
    assert compare.rank("pass") > compare.rank("skipped") > compare.rank("fail")
    assert compare.rank("no-such-status") == compare.rank("fail")
    assert status.worst([Status.PASS, Status.CRASH, Status.FAIL]) == Status.CRASH
