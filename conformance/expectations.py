"""Expectation files: an adapter's known deviations, so a binding can adopt the suite
before it conforms and ratchet up (in the manner of array-api-tests' xfail files).

Format (TOML), one table per clause ID::

    # adapters/expectations/stdlib.toml
    [clause."map.tagname.shares-memory"]
    status = "unsupported"          # fail | unsupported | crash
    reason = "CPython's mmap has no named shared memory"
    platforms = ["linux", "darwin"] # optional: sys.platform prefixes it applies to

Rules (the runner documents them in its README section):

* a clause whose result equals its expected status is reported ``expected-fail``
  and does not fail the run;
* a listed clause that passes is ``unexpected-pass`` and fails the run (remove the
  entry: the binding got better);
* a listed clause that fails differently (expected ``fail``, got ``crash``) keeps its
  actual status and fails the run;
* an entry naming a clause that is not in the catalogue is *stale*: it is reported
  and fails the run (exit code 1, not 2: the results are still valid, the file
  just no longer describes the spec);
* a malformed file (bad TOML, unknown keys, bad status, empty reason) is a failure
  of the run itself (exit code 2).
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

EXPECTABLE = ("fail", "unsupported", "crash")
_KEYS = {"status", "reason", "platforms"}


class ExpectationsError(Exception):
    """The expectations file cannot be used (one-line message naming the file)."""


@dataclasses.dataclass(frozen=True)
class Expectation:
    clause: str
    status: str
    reason: str
    platforms: tuple[str, ...] = ()

    def applies(self, platform: str = sys.platform) -> bool:
        """True when the entry is meant for this platform (no ``platforms`` = all)."""
        return not self.platforms or any(platform.startswith(p) for p in self.platforms)


@dataclasses.dataclass(frozen=True)
class Expectations:
    path: str | None
    entries: Mapping[str, Expectation]
    """Entries that apply on this platform, by clause ID."""

    def stale(self, known: Iterable[str]) -> list[Expectation]:
        """Entries naming a clause that is not in the catalogue."""
        known_ids = set(known)
        return [e for cid, e in sorted(self.entries.items()) if cid not in known_ids]


NO_EXPECTATIONS = Expectations(None, {})


def parse(text: str, path: str = "<string>", platform: str | None = sys.platform) -> Expectations:
    """Parse and validate an expectations file's text, keeping the entries that
    apply on ``platform`` (all of them if None)."""
    tomllib = _tomllib()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExpectationsError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ExpectationsError(f"{path}: not valid TOML here: nested too deeply") from None
    extra = set(data) - {"clause"}
    if extra:
        raise ExpectationsError(
            f"{path}: unknown top-level key(s) {', '.join(sorted(extra))}; "
            'entries are written [clause."<clause id>"]'
        )
    table = data.get("clause", {})
    if not isinstance(table, dict):
        raise ExpectationsError(f'{path}: "clause" must be a table of [clause."<id>"] entries')
    entries: dict[str, Expectation] = {}
    for cid, entry in table.items():
        where = f'{path}: [clause."{cid}"]'
        if not isinstance(entry, dict):
            raise ExpectationsError(f"{where}: must be a table with status and reason")
        unknown = set(entry) - _KEYS
        if unknown:
            raise ExpectationsError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        status = entry.get("status")
        if status not in EXPECTABLE:
            raise ExpectationsError(
                f"{where}: status must be one of {', '.join(EXPECTABLE)}, got {status!r}"
            )
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ExpectationsError(f"{where}: reason must be a non-empty string")
        platforms = entry.get("platforms", [])
        if not isinstance(platforms, list) or not all(isinstance(p, str) for p in platforms):
            raise ExpectationsError(f"{where}: platforms must be a list of sys.platform prefixes")
        exp = Expectation(cid, status, reason.strip(), tuple(platforms))
        if platform is None or exp.applies(platform):
            entries[cid] = exp
    return Expectations(path, entries)


def _tomllib() -> ModuleType:
    """The TOML reader: the standard library's from Python 3.11, else tomli (in
    the ``suite`` extra). Imported on use, so that loading the pytest plugin never
    needs it."""
    return importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")


def load(path: str | Path, platform: str | None = sys.platform) -> Expectations:
    """Read and validate an expectations file; raises :class:`ExpectationsError`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ExpectationsError(
            f"cannot read expectations file {str(path)!r}: {exc.strerror}"
        ) from None
    except UnicodeDecodeError as exc:
        raise ExpectationsError(
            f"expectations file {str(path)!r} is not UTF-8 (byte {exc.start})"
        ) from None
    return parse(text, str(path), platform)


def from_report(
    report: Mapping[str, Any], keep: Expectations = NO_EXPECTATIONS
) -> list[Expectation]:
    """Entries for every clause a JSON report found failing, unsupported or crashing:
    the way to adopt the suite on day one. Reasons (and platforms) of ``keep``'s
    entries with the same status are carried over; new entries say what was observed,
    for a person to turn into a reason."""
    entries = []
    for clause in report["clauses"]:
        actual = clause["actual"]
        if actual not in EXPECTABLE:
            continue
        old = keep.entries.get(clause["id"])
        if old is not None and old.status == actual:
            entries.append(old)
            continue
        message = " ".join((clause["message"] or actual).split())
        entries.append(Expectation(clause["id"], actual, f"observed: {message}"))
    return entries


def render(entries: Iterable[Expectation], header: str = "") -> str:
    """Write entries back as a TOML file (used to generate an adapter's file from a run).
    Every string goes through :func:`~mmapspec.safe_text.for_toml` and the header's
    lines through :func:`~mmapspec.safe_text.visible`, so what a report held always
    reads back."""
    from mmapspec import safe_text

    lines = [f"# {line}".rstrip() for line in safe_text.visible(header, lines=True).splitlines()]
    for e in sorted(entries, key=lambda e: e.clause):
        lines += ["", f"[clause.{_quote(e.clause)}]", f"status = {_quote(e.status)}"]
        lines.append(f"reason = {_quote(e.reason)}")
        if e.platforms:
            lines.append("platforms = [" + ", ".join(_quote(p) for p in e.platforms) + "]")
    return "\n".join(lines).lstrip("\n") + "\n"


def _quote(s: str) -> str:
    """A TOML basic string every TOML reader reads back."""
    from mmapspec import safe_text

    return safe_text.for_toml(s)
