"""Expectation files: an adapter's known deviations, so a binding can adopt the suite
before it conforms and ratchet up (in the manner of array-api-tests' xfail files).

Format (TOML), one table per clause ID::

    # adapters/expectations/stdlib.toml
    [clause."map.tagname.shares-memory"]
    status = "unsupported"          # fail | unsupported | crash
    reason = "CPython's mmap has no named shared memory"
    platforms = ["linux", "darwin"] # optional: sys.platform prefixes it applies to

    # One entry for every clause that needs a capability the binding lacks:
    [capability."tagname"]
    status = "unsupported"          # optional; the only status a capability can have
    reason = "CPython's mmap has no named shared memory"

A clause's own entry wins over a capability's. The packaged files can be named
without a path: ``stdlib`` or ``mmapspec:stdlib.toml`` is ``adapters/expectations/stdlib.toml``
as installed.

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

from mmapspec.results import status

EXPECTABLE = tuple(s.value for s in status.EXPECTABLE)
"""The statuses an entry may name (:attr:`StatusFacts.expectable`)."""
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
    capabilities: Mapping[str, Expectation] = dataclasses.field(default_factory=dict)
    """Capability entries that apply on this platform, by capability name (each an
    Expectation whose ``clause`` is the capability's name)."""

    def covering(self, needs: Mapping[str, Iterable[str]]) -> Expectations:
        """The entries with each capability entry spelled out for every clause that
        needs that capability (``needs``: each clause ID's capabilities) and has no
        entry of its own. A capability no clause needs is a mistake in the file."""
        needed = {cap for caps in needs.values() for cap in caps}
        unknown = sorted(set(self.capabilities) - needed)
        if unknown:
            raise ExpectationsError(
                f"{self.path}: [capability] entries name no capability a clause needs: "
                f"{', '.join(unknown)} (known: {', '.join(sorted(needed))})"
            )
        entries = dict(self.entries)
        for cid, caps in needs.items():
            for cap in sorted(caps):
                exp = self.capabilities.get(cap)
                if exp is not None and cid not in entries:
                    reason = f"{exp.reason} (capability {cap})"
                    entries[cid] = Expectation(cid, exp.status, reason, exp.platforms)
        return dataclasses.replace(self, entries=entries)

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
    extra = set(data) - {"clause", "capability"}
    if extra:
        raise ExpectationsError(
            f"{path}: unknown top-level key(s) {', '.join(sorted(extra))}; "
            'entries are written [clause."<clause id>"] or [capability."<name>"]'
        )
    entries = _entries(data, "clause", path, platform)
    capabilities = _entries(data, "capability", path, platform)
    return Expectations(path, entries, capabilities)


def _entries(
    data: Mapping[str, Any], kind: str, path: str, platform: str | None
) -> dict[str, Expectation]:
    table = data.get(kind, {})
    if not isinstance(table, dict):
        raise ExpectationsError(f'{path}: "{kind}" must be a table of [{kind}."<id>"] entries')
    entries: dict[str, Expectation] = {}
    for cid, entry in table.items():
        where = f'{path}: [{kind}."{cid}"]'
        if not isinstance(entry, dict):
            raise ExpectationsError(f"{where}: must be a table with status and reason")
        unknown = set(entry) - _KEYS
        if unknown:
            raise ExpectationsError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        status = entry.get("status", "unsupported" if kind == "capability" else None)
        if kind == "capability" and status != "unsupported":
            raise ExpectationsError(f'{where}: a capability\'s status can only be "unsupported"')
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
    return entries


def _tomllib() -> ModuleType:
    """The TOML reader: the standard library's from Python 3.11, else tomli (in
    the ``suite`` extra). Imported on use, so that loading the pytest plugin never
    needs it."""
    return importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")


def load(path: str | Path, platform: str | None = sys.platform) -> Expectations:
    """Read and validate an expectations file; raises :class:`ExpectationsError`.
    A packaged file can be named ``stdlib`` or ``mmapspec:stdlib.toml``."""
    path = packaged(path)
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


PACKAGED_PREFIX = "mmapspec:"


def packaged(path: str | Path) -> str | Path:
    """The installed path of a packaged expectations file named ``NAME`` or
    ``mmapspec:NAME.toml``; any other path as it is (an existing file always wins)."""
    text = str(path)
    if Path(path).exists() or not (text.startswith(PACKAGED_PREFIX) or text.isidentifier()):
        return path
    name = text.removeprefix(PACKAGED_PREFIX)
    name = name if name.endswith(".toml") else f"{name}.toml"
    folder = Path(importlib.import_module("mmapspec.adapters").__file__ or "").parent
    candidate = folder / "expectations" / name
    if not candidate.is_file():
        known = ", ".join(sorted(p.stem for p in (folder / "expectations").glob("*.toml")))
        raise ExpectationsError(f"no packaged expectations file {text!r} (packaged: {known})")
    return candidate
