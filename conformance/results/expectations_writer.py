"""``mmapspec expectations``: an expectations file written from a JSON report.

* A capability the binding lacks is one ``[capability."NAME"]`` entry, however many
  clauses need it ("tagname unsupported: 17 clauses"), not one entry per clause.
* Reasons are stable from run to run: temporary paths, file names made of random
  hex, addresses and process IDs are masked.
* ``--keep FILE`` edits that file in place of writing a new one (tomlkit, which
  round-trips): comments, order and reasons stay; an entry for another platform
  stays as it is; an entry for this platform goes only when the report shows its
  clause no longer deviating that way; new deviations are appended.
* The TOML is written by tomlkit, so whatever a message holds (control characters
  such as U+007F) the file reads back.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import tomlkit
from mmapspec.results import safe_text
from mmapspec.results.expectations import EXPECTABLE
from mmapspec.results.status import UNSUPPORTED_PREFIX

_MASKS = (
    (re.compile(r"(?:/tmp|/var/folders|/private/var|/dev/shm)/[^\s'\",)]+"), "<tmp>"),
    (re.compile(r"[\w.-]*[0-9a-f]{8,}[\w.…-]*"), "…"),
    (re.compile(r"0x[0-9a-fA-F]+"), "0x…"),
    (re.compile(r"\b(pid|addr|address|handle)=\d+"), r"\1=…"),
    (re.compile(r"\b(flush|free)\(\d+"), r"\1(…"),  # a map's handle number
    (re.compile(r"b'(?:[^'\\]|\\.)*\\x(?:[^'\\]|\\.)*'"), "b'…'"),  # bytes seen, not written
    (re.compile(r"\b\d{9,}\b"), "…"),
)


def stable(message: str) -> str:
    """``message`` on one line, with what differs between runs masked."""
    text = " ".join(safe_text.visible(message).split())
    for pattern, mask in _MASKS:
        text = pattern.sub(mask, text)
    return text


def _platform(report: Mapping[str, Any]) -> str:
    system = str(report.get("platform", {}).get("system", "")).lower()
    return {"windows": "win32"}.get(system, system)


def _applies(entry: Mapping[str, Any], platform: str) -> bool:
    platforms = list(entry.get("platforms", []))
    return not platforms or any(platform.startswith(p) for p in platforms)


def _missing(clause: Mapping[str, Any], needs: Iterable[str]) -> str | None:
    """The capability an unsupported clause lacks, among those it needs."""
    if clause["actual"] != "unsupported":
        return None
    named = clause["missing"] if "missing" in clause else _missing_in_words(clause)
    return next((n for n in named if n in set(needs)), None)


def _missing_in_words(clause: Mapping[str, Any]) -> list[str]:
    """A report of the previous version, which carried no ``missing`` field, named
    the missing capabilities only in its message, after ``unsupported: ``."""
    message = clause.get("message") or ""
    if not message.startswith(UNSUPPORTED_PREFIX):
        return []
    return [n.strip() for n in message[len(UNSUPPORTED_PREFIX) :].split(",")]


def write(
    report: Mapping[str, Any],
    needs: Mapping[str, frozenset[str]],
    keep: str | None = None,
    header: str = "",
) -> str:
    """The expectations file for ``report`` (``keep``: an existing file's text to edit)."""
    platform = _platform(report)
    clauses = {c["id"]: c for c in report["clauses"]}
    todo = {cid: c for cid, c in clauses.items() if c["actual"] in EXPECTABLE}
    doc = tomlkit.parse(keep) if keep is not None else tomlkit.document()
    if keep is None:
        for line in safe_text.visible(header, lines=True).splitlines():
            doc.add(tomlkit.comment(line))
    _revise_clauses(doc, clauses, todo, platform)
    _revise_capabilities(doc, clauses, todo, needs, platform)
    by_capability: dict[str, list[str]] = defaultdict(list)
    for cid, clause in sorted(todo.items()):
        cap = _missing(clause, needs.get(cid, ()))
        if cap is not None:
            by_capability[cap].append(cid)
            continue
        entry = tomlkit.table()
        entry["status"] = clause["actual"]
        entry["reason"] = "observed: " + stable(clause["message"] or clause["actual"])
        _table(doc, "clause")[safe_text.visible(cid)] = entry  # a report's ids are text too
    for cap, ids in sorted(by_capability.items()):
        entry = tomlkit.table()
        entry["status"] = "unsupported"
        entry["reason"] = f"observed: {cap} unsupported: {len(ids)} clause(s)"
        entry.add(tomlkit.comment(safe_text.visible(", ".join(ids))))
        _table(doc, "capability")[cap] = entry
    return tomlkit.dumps(doc)


def _table(doc: Any, kind: str) -> Any:
    if kind not in doc:
        doc[kind] = tomlkit.table(is_super_table=True)
    return doc[kind]


def _revise_clauses(
    doc: Any, clauses: Mapping[str, Any], todo: dict[str, Any], platform: str
) -> None:
    table = doc.get("clause", {})
    for cid in list(table):
        entry = table[cid]
        if not _applies(entry, platform) or cid not in clauses:
            todo.pop(cid, None)  # another platform's, or a clause this run did not reach
            continue
        actual = clauses[cid]["actual"]
        if actual == entry.get("status"):
            todo.pop(cid, None)
        elif actual in EXPECTABLE:
            entry["status"] = actual
            entry["reason"] = "observed: " + stable(clauses[cid]["message"] or actual)
            todo.pop(cid, None)
        else:
            del table[cid]  # the clause no longer deviates


def _revise_capabilities(
    doc: Any,
    clauses: Mapping[str, Any],
    todo: dict[str, Any],
    needs: Mapping[str, frozenset[str]],
    platform: str,
) -> None:
    table = doc.get("capability", {})
    for cap in list(table):
        entry = table[cap]
        covered = [cid for cid in clauses if cap in needs.get(cid, ())]
        if not _applies(entry, platform) or not covered:
            continue
        lacking = [cid for cid in covered if clauses[cid]["actual"] == "unsupported"]
        if not lacking:
            del table[cap]  # the binding has it now
        for cid in lacking:
            todo.pop(cid, None)
