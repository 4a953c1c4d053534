"""The report site's data: each JSON report as one implementation (a column of the
page), each clause as the reports record it, the statuses in display order with
their glyphs and meanings, and the command that reruns one clause.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from mmapspec.results.status import Status

ABSENT = "absent"
"""Not a status: the clause is not in that implementation's report."""

# Display order, best first, and what each status is shown as.
STATUSES: tuple[str, ...] = tuple(s.value for s in sorted(Status, key=lambda s: s.facts.order))
GLYPHS: Mapping[str, str] = {**{s.value: s.facts.glyph for s in Status}, ABSENT: "·"}
MEANINGS: Mapping[str, str] = {
    **{s.value: s.facts.meaning for s in Status},
    ABSENT: "the clause is not in this implementation's report",
}

SECTION_INTRO = "mmap"
"""The catalogue's section of the document's opening part (before the first function)."""
BASIS_SAFETY = "safety"


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


def labels(reports: Sequence[Mapping[str, Any]]) -> list[str]:
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


def get(doc: Mapping[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(doc, Mapping) or key not in doc:
            return None
        doc = doc[key]
    return doc


def first(doc: Mapping[str, Any], *paths: tuple[str, ...]) -> str:
    for path in paths:
        value = get(doc, *path)
        if value not in (None, ""):
            return str(value)
    return "unknown"


def rerun_command(adapter: Mapping[str, Any], clause: str) -> str:
    """The command that runs one clause against the adapter a report names, built from
    the report's ``adapter.selection`` (the name and each option, as data). A report
    written before the selection was recorded names the adapter by its ``spec`` line
    alone, which is shown as it stands."""
    selection = adapter.get("selection")
    if not isinstance(selection, Mapping):
        spec = str(adapter.get("spec") or "?")
        return f"mmapspec run --adapter {spec} --clause {shlex.quote(clause)}"
    name = str(selection.get("name"))
    options = [(str(k), str(v)) for k, v in (selection.get("options") or {}).items()]
    argv = ["mmapspec", "run"]
    if name == "pipe" and [k for k, _ in options] == ["pipe_cmd"]:
        argv += ["--pipe-cmd", options[0][1]]
    else:
        argv += ["--adapter", name]
        for key, value in options:
            argv += ["--adapter-option", f"{key}={value}"]
    return shlex.join([*argv, "--clause", clause])


@dataclasses.dataclass
class SiteClause:
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


def anchor(prefix: str, name: str) -> str:
    return f"{prefix}-" + re.sub(r"[^A-Za-z0-9_.:-]+", "-", name).strip("-")
