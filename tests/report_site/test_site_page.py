"""``mmapspec html`` without a browser: what the page holds and how the command fails."""

from __future__ import annotations

import base64
import copy
import hashlib
import html as htmllib
import re
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from mmapspec.spec import catalogue
from mmapspec.viewer import site, site_model

from .conftest import mmapspec


class Resources(HTMLParser):
    """Every URL-valued attribute, and the text of each inline script and style."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: dict[str, list[str]] = {"script": [], "style": []}
        self.csp = ""
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.urls += [v or "" for k, v in attrs if k in ("src", "href", "action", "srcset")]
        if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy":
            self.csp = a.get("content") or ""
        self._in = tag if tag in self.inline else None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.inline[self._in].append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in = None


def parse(text: str) -> Resources:
    p = Resources()
    p.feed(text)
    return p


def sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_page_loads_nothing_from_anywhere(page_path: Path) -> None:
    page = parse(page_path.read_text(encoding="utf-8"))
    assert all(u.startswith(("#", "data:")) for u in page.urls), page.urls
    # The policy forbids everything but the page's own inline script and style.
    policy = dict(d.strip().split(" ", 1) for d in page.csp.split(";"))
    assert policy["default-src"] == "'none'"
    (script,) = page.inline["script"]
    (style,) = page.inline["style"]
    assert policy["script-src"] == f"'{sha256(script)}'"
    assert policy["style-src"] == f"'{sha256(style)}'"


def test_report_contents_are_escaped(reports: list[dict[str, Any]]) -> None:
    hostile = copy.deepcopy(reports[1])
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    hostile["adapter"]["name"] = evil
    for clause in hostile["clauses"]:
        clause["message"] = evil
        clause["example"] = evil
    text = site.build([reports[0], hostile])
    page = parse(text)
    assert len(page.inline["script"]) == 1
    assert all(u.startswith(("#", "data:")) for u in page.urls)
    assert evil not in text and escape(evil) in text


def test_every_document_quote_is_marked(reports: list[dict[str, Any]]) -> None:
    full = copy.deepcopy(reports[0])
    by_id = {c.id: c for c in catalogue.CLAUSES}
    template = full["clauses"][0]
    full["clauses"] = [
        {**template, "id": c.id, "section": c.section, "quote": c.quote, "basis": c.basis}
        for c in by_id.values()
    ]
    page = site.Page([full], catalogue.document())
    assert [c.id for c in page.unplaced] == [c.id for c in catalogue.CLAUSES if c.basis == "safety"]
    text = page.render()
    for c in catalogue.CLAUSES:
        assert text.count(f'class="mark" data-detail="d{page.clauses[c.id].index}"') == 1, c.id


def test_clauses_outside_the_document_get_their_own_sections(
    reports: list[dict[str, Any]],
) -> None:
    other = copy.deepcopy(reports[0])
    first, second = other["clauses"][0], other["clauses"][1]
    first.update(id="safety.fixture", section="safety", basis="safety", quote="No leaks.")
    second.update(quote="A sentence this document never had.")
    text = site.build([other])
    safety = text.index('<section id="safety">')
    assert text.index('<section id="document">') < safety < text.index('<section id="unplaced">')
    assert 'data-clause="safety.fixture"' in text[safety:]
    assert f'data-clause="{second["id"]}"' in text[text.index('id="unplaced"') :]


def test_header_says_unknown_for_what_an_older_report_lacks(
    reports: list[dict[str, Any]],
) -> None:
    text = site.build(reports)
    for report in reports:
        assert f"<h3><bdi>{report['adapter']['name']}</bdi></h3>" in text
    older = copy.deepcopy(reports[0])
    older["run"].pop("date")  # reports made before runs recorded their date
    assert "<dt>date</dt><dd>unknown</dd>" in site.build([older])
    newer = copy.deepcopy(reports[0])
    newer["run"] = {"mmapspec": "9.9.9", "date": "2026-12-01T10:00:00Z"}
    newer["adapter"]["language"] = "LuaJIT 2.1"
    text = site.build([newer])
    assert "<dt>mmapspec</dt><dd>9.9.9</dd>" in text
    assert "<dt>date</dt><dd>2026-12-01T10:00:00Z</dd>" in text
    assert "<dt>language</dt><dd>LuaJIT 2.1</dd>" in text
    assert "incomplete" not in text
    newer["incomplete"] = "timed out after 600 s"
    assert "incomplete (timed out after 600 s) · conformant: " in site.build([newer])


@pytest.mark.parametrize(
    ("chosen", "command"),
    [
        (
            {"spec": "reference", "selection": {"name": "reference", "options": {}}},
            "mmapspec run --adapter reference --clause map.size.given",
        ),
        (
            {"spec": "x", "selection": {"name": "stdlib", "options": {"module": "mmap"}}},
            "mmapspec run --adapter stdlib --adapter-option module=mmap --clause map.size.given",
        ),
        (
            {
                "spec": "x",
                "selection": {
                    "name": "pipe",
                    "options": {"pipe_cmd": "env LUA_PATH='x/?.lua;;' luajit h.lua mmap"},
                },
            },
            "mmapspec run --pipe-cmd 'env LUA_PATH='\"'\"'x/?.lua;;'\"'\"' luajit h.lua mmap' "
            "--clause map.size.given",
        ),
        # A report written before the selection was recorded: its spec line, as it stands.
        (
            {"spec": "stdlib --adapter-option module='mmap'"},
            "mmapspec run --adapter stdlib --adapter-option module='mmap' --clause map.size.given",
        ),
    ],
)
def test_rerun_command(chosen: dict[str, Any], command: str) -> None:
    """The report's ``adapter`` entry (named ``chosen`` here: ``adapter`` is the name
    of the spec's fixture)."""
    assert site_model.rerun_command(chosen, "map.size.given") == command


