"""Reading a JSON report that ``compare``, ``html`` and ``expectations`` were given:
anything that is not a report of this format, in the shape these tools read, is one
line (:class:`ReportError`), and what is read is made safe before any tool sees it.

Checked: the file is UTF-8 JSON no deeper than :data:`MAX_DEPTH`; ``format`` and
``version`` are this format's; every field the tools read has its type (strings,
lists of strings, objects, booleans); every status is a known one. Every string is
then cleaned and capped (:func:`~mmapspec.results.safe_text.clean`), names harder
(:data:`~mmapspec.results.safe_text.NAME_LIMIT`).

A report with every field this version writes (one of this version or the previous)
is then read by :meth:`~mmapspec.results.model.Report.from_json`, which checks it
against the schema, and the tools see the model's document. One that predates a
field, or one written by hand with only what a tool reads, is read by the checks
here alone; so is every report where jsonschema is not installed (``mmapspec[suite]``
brings it), so that ``html`` and ``compare`` keep working on a plain install.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping
from typing import Any

from mmapspec.results import safe_text
from mmapspec.results.model import FORMAT, VERSION, Report, ReportError, schema

__all__ = ["ReportError", "checked", "read_report"]
MAX_DEPTH = 32
"""Nesting a report never needs more than a few levels of; deeper is refused."""
MAX_BYTES = 1 << 30

_STR, _OPT_STR, _BOOL = (str,), (str, type(None)), (bool,)
_NUM = (int, float)
ADAPTER_FIELDS = {"spec": _STR, "name": _STR, "version": _STR, "language": _STR}
CLAUSE_FIELDS = {
    "id": _STR,
    "status": _STR,
    "actual": _OPT_STR,
    "message": _OPT_STR,
    "example": _OPT_STR,
    "section": _STR,
    "function": _STR,
    "kind": _STR,
    "quote": _STR,
    "basis": _STR,
    "reading": _OPT_STR,
    "why": _OPT_STR,
    "blocked_by": _OPT_STR,
    "tested_range": _OPT_STR,
    "deviation": _BOOL,
    "tests": (list,),
    "expectation": (dict, type(None)),
    "duration": _NUM,
}
TOP_FIELDS = {
    "adapter": (dict,),
    "platform": (dict,),
    "run": (dict,),
    "verdict": _STR,
    "incomplete": _OPT_STR,
    "summary": (dict,),
    "sections": (list,),
    "clauses": (list,),
    "untagged": (list,),
    "conformant": _BOOL,
    "safe": _BOOL,
    "strict": _BOOL,
    "duration": _NUM,
}


def read_report(path: str) -> dict[str, Any]:
    """The report at ``path``, checked and made safe; :class:`ReportError` otherwise."""
    shown = safe_text.for_terminal(path, safe_text.NAME_LIMIT)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ReportError(f"cannot read {shown!r}: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise ReportError(f"{shown!r}: over {MAX_BYTES} bytes, no report is that large")
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ReportError(f"{shown!r} is not UTF-8 (byte {exc.start})") from None
    except RecursionError:
        raise ReportError(f"{shown!r}: JSON nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise ReportError(f"{shown!r} is not JSON: {safe_text.for_terminal(exc, 200)}") from None
    safe = checked(doc, shown)
    if not _complete(safe) or importlib.util.find_spec("jsonschema") is None:
        return safe
    try:
        return Report.from_json(safe).to_json()
    except ReportError as exc:
        raise ReportError(f"{shown!r}: {exc}") from None


def _complete(doc: Mapping[str, Any]) -> bool:
    """Has every field a report of this version has: then it reads back through
    :meth:`Report.from_json`, checked against the schema. A report that predates a
    field, or one written by hand, is read by the checks here alone."""
    return set(schema()["required"]) <= set(doc)


def checked(doc: Any, shown: str = "the report") -> dict[str, Any]:
    """``doc`` (a parsed report) checked as :func:`read_report` does, and made safe."""
    depth = _depth(doc)
    if depth > MAX_DEPTH:
        raise ReportError(f"{shown!r}: JSON nested deeper than {MAX_DEPTH} levels")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ReportError(f'{shown!r} is not an mmapspec report (no "format": "{FORMAT}")')
    version = doc.get("version", VERSION)
    if version != VERSION or isinstance(version, bool):
        raise ReportError(
            f"{shown!r}: report format version {safe_text.for_terminal(version, 40)}, "
            f"this mmapspec reads version {VERSION}"
        )
    _fields(doc, TOP_FIELDS, shown, "")
    _fields(doc.get("adapter") or {}, ADAPTER_FIELDS, shown, "adapter.")
    selection = (doc.get("adapter") or {}).get("selection")
    if selection is not None and not (
        isinstance(selection, dict)
        and isinstance(selection.get("name"), str)
        and isinstance(selection.get("options"), dict)
        and all(isinstance(v, str) for v in selection["options"].values())
    ):
        raise ReportError(f'{shown!r}: "adapter.selection" must be a name and string options')
    caps = (doc.get("adapter") or {}).get("capabilities", [])
    if not isinstance(caps, list) or not all(isinstance(c, str) for c in caps):
        raise ReportError(f'{shown!r}: "adapter.capabilities" must be a list of strings')
    if "clauses" not in doc:
        raise ReportError(f'{shown!r}: "clauses" must be a list of records with id and status')
    for i, rec in enumerate(doc["clauses"]):
        _clause(rec, shown, f"clauses[{i}]")
    safe: dict[str, Any] = safe_text.for_json(doc)
    adapter = safe.get("adapter") or {}
    for key in ADAPTER_FIELDS:
        if key in adapter:
            adapter[key] = safe_text.clean(adapter[key], safe_text.NAME_LIMIT)
    return safe


def _clause(rec: Any, shown: str, where: str) -> None:
    if not isinstance(rec, dict) or not {"id", "status"} <= set(rec):
        raise ReportError(f'{shown!r}: "clauses" must be a list of records with id and status')
    _fields(rec, CLAUSE_FIELDS, shown, f"{where}.")
    from mmapspec.results.status import STATUSES

    known = {s.value for s in STATUSES}
    for key in ("status", "actual"):
        value = rec.get(key)
        if value is not None and value not in known:
            raise ReportError(
                f'{shown!r}: "{where}.{key}" is {safe_text.for_terminal(value, 60)!r}, '
                f"not a status ({', '.join(sorted(known))})"
            )
    for j, test in enumerate(rec.get("tests") or []):
        if not isinstance(test, dict) or not isinstance(test.get("nodeid", ""), str):
            raise ReportError(f'{shown!r}: "{where}.tests[{j}]" must be a record with a nodeid')
        if not isinstance(test.get("status", ""), str):
            raise ReportError(f'{shown!r}: "{where}.tests[{j}].status" must be a string')
    exp = rec.get("expectation")
    if isinstance(exp, dict) and not all(
        isinstance(exp.get(k, ""), str) for k in ("status", "reason")
    ):
        raise ReportError(f'{shown!r}: "{where}.expectation" must hold strings')


def _fields(
    doc: Mapping[str, Any], types: Mapping[str, tuple[type, ...]], shown: str, at: str
) -> None:
    for key, allowed in types.items():
        if key not in doc:
            continue
        value = doc[key]
        ok = isinstance(value, allowed) and not (isinstance(value, bool) and bool not in allowed)
        if not ok:
            names = " or ".join("null" if t is type(None) else t.__name__ for t in allowed)
            raise ReportError(f'{shown!r}: "{at}{key}" must be {names}, not {type(value).__name__}')


def _depth(doc: Any) -> int:
    """How deeply ``doc`` nests, found without recursion."""
    deepest, stack = 0, [(doc, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                return level
            stack.extend((v, level + 1) for v in value)
    return deepest
