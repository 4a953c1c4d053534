"""``mmapspec html REPORT.json... -o page.html``: implementations side by side, one page.

The page is static and self-contained: its CSS and script are inline (their
hashes are the only ones its Content-Security-Policy allows, and it allows no
network at all), so it works from ``file://`` and from any web server alike.

It shows, for every report given:

* a header per implementation (name, version, language where the adapter says,
  platform, mmapspec version, date; "unknown" where a report predates a field);
* the matrix: clauses by documentation section, one column per implementation,
  counts per section and per implementation, filters by status and by section;
* the document itself, every sentence a clause quotes marked with that clause's
  status in each implementation; a click on a mark shows the clause's details
  (basis, reading, message, falsifying example, a command that reruns it);
* the clauses that quote no sentence of the document (safety clauses, and any
  whose quote this version of the document no longer has) after it.

Statuses are told apart by a glyph and a word as well as by colour, and the
colours are from the Okabe-Ito palette, which colour-blind readers can tell apart.
"""

from __future__ import annotations

import argparse
import ast
import base64
import dataclasses
import hashlib
import re
import shlex
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from html import escape
from importlib import resources
from pathlib import PurePath
from typing import Any

from mmapspec import mdhtml
from mmapspec.compare import ReportError, read_report

# Display order, best first, and what each status is shown as.
STATUSES: tuple[str, ...] = (
    "pass",
    "expected-fail",
    "unexpected-pass",
    "differs-from-reading",
    "blocked",
    "unsupported",
    "skipped",
    "fail",
    "crash",
)
ABSENT = "absent"
"""Not a status: the clause is not in that implementation's report."""

GLYPHS: Mapping[str, str] = {
    "pass": "✓",
    "fail": "✗",
    "crash": "⚠",
    "differs-from-reading": "≠",
    "blocked": "⊘",
    "unsupported": "∅",
    "skipped": "–",
    "expected-fail": "(✗)",
    "unexpected-pass": "!✓",
    ABSENT: "·",
}

MEANINGS: Mapping[str, str] = {
    "pass": "the implementation does what the clause says",
    "fail": "it does not: a deviation from the document (or from a safety expectation)",
    "crash": "the implementation's process died",
    "differs-from-reading": "the document is ambiguous or silent here and the implementation "
    "reads it differently from the suite (a deviation only under --strict)",
    "blocked": "not judged: a clause its test relies on did not pass",
    "unsupported": "the adapter does not declare a capability the clause needs",
    "skipped": "not checked on this machine",
    "expected-fail": "deviates as the implementation's expectations file says, for the "
    "reason it gives",
    "unexpected-pass": "listed as an expected deviation, but passed: the entry is stale",
    ABSENT: "the clause is not in this implementation's report",
}

_SECTION_INTRO = "mmap"
"""The catalogue's section of the document's opening part (before the first function)."""
_BASIS_SAFETY = "safety"


@dataclasses.dataclass
class Implementation:
    """One report, as one column of the page."""

    label: str
    report: Mapping[str, Any]
    clauses: dict[str, Mapping[str, Any]]

    @property
    def adapter(self) -> Mapping[str, Any]:
        adapter: Mapping[str, Any] = self.report.get("adapter") or {}
        return adapter

    def status(self, clause: str) -> str:
        rec = self.clauses.get(clause)
        return str(rec["status"]) if rec else ABSENT


def _labels(reports: Sequence[Mapping[str, Any]]) -> list[str]:
    """One distinct column label per report: the adapter's name, numbered if repeated."""
    names = [
        str((r.get("adapter") or {}).get("name") or (r.get("adapter") or {}).get("spec") or "?")
        for r in reports
    ]
    seen: Counter[str] = Counter()
    labels = []
    for name in names:
        seen[name] += 1
        labels.append(name if names.count(name) == 1 else f"{name} #{seen[name]}")
    return labels


