"""The records a report is made of, each with its JSON form and back: the adapter
judged, the platform and the run's environment, each spec test's outcome and record,
and each clause's result. :class:`~mmapspec.results.model.Report` holds them.
"""

from __future__ import annotations

import dataclasses
import platform
import sys
from collections.abc import Mapping
from typing import Any

from mmapspec.results.expectations import Expectation
from mmapspec.results.status import NOT_YET_RUN, Status

Scalar = str | int | float | bool | None
"""A value a JSON report holds as it is (a note's value)."""


@dataclasses.dataclass(frozen=True)
class AdapterInfo:
    """The implementation judged. Only ``spec`` is certain: the rest is known when the
    adapter was loaded on the controller (always so with ``mmapspec run``)."""

    spec: str
    """How it was selected, as one line for people: a built-in name, module:attribute
    or entry point, with its ``--adapter-option`` settings."""
    name: str | None = None
    version: str | None = None
    capabilities: tuple[str, ...] = ()
    language: str | None = None
    """The language of a harness's binding, as its ``start`` says (the pipe adapter)."""
    selected: str | None = None
    """How it was selected, as data: the name given to ``--adapter`` (None in reports
    that predate it); with :attr:`options`, what a rerun command is built from."""
    options: tuple[tuple[str, str], ...] = ()
    """The ``--adapter-option`` settings, in the order given."""

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"spec": self.spec}
        if self.selected is not None:
            doc["selection"] = {"name": self.selected, "options": dict(self.options)}
        if self.name is not None:
            doc.update(name=self.name, version=self.version, capabilities=list(self.capabilities))
        if self.language is not None:
            doc["language"] = self.language
        return doc

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> AdapterInfo:
        selection = doc.get("selection")
        return cls(
            spec=doc["spec"],
            name=doc.get("name"),
            version=doc.get("version"),
            capabilities=tuple(doc.get("capabilities", ())),
            language=doc.get("language"),
            selected=selection["name"] if selection else None,
            options=tuple(selection["options"].items()) if selection else (),
        )


@dataclasses.dataclass(frozen=True)
class PlatformInfo:
    """The machine and Python the runner ran on."""

    system: str
    machine: str
    python: str
    python_implementation: str
    release: str
    description: str

    @classmethod
    def current(cls) -> PlatformInfo:
        return cls(
            system=sys.platform,
            machine=platform.machine(),
            python=platform.python_version(),
            python_implementation=platform.python_implementation(),
            release=platform.release(),
            description=platform.platform(),
        )

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> PlatformInfo:
        return cls(**{f.name: doc[f.name] for f in dataclasses.fields(cls)})


@dataclasses.dataclass(frozen=True)
class HypothesisSettings:
    """The Hypothesis the tests ran under."""

    version: str
    profile: str
    seed: str | None
    """``--hypothesis-seed``, or None when Hypothesis chose."""
    derandomize: bool


@dataclasses.dataclass(frozen=True)
class RunEnvironment:
    """What ran besides the adapter."""

    mmapspec: str
    """The version of mmapspec (the runner and the spec)."""
    date: str
    """When the run ended, ISO 8601 in UTC."""
    spec: str
    """The spec package run."""
    spec_version: str | None
    """The spec package's version (its ``__version__``; mmapspec's for its own spec),
    or None when it names none."""
    timeout: float | None
    """The bound on the whole run in seconds (``--timeout``), or None."""
    hypothesis: HypothesisSettings

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> RunEnvironment:
        return cls(
            mmapspec=doc["mmapspec"],
            date=doc["date"],
            spec=doc["spec"],
            spec_version=doc["spec_version"],
            timeout=doc["timeout"],
            hypothesis=HypothesisSettings(**doc["hypothesis"]),
        )


@dataclasses.dataclass
class TestOutcome:
    """One spec test, all its phases merged: what the plugin gathers on the controller
    and :func:`~mmapspec.results.clause_results.build_report` aggregates."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    nodeid: str
    clauses: tuple[str, ...]
    """The clause the test gives a status to (several only for the stateful model,
    whose failures name the clause of the rule that broke: ``attributed``)."""
    status: Status = NOT_YET_RUN
    """The worst of its phases (:func:`~mmapspec.results.status_pipeline.fold_phase`)."""
    message: str | None = None
    example: str | None = None
    duration: float = 0.0
    notes: list[tuple[str, Any]] = dataclasses.field(default_factory=list)
    prerequisites: tuple[str, ...] = ()
    """Clauses the test declared it relies on (``@pytest.mark.prerequisites``)."""
    attributed: str | None = None
    """The clause a failure of a multi-clause test belongs to (a ``Violation``)."""
    broken_prerequisite: str | None = None
    """The clause whose promise a setup or observing call broke (``PrerequisiteFailed``):
    the failure is evidence against that clause and blocks the test's own."""
    harness_failure: bool = False
    """The failure was the runner-to-binding machinery's, not the binding's."""
    missing: tuple[str, ...] = ()
    """For ``unsupported``: the capabilities the adapter lacks."""