def test_html_command_writes_the_page(report_paths: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "site.html"
    proc = mmapspec("html", *map(str, report_paths), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"<title>mmap conformance: reference, stdlib</title>", out.read_text())


@pytest.mark.parametrize("content", [None, "{not json", '{"format": "something else"}', "[]"])
def test_html_command_refuses_what_is_not_a_report(
    content: str | None, report_paths: list[Path], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    out = tmp_path / "site.html"
    proc = mmapspec("html", str(report_paths[0]), str(bad), "-o", str(out))
    assert proc.returncode == 2
    # the path as the message quotes it (repr: Windows' backslashes come doubled)
    assert len(proc.stderr.splitlines()) == 1 and repr(str(bad))[1:-1] in proc.stderr
    assert not out.exists()


def test_each_quote_is_marked_in_its_own_section(reports: list[dict[str, Any]]) -> None:
    # A signature is quoted in the API table and again in its section's heading: the
    # mark belongs in the section.
    full = copy.deepcopy(reports[0])
    template = full["clauses"][0]
    full["clauses"] = [
        {**template, "id": c.id, "section": c.section, "quote": c.quote, "basis": c.basis}
        for c in catalogue.CLAUSES
        if c.basis != "safety"
    ]
    full["sections"] = [{"section": s} for s in catalogue.SECTIONS]
    text = site.Page([full], catalogue.document()).render()
    document = text[text.index('<section id="document">') :]
    section_of = {site_model.anchor("doc", s): s for s in catalogue.SECTIONS}
    starts = {
        section_of[m.group(1)]: m.start() for m in re.finditer(r'<h\d id="([^"]+)"', document)
    }
    assert set(starts) == set(catalogue.SECTIONS) - {"mmap", "safety"}
    bounds = sorted(starts.values())
    for c in full["clauses"]:
        at = document.index(f'data-clause="{c["id"]}"')
        begin = starts.get(c["section"], 0)
        end = next((b for b in bounds if b > begin), len(document))
        words = " ".join(htmllib.unescape(re.sub(r"<[^>]+>", "", document[begin:end])).split())
        if " ".join(c["quote"].split())[:40] not in words:
            continue  # its words stand in another section (a mirror's use of map's errcode)
        assert begin <= at < end, c["id"]
