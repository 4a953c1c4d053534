"""What a run found: the :class:`Report` that holds each clause's result (the records
of :mod:`mmapspec.results.records`), its verdict, and its JSON document
(``report.schema.json``), written by :meth:`Report.to_json` and read back by
:meth:`Report.from_json`.

:mod:`mmapspec.results.clause_results` builds a Report from test outcomes;
:mod:`mmapspec.results.report_formats` renders it for the terminal, JSON, JUnit and Markdown.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Mapping
from importlib import resources
from typing import Any

from mmapspec.results import safe_text
from mmapspec.results.expectations import Expectation
from mmapspec.results.records import (
    AdapterInfo,
    ClauseResult,
    PlatformInfo,
    RunEnvironment,
    TestRecord,
    expectation_from_json,
    expectation_json,
)
from mmapspec.results.status import (
    BLOCKED,
    DIFFERS,
    ERROR,
    HARNESS_ERROR,
    STATUSES,
    Status,
)
from mmapspec.results.status_pipeline import (
    HARNESS_FAILED,
    SUITE_ERROR,
    PartVerdict,
    Verdict,
    failing,
    part_verdict,
    run_verdict,
)

__all__ = ["HARNESS_FAILED", "SUITE_ERROR", "PartVerdict", "Report", "ReportError", "Verdict"]

FORMAT, VERSION = "mmapspec-report", 1
"""The ``format`` and ``version`` of the JSON document (the version changes only
when a report of the previous one would no longer read back)."""


@dataclasses.dataclass
class Report:
    adapter: AdapterInfo
    clauses: list[ClauseResult]
    section_sizes: Mapping[str, int]
    """The catalogue's clause count per documentation section."""
    stale: list[Expectation]
    expectations_file: str | None
    untagged: list[TestRecord]
    """Spec tests that name no clause (the spec's self-check forbids them; a failing
    one still counts as a deviation rather than vanishing)."""
    duration: float = 0.0
    strict: bool = False
    """``--strict``: a clause that differs from the suite's reading is a deviation."""
    incomplete: str | None = None
    """Why the run stopped before its end (interrupted, timed out, a harness that
    kept failing), or None when it ran to the end. Never conformant when set."""
    environment: RunEnvironment | None = None
    """What ran besides the adapter; None when the report is built by other means
    than a run (its JSON then has an empty ``run``)."""
    platform: PlatformInfo = dataclasses.field(default_factory=PlatformInfo.current)
    """The machine and Python the report was made on."""

    @property
    def counts(self) -> Counter[Status]:
        return Counter(c.status for c in self.clauses)

    @property
    def deviations(self) -> list[ClauseResult]:
        return [c for c in self.clauses if c.deviation]

    @property
    def differing(self) -> list[ClauseResult]:
        """Reading clauses the binding reads differently (deviations only if strict)."""
        return [c for c in self.clauses if c.actual == DIFFERS]

    @property
    def blocked(self) -> list[ClauseResult]:
        return [c for c in self.clauses if c.status == BLOCKED]

    def suite_errors(self, status: Status = ERROR) -> list[TestRecord]:
        """Tests with ``status`` (by default the suite's own errors), each once."""
        seen: dict[str, TestRecord] = {}
        for t in [*(t for c in self.clauses for t in c.tests), *self.untagged]:
            if t.status == status:
                seen.setdefault(t.nodeid, t)
        return list(seen.values())

    def suite_error_summary(self) -> str | None:
        """Why the suite's own errors make the run incomplete, naming the first test
        and its exception; None when there were none."""
        return self._not_judged(ERROR, SUITE_ERROR, "the suite's own code raised")

    def harness_error_summary(self) -> str | None:
        """Why the harness's failures make the run incomplete, naming the first test
        and the failure; None when there were none."""
        return self._not_judged(HARNESS_ERROR, HARNESS_FAILED, "the harness failed")

    def _not_judged(self, status: Status, prefix: str, what: str) -> str | None:
        errors = self.suite_errors(status)
        if not errors:
            return None
        first = errors[0]
        more = f" and {len(errors) - 1} more" if len(errors) > 1 else ""
        cause = (first.message or "").removeprefix(prefix)
        return f"{what} in {first.nodeid}{more}: {cause}"

    @property
    def failed_untagged(self) -> list[TestRecord]:
        return failing(self.untagged)

    def part_verdict(self, safety: bool) -> PartVerdict:
        """The verdict on the document's clauses (with stale expectations and failing
        untagged tests), or on the safety clauses
        (:func:`~mmapspec.results.status_pipeline.part_verdict`). Every verdict of a
        report, its renderings' and its exit status's, is made from these two."""
        return part_verdict(
            self.clauses,
            safety,
            stale=len(self.stale),
            failed_untagged=len(self.failed_untagged),
            expectations_file=self.expectations_file,
            incomplete=self.incomplete,
        )

    @property
    def conformant(self) -> bool:
        """The document's clauses (and readings, if strict) pass, or deviate exactly as
        the expectations file says, in a run that went to its end. Safety clauses have
        their own verdict, ``safe``."""
        return self.incomplete is None and self.part_verdict(safety=False).deviations == 0

    @property
    def safe(self) -> bool:
        """No safety clause deviates (beyond what the expectations file says)."""
        return self.part_verdict(safety=True).deviations == 0

    @property
    def ok(self) -> bool:
        """What the exit status says: conformant and safe."""
        return self.conformant and self.safe

    @property
    def verdict(self) -> Verdict:
        """Incomplete (whatever its clauses say), deviations (of the document's clauses
        or the safety clauses), as expected (every deviation listed), or conformant."""
        parts = (self.part_verdict(safety=False), self.part_verdict(safety=True))
        return run_verdict(parts, self.incomplete)

    def by_section(self) -> dict[str, list[ClauseResult]]:
        """Clauses grouped per section, sections in catalogue order."""
        groups: dict[str, list[ClauseResult]] = {s: [] for s in self.section_sizes}
        for c in self.clauses:
            groups.setdefault(c.section, []).append(c)
        return {s: cs for s, cs in groups.items() if cs}

    def to_json(self) -> dict[str, Any]:
        """The whole JSON document (``report.schema.json``), every string made safe."""
        counts = self.counts
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "adapter": self.adapter.to_json(),
            "platform": self.platform.to_json(),
            "run": self.environment.to_json() if self.environment else {},
            "duration": self.duration,
            "verdict": self.verdict.value,
            "incomplete": self.incomplete,
            "strict": self.strict,
            "conformant": self.conformant,
            "safe": self.safe,
            "summary": {
                "clauses": len(self.clauses),
                **{s.value: counts.get(s, 0) for s in STATUSES},
            },
            "sections": self._sections_json(),
            "expectations": {
                "file": self.expectations_file,
                "stale": [expectation_json(e, clause=True) for e in self.stale],
            },
            "clauses": [c.to_json() for c in self.clauses],
            "untagged": [t.to_json() for t in self.untagged],
        }
        safe: dict[str, Any] = safe_text.for_json(doc)
        return safe

    def _sections_json(self) -> list[dict[str, Any]]:
        """Every section of the catalogue, in its order (with no counts where none of
        its clauses ran), then any other section a clause names."""
        groups = self.by_section()
        return [
            {
                "section": section,
                "catalogue": self.section_sizes.get(section, 0),
                "counts": {
                    s.value: n
                    for s, n in Counter(c.status for c in groups.get(section, ())).items()
                },
            }
            for section in dict.fromkeys([*self.section_sizes, *groups])
        ]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Report:
        """The report a JSON document holds, checked against ``report.schema.json``
        (:class:`ReportError` says where it is not one); ``from_json(r.to_json()) == r``."""
        _validate(data)
        report = cls(
            adapter=AdapterInfo.from_json(data["adapter"]),
            clauses=[ClauseResult.from_json(c) for c in data["clauses"]],
            section_sizes={
                s["section"]: s["catalogue"] for s in data["sections"] if s["catalogue"]
            },
            stale=[expectation_from_json(e) for e in data["expectations"]["stale"]],
            expectations_file=data["expectations"]["file"],
            untagged=[
                TestRecord(t["nodeid"], Status(t["status"]), t["message"], t.get("duration", 0.0))
                for t in data["untagged"]
            ],
            duration=data["duration"],
            strict=data["strict"],
            incomplete=data["incomplete"],
            environment=RunEnvironment.from_json(data["run"]) if data["run"] else None,
            platform=PlatformInfo.from_json(data["platform"]),
        )
        if report.verdict.value != data["verdict"]:
            raise ReportError(
                f"its verdict {data['verdict']!r} is not what its clauses say "
                f"({report.verdict.value!r})"
            )
        return report


class ReportError(Exception):
    """A file that is not a readable mmapspec JSON report: one line."""


def schema() -> dict[str, Any]:
    """The JSON Schema of :meth:`Report.to_json`'s document."""
    text = resources.files(__package__).joinpath("report.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _validate(data: Mapping[str, Any]) -> None:
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
    from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

    error = best_match(Draft202012Validator(schema()).iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the top level"
        what = safe_text.for_terminal(error.message, 200)
        raise ReportError(f"not a report of this format at {where}: {what}")