def _get(doc: Mapping[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(doc, Mapping) or key not in doc:
            return None
        doc = doc[key]
    return doc


def _first(doc: Mapping[str, Any], *paths: tuple[str, ...]) -> str:
    for path in paths:
        value = _get(doc, *path)
        if value not in (None, ""):
            return str(value)
    return "unknown"


_OPTION = re.compile(r"""--adapter-option (\w+)=('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*""")


def rerun_command(spec: str, clause: str) -> str:
    """The command that runs one clause against the adapter a report names.

    ``spec`` is how the report names the adapter: its name, then each option as
    ``--adapter-option KEY='VALUE'`` with VALUE as Python writes a string."""
    name, _, rest = spec.strip().partition(" ")
    options: list[tuple[str, str]] = []
    pos = 0
    rest = rest.strip()
    while pos < len(rest):
        m = _OPTION.match(rest, pos)
        if not m:
            return f"mmapspec run --adapter {spec} --clause {shlex.quote(clause)}"
        options.append((m.group(1), str(ast.literal_eval(m.group(2)))))
        pos = m.end()
    argv = ["mmapspec", "run"]
    if name == "pipe" and [k for k, _ in options] == ["pipe_cmd"]:
        argv += ["--pipe-cmd", options[0][1]]
    else:
        argv += ["--adapter", name]
        for key, value in options:
            argv += ["--adapter-option", f"{key}={value}"]
    return shlex.join([*argv, "--clause", clause])


# ---------------------------------------------------------------- the page


@dataclasses.dataclass
class _Clause:
    id: str
    index: int
    record: Mapping[str, Any]
    """The first report's record of the clause: what the catalogue says of it."""

    @property
    def section(self) -> str:
        return str(self.record.get("section") or "?")

    @property
    def basis(self) -> str:
        return str(self.record.get("basis") or "document")

    @property
    def quote(self) -> str:
        return str(self.record.get("quote") or "")


class Page:
    def __init__(self, reports: Sequence[Mapping[str, Any]], document: str) -> None:
        self.impls = [
            Implementation(label, r, {c["id"]: c for c in r["clauses"]})
            for label, r in zip(_labels(reports), reports, strict=True)
        ]
        self.clauses: dict[str, _Clause] = {}
        for r in reports:
            for rec in r["clauses"]:
                if rec["id"] not in self.clauses:
                    self.clauses[rec["id"]] = _Clause(rec["id"], len(self.clauses), rec)
        order: list[str] = []
        for r in reports:
            for s in r.get("sections") or []:
                if isinstance(s, Mapping) and s.get("section") not in order:
                    order.append(str(s.get("section")))
        for c in self.clauses.values():
            if c.section not in order:
                order.append(c.section)
        self.sections = order
        self.doc = mdhtml.parse(document)
        self.heading_ids: dict[int, str] = {}
        self.unplaced = self._place_quotes()

    # ------------------------------------------------------------ quotes

    def _block_sections(self) -> list[str]:
        """The catalogue section of each block of the document: a heading whose first
        code span names a section (``mmap.map(...)``, ``map:free()``,
        ``mmap.filesize(file)``) starts it; before the first, the opening part."""
        current = _SECTION_INTRO
        out = []
        for i, block in enumerate(self.doc.blocks):
            if isinstance(block, mdhtml.Heading):
                m = re.search(r"`([^`]+)`", block.text.source)
                if m:
                    signature = m.group(1).split(" -> ")[0].strip()
                    for name in (signature, signature.split("(")[0]):
                        if name in self.sections:
                            current = name
                            self.heading_ids[i] = anchor("doc", name)
                            break
            out.append(current)
        return out

    def _place_quotes(self) -> list[_Clause]:
        """Mark each clause's quote in the document, in its own section if it is there
        (a signature is quoted both in the API table and in its section's heading).
        Returns the clauses whose quote is not in the document."""
        sections = self._block_sections()
        inlines = list(self.doc.inlines())
        unplaced = []
        for c in self.clauses.values():
            quote = mdhtml.fold(c.quote)
            if c.basis == _BASIS_SAFETY or not quote:
                unplaced.append(c)
                continue
            ranked = [x for x in inlines if sections[x[0]] == c.section] + inlines
            hit = next(((inl, inl.find(quote)) for _, inl in ranked if inl.find(quote) >= 0), None)
            if hit is None:
                unplaced.append(c)
            else:
                inl, pos = hit
                inl.mark(pos, pos + len(quote), c.id)
        return unplaced

    # ------------------------------------------------------------ pieces

    def glyph(self, status: str) -> str:
        return (
            f'<span class="g s-{escape(status)}" aria-hidden="true">'
            f"{escape(GLYPHS.get(status, '?'))}</span>"
        )

    def marks(self, keys: list[str]) -> str:
        out = []
        for key in keys:
            c = self.clauses[key]
            said = "; ".join(f"{i.label}: {i.status(key)}" for i in self.impls)
            glyphs = "".join(self.glyph(i.status(key)) for i in self.impls)
            out.append(
                f'<button type="button" class="mark" data-detail="d{c.index}" '
                f'data-clause="{escape(key)}" title="{escape(key)}" '
                f'aria-label="{escape(f"{key}: {said}")}">{glyphs}</button>'
            )
        return f'<span class="marks">{"".join(out)}</span>'

    def header(self) -> str:
        cards = []
        for impl in self.impls:
            r, a = impl.report, impl.adapter
            language = a.get("language") or _get(a, "implementation", "language")
            plat = r.get("platform") or {}
            where = plat.get("description") or " ".join(
                str(plat[k]) for k in ("system", "machine") if plat.get(k)
            )
            rows = [
                ("name", str(a.get("name") or "unknown")),
                ("version", str(a.get("version") or "unknown")),
            ]
            if language:
                rows.append(("language", str(language)))
            rows += [
                ("adapter", str(a.get("spec") or "unknown")),
                ("platform", where or "unknown"),
                ("python", str(plat.get("python") or "unknown")),
                ("mmapspec", _first(r, ("run", "mmapspec"), ("mmapspec",))),
                ("date", _first(r, ("run", "date"), ("run", "started"), ("date",))),
                ("duration", f"{r['duration']} s" if "duration" in r else "unknown"),
                # The file's name: its path is the machine's that ran the report.
                ("expectations", PurePath(str(_get(r, "expectations", "file") or "none")).name),
            ]
            verdicts = [
                ("conformant", r.get("conformant")),
                ("safe", r.get("safe")),
            ]
            verdict = " · ".join(
                f"{name}: {'yes' if value else 'no'}"
                for name, value in verdicts
                if value is not None
            )
            if r.get("strict"):
                verdict += " · strict"
            if r.get("incomplete"):
                # The run stopped before its end: its clauses do not tell the whole story.
                verdict = f"incomplete ({r['incomplete']}) · {verdict}"
            counts = Counter(impl.status(c) for c in self.clauses)
            summary = " ".join(
                f'<span class="count">{self.glyph(s)} {counts[s]} {escape(s)}</span>'
                for s in STATUSES
                if counts[s]
            )
            dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
            caps = ", ".join(str(x) for x in a.get("capabilities") or [])
            cards.append(
                f'<article class="impl"><h3>{escape(impl.label)}</h3>'
                f'<p class="verdict">{escape(verdict)}</p><p>{summary}</p><dl>{dl}</dl>'
                + (
                    f"<details><summary>capabilities</summary><p>{escape(caps)}</p></details>"
                    if caps
                    else ""
                )
                + "</article>"
            )
        return f'<div class="impls">{"".join(cards)}</div>'

    def legend(self) -> str:
        items = "".join(
            f"<li>{self.glyph(s)} <b>{escape(s)}</b>: {escape(MEANINGS[s])}</li>"
            for s in (*STATUSES, ABSENT)
        )
        return (
            '<details class="legend"><summary>What the marks mean</summary>'
            f"<ul>{items}</ul></details>"
        )

    def filters(self) -> str:
        present = Counter(i.status(c) for i in self.impls for c in self.clauses)
        boxes = "".join(
            f'<label class="f"><input type="checkbox" name="status" value="{escape(s)}" checked>'
            f" {self.glyph(s)} {escape(s)} ({present[s]})</label>"
            for s in (*STATUSES, ABSENT)
            if present[s]
        )
        options = "".join(
            f'<option value="{escape(s)}">{escape(s)}</option>' for s in self.sections
        )
        return (
            '<form class="filters" id="filters">'
            f"<fieldset><legend>Status (a row shows if any implementation has one checked)</legend>"
            f"{boxes}</fieldset>"
            '<label>Section <select id="section-filter"><option value="">all sections</option>'
            f"{options}</select></label>"
            '<p id="shown" aria-live="polite"></p></form>'
        )

    def matrix(self) -> str:
        head = "".join(
            f'<th scope="col" data-impl="{escape(i.label)}">{escape(i.label)}<br>'
            f'<span class="small">{self._counts([i], list(self.clauses))}</span></th>'
            for i in self.impls
        )
        bodies = []
        for section in self.sections:
            ids = [c.id for c in self.clauses.values() if c.section == section]
            if not ids:
                continue
            link = (
                f'<a href="#{escape(anchor("doc", section))}">{escape(section)}</a>'
                if anchor("doc", section) in self.heading_ids.values()
                else escape(section)
            )
            sec = "".join(f"<td>{self._counts([i], ids)}</td>" for i in self.impls)
            rows = [
                f'<tr class="sec"><th scope="rowgroup">{link} '
                f'<span class="small">({len(ids)})</span></th>{sec}</tr>'
            ]
            for cid in ids:
                c = self.clauses[cid]
                statuses = [i.status(cid) for i in self.impls]
                cells = "".join(self._cell(i, cid) for i in self.impls)
                rows.append(
                    f'<tr class="clause" data-clause="{escape(cid)}" '
                    f'data-section="{escape(section)}" '
                    f'data-statuses="{escape(" ".join(statuses))}">'
                    f'<th scope="row"><button type="button" class="cid" data-detail="d{c.index}">'
                    f"{escape(cid)}</button></th>{cells}</tr>"
                )
            bodies.append(f'<tbody data-section="{escape(section)}">{"".join(rows)}</tbody>')
        return (
            '<div class="scroll"><table class="matrix" id="matrix">'
            f'<thead><tr><th scope="col">clause</th>{head}</tr></thead>'
            f"{''.join(bodies)}</table></div>"
        )

    def _counts(self, impls: list[Implementation], ids: list[str]) -> str:
        counts = Counter(i.status(c) for i in impls for c in ids)
        return " ".join(
            f'<span class="count" title="{escape(s)}">{self.glyph(s)}{counts[s]}</span>'
            for s in (*STATUSES, ABSENT)
            if counts[s]
        )

    def _cell(self, impl: Implementation, cid: str) -> str:
        status = impl.status(cid)
        rec = impl.clauses.get(cid) or {}
        reason = _get(rec, "expectation", "reason")
        why = ""
        if status == "expected-fail" and reason:
            why = f'<span class="why">{escape(str(reason))}</span>'
        elif status == "blocked" and rec.get("blocked_by"):
            why = f'<span class="why">by {escape(str(rec["blocked_by"]))}</span>'
        return (
            f'<td class="st s-{escape(status)}" data-impl="{escape(impl.label)}" '
            f'data-status="{escape(status)}">{self.glyph(status)} '
            f'<span class="word">{escape(status)}</span>{why}</td>'
        )

    def detail(self, c: _Clause) -> str:
        rec = c.record
        facts = [
            ("basis", c.basis),
            ("section", c.section),
            ("function", str(rec.get("function") or "")),
            ("kind", str(rec.get("kind") or "")),
        ]
        parts = [
            f"<h3><code>{escape(c.id)}</code></h3>",
            '<dl class="facts">'
            + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts if v)
            + "</dl>",
        ]
        if c.quote:
            label = "expects" if c.basis == _BASIS_SAFETY else "quotes"
            parts.append(f'<p class="small">{label}</p><blockquote>{escape(c.quote)}</blockquote>')
        if rec.get("reading"):
            parts.append(f"<p><b>reading:</b> {escape(str(rec['reading']))}</p>")
        for impl in self.impls:
            r = impl.clauses.get(c.id)
            status = impl.status(c.id)
            parts.append(
                f'<section class="per-impl"><h4>{escape(impl.label)}: {self.glyph(status)} '
                f"{escape(status)}</h4>"
            )
            if r is None:
                parts.append("<p>not in this report</p></section>")
                continue
            if r.get("actual") and r.get("actual") != status:
                parts.append(f"<p>observed: {escape(str(r['actual']))}</p>")
            if r.get("blocked_by"):
                parts.append(f"<p>blocked by <code>{escape(str(r['blocked_by']))}</code></p>")
            exp = r.get("expectation")
            if isinstance(exp, Mapping):
                parts.append(
                    f"<p>expected {escape(str(exp.get('status')))}: "
                    f"{escape(str(exp.get('reason')))}</p>"
                )
            if r.get("message"):
                parts.append(f'<p class="small">message</p><pre>{escape(str(r["message"]))}</pre>')
            if r.get("example"):
                parts.append(
                    f'<p class="small">falsifying example</p><pre>{escape(str(r["example"]))}</pre>'
                )
            spec = impl.adapter.get("spec")
            if spec:
                parts.append(
                    '<p class="small">rerun</p>'
                    f'<pre class="cmd">{escape(rerun_command(str(spec), c.id))}</pre>'
                )
            parts.append("</section>")
        return f'<template id="d{c.index}">{"".join(parts)}</template>'

    def outside_document(self) -> str:
        if not self.unplaced:
            return ""
        safety = [c for c in self.unplaced if c.basis == _BASIS_SAFETY]
        other = [c for c in self.unplaced if c.basis != _BASIS_SAFETY]
        out = []
        if safety:
            out.append(
                '<section id="safety"><h2>Safety</h2><p>What every user of a memory-mapping '
                "library expects though the document does not say it; these clauses have "
                "their own verdict, <i>safe</i>.</p>"
                f"{self._clause_list(safety)}</section>"
            )
        if other:
            out.append(
                '<section id="unplaced"><h2>Quotes not in this document</h2><p>Clauses of '
                "these reports whose quote this version of the document does not contain."
                f"</p>{self._clause_list(other)}</section>"
            )
        return "".join(out)

    def _clause_list(self, clauses: list[_Clause]) -> str:
        items = "".join(
            f'<li><code>{escape(c.id)}</code>: <span class="q">{escape(c.quote)}</span>'
            f"{self.marks([c.id])}</li>"
            for c in clauses
        )
        return f'<ul class="outside">{items}</ul>'

    def render(self) -> str:
        css = _asset("report_site.css")
        js = _asset("report_site.js")
        names = ", ".join(i.label for i in self.impls)
        document = mdhtml.render(self.doc, self.marks, self.heading_ids)
        details = "".join(self.detail(c) for c in self.clauses.values())
        csp = (
            "default-src 'none'; "
            f"style-src '{_sha256(css)}'; script-src '{_sha256(js)}'; "
            "img-src data:; form-action 'none'; base-uri 'none'"
        )
        has_safety = any(c.basis == _BASIS_SAFETY for c in self.unplaced)
        safety_link = ' <a href="#safety">safety</a>' if has_safety else ""
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{escape(csp)}">
<link rel="icon" href="data:,">
<title>mmap conformance: {escape(names)}</title>
<style>{css}</style>
</head>
<body>
<header class="top"><h1>mmap conformance: {escape(names)}</h1>
<nav><a href="#implementations">implementations</a> <a href="#matrix-section">matrix</a>
<a href="#document">document</a>{safety_link}</nav></header>
<main>
<section id="implementations"><h2>Implementations</h2>{self.header()}{self.legend()}</section>
<section id="matrix-section"><h2>Clauses</h2>{self.filters()}{self.matrix()}</section>
<section id="document"><h2>The document, marked</h2>
<p class="small">Each sentence a clause quotes is followed by one mark per implementation
({escape(names)}, in that order); click a mark for the clause's details.</p>
<div class="doc">{document}</div></section>
{self.outside_document()}
</main>
<dialog id="detail" aria-labelledby="detail-title"><div class="bar">
<span id="detail-title">clause</span><button type="button" id="detail-close">close</button>
</div><div id="detail-body"></div></dialog>
{details}
<script>{js}</script>
</body>
</html>
"""


def anchor(prefix: str, name: str) -> str:
    return f"{prefix}-" + re.sub(r"[^A-Za-z0-9_.:-]+", "-", name).strip("-")


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def build(reports: Sequence[Mapping[str, Any]], document: str | None = None) -> str:
    """The page for ``reports`` (JSON reports, already read), over ``document``
    (default: the specification this package ships)."""
    if document is None:
        from mmapspec.spec import catalogue

        document = catalogue.document()
    return Page(reports, document).render()


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
        print(f"mmapspec: error: {exc}", file=sys.stderr)
        return 2
    text = build(reports)
    try:
        with open(ns.output, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        print(f"mmapspec: error: cannot write {ns.output!r}: {exc}", file=sys.stderr)
        return 2
    print(f"{ns.output}: {len(text.encode('utf-8'))} bytes, {len(reports)} implementation(s)")
    return 0
