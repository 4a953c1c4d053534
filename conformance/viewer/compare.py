"""``mmapspec compare OLD.json NEW.json``: what changed between two runs.

Clauses are matched by ID. Each clause's *actual* status (what the tests observed,
before an expectations file turned it into ``expected-fail`` or
``unexpected-pass``) is ranked, best first (:func:`ranking`: a pass is best, a crash
worst, and what says nothing either way sits between a pass and a failure).

A clause whose rank drops got *worse* (a new failure, or a pass that is no longer
checked); one whose rank rises got *better* (a fix); a change within one rank is
listed as a plain change. Clauses only in NEW are *added*, only in OLD *removed*:
neither is worse, since the runs did not check the same thing there.

Exit codes: 1 when a clause got worse, else 0; 2 when an input cannot be read, with
one line on stderr saying why.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from mmapspec.results import safe_text
from mmapspec.results.status import Status

EXIT_SAME_OR_BETTER, EXIT_WORSE, EXIT_UNREADABLE = 0, 1, 2


def ranking() -> str:
    """The ranks of the actual statuses, best first, as one line
    (:attr:`~mmapspec.results.status.StatusFacts.compare_rank`)."""
    ranks: dict[int, list[str]] = {}
    for s in sorted(Status, key=lambda s: s.facts.order):
        if s.facts.compare_rank is not None:
            ranks.setdefault(s.facts.compare_rank, []).append(s.value)
    return " > ".join(", ".join(names) for _, names in sorted(ranks.items(), reverse=True))


# Reports whose clause records lack ``actual``: what their verdict stood for.
_ACTUAL_OF_VERDICT = {"unexpected-pass": "pass"}


def actual(record: Mapping[str, Any]) -> str:
    """What the tests observed for a clause record."""
    value = record.get("actual")
    if isinstance(value, str):
        return value
    status = str(record["status"])
    if status == "expected-fail":
        exp = record.get("expectation") or {}
        return str(exp.get("status", "fail"))
    return _ACTUAL_OF_VERDICT.get(status, status)


def rank(status: str) -> int:
    """The rank of an actual status, higher is better; one this version does not know
    ranks with fail."""
    known = {s.value: s.facts.compare_rank for s in Status}
    found = known.get(status)
    return found if found is not None else _FAIL_RANK


_FAIL_RANK = Status.FAIL.facts.compare_rank or 0


@dataclasses.dataclass(frozen=True)
class Change:
    clause: str
    old: str | None
    """The old actual status (None: the clause is not in OLD)."""
    new: str | None
    old_verdict: str | None
    new_verdict: str | None
    message: str | None
    """NEW's message for the clause, else OLD's."""


@dataclasses.dataclass
class Comparison:
    old_label: str
    new_label: str
    worse: list[Change]
    better: list[Change]
    changed: list[Change]
    """Different status, same rank (or the same actual status under another verdict)."""
    added: list[Change]
    removed: list[Change]
    unchanged: int

    @property
    def exit_code(self) -> int:
        return EXIT_WORSE if self.worse else EXIT_SAME_OR_BETTER


def _label(doc: Mapping[str, Any]) -> str:
    adapter = doc.get("adapter") or {}
    name = adapter.get("name") or adapter.get("spec") or "?"
    version = adapter.get("version")
    return f"{name} {version}" if version else str(name)


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> Comparison:
    before = {c["id"]: c for c in old["clauses"]}
    after = {c["id"]: c for c in new["clauses"]}
    result = Comparison(_label(old), _label(new), [], [], [], [], [], 0)
    for cid, rec in after.items():
        was = before.get(cid)
        if was is None:
            result.added.append(
                Change(cid, None, actual(rec), None, rec["status"], rec.get("message"))
            )
            continue
        a, b = actual(was), actual(rec)
        change = Change(
            cid, a, b, was["status"], rec["status"], rec.get("message") or was.get("message")
        )
        if rank(b) < rank(a):
            result.worse.append(change)
        elif rank(b) > rank(a):
            result.better.append(change)
        elif a != b or was["status"] != rec["status"]:
            result.changed.append(change)
        else:
            result.unchanged += 1
    for cid, was in before.items():
        if cid not in after:
            result.removed.append(
                Change(cid, actual(was), None, was["status"], None, was.get("message"))
            )
    return result


def _status(actual_status: str | None, verdict: str | None) -> str:
    if actual_status is None:
        return "-"
    if verdict is None or verdict == actual_status:
        return actual_status
    return f"{verdict} ({actual_status})"


_GROUPS = (
    ("worse", "Worse: new failures or clauses no longer passing"),
    ("better", "Better: fixes"),
    ("changed", "Changed, neither better nor worse"),
    ("added", "Added: clauses only in the new run"),
    ("removed", "Removed: clauses only in the old run"),
)


def _one_line(text: str | None, limit: int = 160) -> str:
    if not text:
        return ""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def render_text(c: Comparison) -> str:
    out = [f"old: {c.old_label}", f"new: {c.new_label}", ""]
    for attr, title in _GROUPS:
        changes: list[Change] = getattr(c, attr)
        if not changes:
            continue
        out.append(f"{title} ({len(changes)})")
        for ch in changes:
            old, new = _status(ch.old, ch.old_verdict), _status(ch.new, ch.new_verdict)
            out.append(f"  {ch.clause}: {old} -> {new}")
            if ch.message and attr in ("worse", "changed", "added"):
                out.append(f"      {_one_line(ch.message)}")
        out.append("")
    out.append(_summary(c))
    # Each line shown as it is, whatever a report put in it: no escape reaches the terminal.
    return "\n".join(safe_text.for_terminal(line) for line in out) + "\n"


def _md_cell(text: str) -> str:
    """Untrusted text in a Markdown table cell: a code span (see :mod:`safe_text`)."""
    return safe_text.for_markdown(text)


def render_markdown(c: Comparison) -> str:
    out = [
        f"## mmapspec: {safe_text.for_markdown(c.old_label, safe_text.NAME_LIMIT, table=False)} → "
        f"{safe_text.for_markdown(c.new_label, safe_text.NAME_LIMIT, table=False)}",
        "",
        _summary(c),
        "",
    ]
    for attr, title in _GROUPS:
        changes: list[Change] = getattr(c, attr)
        if not changes:
            continue
        out += [f"### {title} ({len(changes)})", "", "| clause | old | new | message |"]
        out.append("|---|---|---|---|")
        for ch in changes:
            old, new = _status(ch.old, ch.old_verdict), _status(ch.new, ch.new_verdict)
            out.append(
                f"| {_md_cell(ch.clause)} | {_md_cell(old)} | {_md_cell(new)} "
                f"| {_md_cell(_one_line(ch.message))} |"
            )
        out.append("")
    return "\n".join(out) + "\n"


def _summary(c: Comparison) -> str:
    verdict = "worse" if c.worse else "not worse"
    return (
        f"{len(c.worse)} worse, {len(c.better)} better, {len(c.changed)} changed, "
        f"{len(c.added)} added, {len(c.removed)} removed, {c.unchanged} unchanged: {verdict}"
    )
