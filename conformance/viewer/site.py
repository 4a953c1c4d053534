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

The reports as the page sees them are in :mod:`mmapspec.viewer.site_model`; the cards, the
legend and the clause details in :mod:`mmapspec.viewer.site_parts`; this module lays out
the matrix and the marked document, and writes the page.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from mmapspec.results.safe_text import for_html as escape
from mmapspec.results.safe_text import isolated_html
from mmapspec.viewer import mdhtml
from mmapspec.viewer.site_model import (
    ABSENT,
    BASIS_SAFETY,
    SECTION_INTRO,
    STATUSES,
    Implementation,
    SiteClause,
    anchor,
    get,
    labels,
)
from mmapspec.viewer.site_parts import clause_detail, glyph, implementation_cards, legend


class Page:
    """The page of some reports over the document: built once, rendered by :meth:`render`."""

    def __init__(self, reports: Sequence[Mapping[str, Any]], document: str) -> None:
        self.impls = [
            Implementation(label, r, {c["id"]: c for c in r["clauses"]})
            for label, r in zip(labels(reports), reports, strict=True)
        ]
        self.clauses: dict[str, SiteClause] = {}
        for r in reports:
            for rec in r["clauses"]:
                if rec["id"] not in self.clauses:
                    self.clauses[rec["id"]] = SiteClause(rec["id"], len(self.clauses), rec)
        # Sections in order, each with its clauses: dicts (ordered sets), so that the
        # page is linear in the reports however many sections they name.
        order: dict[str, None] = {}
        for r in reports:
            for s in r.get("sections") or []:
                if isinstance(s, Mapping) and isinstance(s.get("section"), str):
                    order.setdefault(s["section"])
        self.by_section: dict[str, list[str]] = {}
        for c in self.clauses.values():
            order.setdefault(c.section)
            self.by_section.setdefault(c.section, []).append(c.id)
        # A section none of whose clauses ran in any report is left out.
        self.sections = [s for s in order if s in self.by_section]
        self.doc = mdhtml.parse(document)
        self.heading_ids: dict[int, str] = {}
        self.unplaced = self._place_quotes()

    # ------------------------------------------------------------ quotes

    def _block_sections(self) -> list[str]:
        """The catalogue section of each block of the document: a heading whose first
        code span names a section (``mmap.map(...)``, ``map:free()``,
        ``mmap.filesize(file)``) starts it; before the first, the opening part."""
        current = SECTION_INTRO
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

    def _place_quotes(self) -> list[SiteClause]:
        """Mark each clause's quote in the document, in its own section if it is there
        (a signature is quoted both in the API table and in its section's heading).
        Returns the clauses whose quote is not in the document."""
        sections = self._block_sections()
        inlines = [inl for _, inl in self.doc.inlines()]
        own: dict[str, list[mdhtml.Inline]] = {}
        for (block, _), inl in zip(self.doc.inlines(), inlines, strict=True):
            own.setdefault(sections[block], []).append(inl)
        # Where each (section, quote) is found, looked for once: clauses sharing a quote
        # cost a dict lookup each, so the page stays linear in the reports.
        found: dict[tuple[str | None, str], tuple[mdhtml.Inline, int] | None] = {}
        unplaced = []
        for c in self.clauses.values():
            quote = mdhtml.fold(c.quote)
            if c.basis == BASIS_SAFETY or not quote:
                unplaced.append(c)
                continue
            key = (c.section if c.section in own else None, quote)
            if key not in found:
                ranked = [*own.get(c.section, []), *inlines]
                found[key] = next(((i, i.find(quote)) for i in ranked if i.find(quote) >= 0), None)
            hit = found[key]
            if hit is None:
                unplaced.append(c)
            else:
                inl, pos = hit
                inl.mark(pos, pos + len(quote), c.id)
        return unplaced

    # ------------------------------------------------------------ pieces

    def marks(self, keys: list[str]) -> str:
        out = []
        for key in keys:
            c = self.clauses[key]
            said = "; ".join(f"{i.label}: {i.status(key)}" for i in self.impls)
            glyphs = "".join(glyph(i.status(key)) for i in self.impls)
            out.append(
                f'<button type="button" class="mark" data-detail="d{c.index}" '
                f'data-clause="{escape(key)}" title="{escape(key)}" '
                f'aria-label="{escape(f"{key}: {said}")}">{glyphs}</button>'
            )
        return f'<span class="marks">{"".join(out)}</span>'

    def filters(self) -> str:
        present = Counter(i.status(c) for i in self.impls for c in self.clauses)
        boxes = "".join(
            f'<label class="f"><input type="checkbox" name="status" value="{escape(s)}" checked>'
            f" {glyph(s)} {escape(s)} ({present[s]})</label>"
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
            f'<th scope="col" data-impl="{escape(i.label)}">{isolated_html(i.label)}<br>'
            f'<span class="small">{self._counts([i], list(self.clauses))}</span></th>'
            for i in self.impls
        )
        bodies = []
        linked = set(self.heading_ids.values())
        for section in self.sections:
            ids = self.by_section.get(section, [])
            if not ids:
                continue
            link = (
                f'<a href="#{escape(anchor("doc", section))}">{escape(section)}</a>'
                if anchor("doc", section) in linked
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
            f'<span class="count" title="{escape(s)}">{glyph(s)}{counts[s]}</span>'
            for s in (*STATUSES, ABSENT)
            if counts[s]
        )

    def _cell(self, impl: Implementation, cid: str) -> str:
        status = impl.status(cid)
        rec = impl.clauses.get(cid) or {}
        reason = get(rec, "expectation", "reason")
        why = ""
        if status == "expected-fail" and reason:
            why = f'<span class="why">{escape(str(reason))}</span>'
        elif status == "blocked" and rec.get("blocked_by"):
            why = f'<span class="why">by {escape(str(rec["blocked_by"]))}</span>'
        return (
            f'<td class="st s-{escape(status)}" data-impl="{escape(impl.label)}" '
            f'data-status="{escape(status)}">{glyph(status)} '
            f'<span class="word">{escape(status)}</span>{why}</td>'
        )

    def outside_document(self) -> str:
        if not self.unplaced:
            return ""
        safety = [c for c in self.unplaced if c.basis == BASIS_SAFETY]
        other = [c for c in self.unplaced if c.basis != BASIS_SAFETY]
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

    def _clause_list(self, clauses: list[SiteClause]) -> str:
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
        details = "".join(clause_detail(c, self.impls) for c in self.clauses.values())
        cards = implementation_cards(self.impls, list(self.clauses))
        csp = (
            "default-src 'none'; "
            f"style-src '{_sha256(css)}'; script-src '{_sha256(js)}'; "
            "img-src data:; form-action 'none'; base-uri 'none'"
        )
        has_safety = any(c.basis == BASIS_SAFETY for c in self.unplaced)
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
<section id="implementations"><h2>Implementations</h2>{cards}{legend()}</section>
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