@dataclasses.dataclass(frozen=True)
class TestRecord:
    """What a report keeps of one spec test: its JSON record, and what reads back."""

    __test__ = False

    nodeid: str
    status: Status
    message: str | None = None
    duration: float = 0.0
    """Seconds, to four places."""
    notes: tuple[tuple[str, Scalar], ...] = ()

    @classmethod
    def of(cls, test: TestOutcome, notes: bool = True) -> TestRecord:
        kept = tuple((str(n), _jsonable(v)) for n, v in test.notes) if notes else ()
        return cls(test.nodeid, test.status, test.message, round(test.duration, 4), kept)

    def to_json(self) -> dict[str, Any]:
        return {
            "nodeid": self.nodeid,
            "status": self.status.value,
            "message": self.message,
            "duration": self.duration,
        }


@dataclasses.dataclass
class ClauseResult:
    id: str
    section: str
    function: str
    kind: str
    quote: str
    basis: str
    reading: str | None
    actual: Status
    status: Status
    deviation: bool
    expectation: Expectation | None
    message: str | None
    example: str | None
    tests: list[TestRecord]
    blocked_by: str | None = None
    """For ``blocked``: the prerequisite clause that did not pass."""
    tested_range: str | None = None
    """What the integer range the binding declares kept out of this clause's tests
    (their note ``int_range``), or None where it kept out nothing."""
    missing: tuple[str, ...] = ()
    """For ``unsupported``: the capabilities the clause needs and the adapter lacks."""

    def to_json(self) -> dict[str, Any]:
        notes = [
            {"test": t.nodeid, "name": name, "value": value}
            for t in self.tests
            for name, value in t.notes
        ]
        doc: dict[str, Any] = {
            "id": self.id,
            "section": self.section,
            "function": self.function,
            "kind": self.kind,
            "quote": self.quote,
            "basis": self.basis,
            "reading": self.reading,
            "status": self.status.value,
            "actual": self.actual.value,
            "deviation": self.deviation,
            "blocked_by": self.blocked_by,
            "tested_range": self.tested_range,
            "expectation": None if self.expectation is None else expectation_json(self.expectation),
            "message": self.message,
            "example": self.example,
            "tests": [t.to_json() for t in self.tests],
            "notes": notes,
        }
        if self.missing:  # absent where nothing is missing, as in earlier reports
            doc["missing"] = list(self.missing)
        return doc

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> ClauseResult:
        notes: dict[str, list[tuple[str, Scalar]]] = {}
        for note in doc["notes"]:
            notes.setdefault(note["test"], []).append((note["name"], note["value"]))
        tests = [
            TestRecord(
                t["nodeid"],
                Status(t["status"]),
                t["message"],
                t["duration"],
                tuple(notes.get(t["nodeid"], ())),
            )
            for t in doc["tests"]
        ]
        exp = doc["expectation"]
        return cls(
            id=doc["id"],
            section=doc["section"],
            function=doc["function"],
            kind=doc["kind"],
            quote=doc["quote"],
            basis=doc["basis"],
            reading=doc["reading"],
            actual=Status(doc["actual"]),
            status=Status(doc["status"]),
            deviation=doc["deviation"],
            expectation=None if exp is None else expectation_from_json(exp, doc["id"]),
            message=doc["message"],
            example=doc["example"],
            tests=tests,
            blocked_by=doc["blocked_by"],
            tested_range=doc.get("tested_range"),
            missing=tuple(doc.get("missing", ())),
        )


def expectation_json(e: Expectation, clause: bool = False) -> dict[str, Any]:
    doc: dict[str, Any] = {"clause": e.clause} if clause else {}
    doc.update(status=e.status, reason=e.reason)
    if e.platforms:
        doc["platforms"] = list(e.platforms)
    return doc


def expectation_from_json(doc: Mapping[str, Any], clause: str | None = None) -> Expectation:
    return Expectation(
        clause=doc["clause"] if clause is None else clause,
        status=doc["status"],
        reason=doc["reason"],
        platforms=tuple(doc.get("platforms", ())),
    )


def _jsonable(value: Any) -> Scalar:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
