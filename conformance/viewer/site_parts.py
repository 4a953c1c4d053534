"""Pieces of the report site's page that stand on their own: a status's glyph, the
card of each implementation, the legend of the marks, and the details of a clause
(shown in a dialog when its mark or ID is clicked).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any

from mmapspec.results.safe_text import for_html as escape
from mmapspec.results.safe_text import isolated_html
from mmapspec.viewer.site_model import (
    ABSENT,
    BASIS_SAFETY,
    GLYPHS,
    MEANINGS,
    STATUSES,
    Implementation,
    SiteClause,
    first,
    get,
    rerun_command,
)


def glyph(status: str) -> str:
    return (
        f'<span class="g s-{escape(status)}" aria-hidden="true">'
        f"{escape(GLYPHS.get(status, '?'))}</span>"
    )


def implementation_cards(impls: Sequence[Implementation], clause_ids: Sequence[str]) -> str:
    """A card per implementation: its verdict, its counts per status, and what ran."""
    return f'<div class="impls">{"".join(_card(i, clause_ids) for i in impls)}</div>'


def _card(impl: Implementation, clause_ids: Sequence[str]) -> str:
    counts = Counter(impl.status(c) for c in clause_ids)
    summary = " ".join(
        f'<span class="count">{glyph(s)} {counts[s]} {escape(s)}</span>'
        for s in STATUSES
        if counts[s]
    )
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in _what_ran(impl))
    caps = ", ".join(str(x) for x in impl.adapter.get("capabilities") or [])
    return (
        f'<article class="impl"><h3>{isolated_html(impl.label)}</h3>'
        f'<p class="verdict">{escape(_verdict(impl.report))}</p><p>{summary}</p><dl>{dl}</dl>'
        + (
            f"<details><summary>capabilities</summary><p>{escape(caps)}</p></details>"
            if caps
            else ""
        )
        + "</article>"
    )


def _what_ran(impl: Implementation) -> list[tuple[str, str]]:
    """The card's facts, "unknown" where a report predates a field."""
    r, a = impl.report, impl.adapter
    language = a.get("language") or get(a, "implementation", "language")
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
    return rows + [
        ("adapter", str(a.get("spec") or "unknown")),
        ("platform", where or "unknown"),
        ("python", str(plat.get("python") or "unknown")),
        ("mmapspec", first(r, ("run", "mmapspec"), ("mmapspec",))),
        ("date", first(r, ("run", "date"), ("run", "started"), ("date",))),
        ("duration", f"{r['duration']} s" if "duration" in r else "unknown"),
        # The file's name: its path is the machine's that ran the report.
        ("expectations", PurePath(str(get(r, "expectations", "file") or "none")).name),
    ]


def _verdict(r: Mapping[str, Any]) -> str:
    verdicts = [
        ("conformant", r.get("conformant")),
        ("safe", r.get("safe")),
    ]
    verdict = " · ".join(
        f"{name}: {'yes' if value else 'no'}" for name, value in verdicts if value is not None
    )
    if r.get("strict"):
        verdict += " · strict"
    if r.get("incomplete"):
        # The run stopped before its end: its clauses do not tell the whole story.
        verdict = f"incomplete ({r['incomplete']}) · {verdict}"
    return verdict


def legend() -> str:
    items = "".join(
        f"<li>{glyph(s)} <b>{escape(s)}</b>: {escape(MEANINGS[s])}</li>"
        for s in (*STATUSES, ABSENT)
    )
    return (
        f'<details class="legend"><summary>What the marks mean</summary><ul>{items}</ul></details>'
    )


def clause_detail(c: SiteClause, impls: Sequence[Implementation]) -> str:
    """The clause's details, in a template the page's script shows in its dialog."""
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
        label = "expects" if c.basis == BASIS_SAFETY else "quotes"
        parts.append(f'<p class="small">{label}</p><blockquote>{escape(c.quote)}</blockquote>')
    if rec.get("reading"):
        parts.append(f"<p><b>reading:</b> {escape(str(rec['reading']))}</p>")
    parts += [_per_implementation(c, impl) for impl in impls]
    return f'<template id="d{c.index}">{"".join(parts)}</template>'


def _per_implementation(c: SiteClause, impl: Implementation) -> str:
    """What one implementation's report says of the clause, and how to rerun it."""
    r = impl.clauses.get(c.id)
    status = impl.status(c.id)
    parts = [
        f'<section class="per-impl"><h4>{escape(impl.label)}: {glyph(status)} {escape(status)}</h4>'
    ]
    if r is None:
        return parts[0] + "<p>not in this report</p></section>"
    if r.get("actual") and r.get("actual") != status:
        parts.append(f"<p>observed: {escape(str(r['actual']))}</p>")
    if r.get("blocked_by"):
        parts.append(f"<p>blocked by <code>{escape(str(r['blocked_by']))}</code></p>")
    exp = r.get("expectation")
    if isinstance(exp, Mapping):
        parts.append(
            f"<p>expected {escape(str(exp.get('status')))}: {escape(str(exp.get('reason')))}</p>"
        )
    if r.get("message"):
        parts.append(f'<p class="small">message</p><pre>{escape(str(r["message"]))}</pre>')
    if r.get("example"):
        parts.append(
            f'<p class="small">falsifying example</p><pre>{escape(str(r["example"]))}</pre>'
        )
    if impl.adapter.get("spec") or impl.adapter.get("selection"):
        parts.append(
            '<p class="small">rerun</p>'
            f'<pre class="cmd">{escape(rerun_command(impl.adapter, c.id))}</pre>'
        )
    return "".join(parts) + "</section>"
