"""The runner's logic on its own: aggregation, expectations, report formats."""

from __future__ import annotations

import dataclasses
import json
import os
import xml.etree.ElementTree as ET
from typing import Any

import jsonschema
import pytest
from mmapspec.results import expectations, model, report_formats, report_markdown
from mmapspec.results.clause_results import build_report
from mmapspec.results.model import Report
from mmapspec.results.records import AdapterInfo, TestOutcome
from mmapspec.results.status import (
    BLOCKED,
    CRASH,
    DIFFERS,
    EXPECTED_FAIL,
    FAIL,
    PASS,
    SKIPPED,
    UNEXPECTED_PASS,
    UNSUPPORTED,
    worst,
)
from mmapspec.results.status_pipeline import fold, judge


@dataclasses.dataclass(frozen=True)
class FakeClause:
    """Shaped like ``spec.catalogue.Clause``; the runner reads only these fields."""

    id: str
    section: str = "mmap.map"
    function: str = "mmap.map"
    kind: str = "returns"
    quote: str = "Create a memory map object."
    reading: str | None = None
    basis: str = "document"


CATALOGUE = [FakeClause(f"c.{n}") for n in ("a", "b", "c", "d", "e")] + [
    FakeClause("h.x", section="mmap.pagesize", function="mmap.pagesize")
]


def result(nodeid: str, clause: str, status: str, message: str | None = None) -> TestOutcome:
    return TestOutcome(nodeid, (clause,), status, message)


def test_worst_orders_crash_fail_unsupported_pass_skipped() -> None:
    assert worst([PASS, SKIPPED]) == PASS
    assert worst([PASS, UNSUPPORTED]) == UNSUPPORTED
    assert worst([UNSUPPORTED, FAIL, PASS]) == FAIL
    assert worst([FAIL, CRASH]) == CRASH
    assert worst([]) == SKIPPED


def test_phases_merge_to_the_worst() -> None:
    t = TestOutcome("t", ("c.a",))
    fold(t, PASS, None, None)
    fold(t, FAIL, "error in teardown: leaked fd", None)
    fold(t, PASS, None, None)
    assert (t.status, t.message) == (FAIL, "error in teardown: leaked fd")


@pytest.mark.parametrize(
    ("actual", "expected", "status", "deviation"),
    [
        (PASS, None, PASS, False),
        (FAIL, None, FAIL, True),
        (UNSUPPORTED, None, UNSUPPORTED, True),
        (CRASH, None, CRASH, True),
        (SKIPPED, None, SKIPPED, False),
        (FAIL, "fail", EXPECTED_FAIL, False),
        (UNSUPPORTED, "unsupported", EXPECTED_FAIL, False),
        (CRASH, "crash", EXPECTED_FAIL, False),
        (PASS, "fail", UNEXPECTED_PASS, True),
        (CRASH, "fail", CRASH, True),
        (FAIL, "unsupported", FAIL, True),
        (SKIPPED, "fail", SKIPPED, False),
    ],
)
def test_judge(actual: str, expected: str | None, status: str, deviation: bool) -> None:
    exp = expectations.Expectation("c.a", expected, "why") if expected else None
    got_status, got_deviation, _ = judge(actual, exp)
    assert (got_status, got_deviation) == (status, deviation)


def sample_report(exp: expectations.Expectations = expectations.NO_EXPECTATIONS) -> Report:
    tests = [
        result("t1", "c.a", PASS),
        result("t2", "c.b", PASS),
        result("t3", "c.b", FAIL, "AssertionError: size 4096 != 4097"),
        result("t4", "c.c", UNSUPPORTED, "unsupported: tagname"),
        result("t5", "c.d", CRASH, "worker 'gw0' crashed"),
        result("t6", "c.e", SKIPPED, "no tmpfs"),
        TestOutcome("t7", (), FAIL, "untagged failure"),
    ]
    tests[2].example = "@example(size=4097)"
    tests[0].notes = [("disk_full_method", "tmpfs")]
    return build_report(CATALOGUE, tests, exp, adapter=AdapterInfo("fake"))


def test_build_report_aggregates_per_clause() -> None:
    rep = sample_report()
    status = {c.id: c.status for c in rep.clauses}
    assert status == {
        "c.a": PASS,
        "c.b": FAIL,
        "c.c": UNSUPPORTED,
        "c.d": CRASH,
        "c.e": SKIPPED,
        "h.x": SKIPPED,
    }
    b = next(c for c in rep.clauses if c.id == "c.b")
    assert b.message == "AssertionError: size 4096 != 4097"
    assert b.example == "@example(size=4097)"
    assert [t.nodeid for t in b.tests] == ["t2", "t3"]
    assert [t.nodeid for t in rep.failed_untagged] == ["t7"]
    assert not rep.conformant
    assert rep.section_sizes == {"mmap.map": 5, "mmap.pagesize": 1}


def test_expectations_turn_deviations_into_expected_ones() -> None:
    text = """
[clause."c.b"]
status = "fail"
reason = "off by one"
[clause."c.c"]
status = "unsupported"
reason = "no tagname"
[clause."c.d"]
status = "crash"
reason = "segfaults"
"""
    rep = sample_report(expectations.parse(text))
    status = {c.id: c.status for c in rep.clauses}
    assert status["c.b"] == status["c.c"] == status["c.d"] == EXPECTED_FAIL
    assert [c.id for c in rep.deviations] == []
    assert not rep.conformant  # the untagged failure still counts
    assert [c.actual for c in rep.clauses if c.id == "c.d"] == [CRASH]


def test_unexpected_pass_and_stale_entries_are_deviations() -> None:
    text = """
[clause."c.a"]
status = "fail"
reason = "was broken"
[clause."no.such.clause"]
status = "fail"
reason = "renamed long ago"
"""
    rep = sample_report(expectations.parse(text))
    a = next(c for c in rep.clauses if c.id == "c.a")
    assert (a.status, a.deviation) == (UNEXPECTED_PASS, True)
    assert "remove the entry" in (a.message or "")
    assert [e.clause for e in rep.stale] == ["no.such.clause"]


def test_selected_clauses_limit_the_records() -> None:
    rep = build_report(CATALOGUE, [result("t1", "c.a", PASS)], selected=["c.a", "c.b"])
    assert {c.id: c.status for c in rep.clauses} == {"c.a": PASS, "c.b": SKIPPED}
    assert rep.conformant


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("[clause", "not valid TOML"),
        ('[clause."a"]\nstatus = "pass"\nreason = "x"', "status must be one of"),
        ('[clause."a"]\nstatus = "fail"\nreason = " "', "reason must be a non-empty"),
        ('[clause."a"]\nstatus = "fail"\nreason = "x"\nwhy = 1', "unknown key(s) why"),
        ('[clauses."a"]\nstatus = "fail"', "unknown top-level key"),
        ('[clause."a"]\nstatus = "fail"\nreason = "x"\nplatforms = "linux"', "platforms must be"),
    ],
)
def test_bad_expectation_files_are_refused_with_one_line(text: str, complaint: str) -> None:
    with pytest.raises(expectations.ExpectationsError) as err:
        expectations.parse(text, "x.toml")
    assert complaint in str(err.value)
    assert str(err.value).startswith("x.toml")


def test_platforms_limit_an_entry() -> None:
    text = '[clause."a"]\nstatus = "fail"\nreason = "macOS only"\nplatforms = ["darwin"]'
    assert expectations.parse(text, platform="linux").entries == {}
    assert list(expectations.parse(text, platform="darwin").entries) == ["a"]


def test_json_report_matches_its_schema() -> None:
    for rep in (
        sample_report(),
        sample_report(expectations.parse('[clause."zz"]\nstatus="fail"\nreason="r"')),
    ):
        doc = json.loads(report_formats.to_json(rep))
        jsonschema.validate(doc, model.schema())
        assert doc["summary"]["clauses"] == len(CATALOGUE)
    jsonschema.Draft202012Validator.check_schema(model.schema())


def test_schema_rejects_a_wrong_status() -> None:
    doc = json.loads(report_formats.to_json(sample_report()))
    doc["clauses"][0]["status"] = "passed"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, model.schema())


def test_junit_has_one_testcase_per_clause() -> None:
    rep = sample_report(expectations.parse('[clause."c.b"]\nstatus="fail"\nreason="off by one"'))
    root = ET.fromstring(report_formats.to_junit(rep))
    suite = root.find("testsuite")
    assert suite is not None
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {c.id for c in CATALOGUE}
    assert cases["c.a"].find("*") is not None  # the note, as a property
    assert cases["c.a"].find("failure") is None
    assert cases["c.c"].find("failure") is not None  # unsupported, not expected
    assert cases["c.d"].find("error") is not None  # crash
    skipped = cases["c.b"].find("skipped")
    assert skipped is not None and "off by one" in (skipped.get("message") or "")
    assert suite.get("errors") == "1" and suite.get("failures") == "1"


def test_markdown_summary_lists_deviations() -> None:
    md = report_markdown.to_markdown(sample_report())
    lines = md.splitlines()
    assert lines[0].startswith("## ❌ mmapspec conformance: `fake`")
    header = next(i for i, line in enumerate(lines) if line.startswith("| section |"))
    width = lines[header].count("|")
    assert lines[header + 1].count("|") == width
    assert all(line.count("|") == width for line in lines[header + 2 : header + 4])
    assert "| `c.b` | fail | `AssertionError: size 4096 != 4097` |" in lines
    assert "@example(size=4097)" in md
    assert md.count("<details>") == md.count("</details>")


# ------------------------------------------------------------------ blame: one defect, one clause


def by_id(report: Any) -> dict[str, Any]:
    return {c.id: c for c in report.clauses}


def test_a_broken_setup_call_blocks_the_test_and_counts_against_its_clause() -> None:
    t = TestOutcome("t_b", ("c.b",), FAIL, "map(fd) refused", broken_prerequisite="c.a")
    got = by_id(build_report(CATALOGUE, [result("t_a", "c.a", PASS), t]))
    assert (got["c.b"].status, got["c.b"].blocked_by) == (BLOCKED, "c.a")
    assert not got["c.b"].deviation
    assert got["c.a"].status == FAIL and "seen while t_b" in (got["c.a"].message or "")


def test_a_declared_prerequisite_blocks_failures_down_the_chain() -> None:
    tests = [
        result("t_a", "c.a", FAIL, "offset ignored"),
        TestOutcome("t_b", ("c.b",), FAIL, "wrong bytes", prerequisites=("c.a",)),
        TestOutcome("t_c", ("c.c",), FAIL, "wrong bytes too", prerequisites=("c.b",)),
        TestOutcome("t_d", ("c.d",), PASS, prerequisites=("c.a",)),
    ]
    got = by_id(build_report(CATALOGUE, tests))
    assert [got[c].status for c in ("c.a", "c.b", "c.c", "c.d")] == [FAIL, BLOCKED, BLOCKED, PASS]
    assert (got["c.b"].blocked_by, got["c.c"].blocked_by) == ("c.a", "c.b")
    # a clause with a failure of its own fails, whatever else was blocked
    own = result("t_b2", "c.b", FAIL, "its own defect")
    assert by_id(build_report(CATALOGUE, [*tests, own]))["c.b"].status == FAIL


def test_a_test_relying_on_a_broken_declared_prerequisite_is_no_witness() -> None:
    """Its setup call's failure may be that prerequisite's doing: no evidence against
    the clause it called, and its own clause is blocked by the declared one."""
    tests = [
        result("t_a", "c.a", FAIL, "offset ignored"),
        result("t_x", "c.e", PASS),
        TestOutcome(
            "t_m", ("c.b",), FAIL, "bytes differ", prerequisites=("c.a",), broken_prerequisite="c.e"
        ),
    ]
    got = by_id(build_report(CATALOGUE, tests))
    assert got["c.e"].status == PASS
    assert (got["c.b"].status, got["c.b"].blocked_by) == (BLOCKED, "c.a")


def test_the_model_speaks_only_for_the_clause_whose_rule_broke() -> None:
    model = TestOutcome("model", ("c.a", "c.b", "c.c"), FAIL, "a lost write", attributed="c.b")
    got = by_id(build_report(CATALOGUE, [model]))
    assert [got[c].status for c in ("c.a", "c.b", "c.c")] == [SKIPPED, FAIL, SKIPPED]
    passing = TestOutcome("model", ("c.a", "c.b"), PASS)
    assert by_id(build_report(CATALOGUE, [passing]))["c.b"].status == PASS


def test_a_reading_that_fails_differs_and_is_a_deviation_only_if_strict() -> None:
    catalogue = [*CATALOGUE, FakeClause("r.x", basis="reading", reading="taken to mean x")]
    tests = [result("t_r", "r.x", FAIL, "reads it as y")]
    lenient = build_report(catalogue, tests)
    assert (by_id(lenient)["r.x"].status, lenient.conformant) == (DIFFERS, True)
    strict = build_report(catalogue, tests, strict=True)
    assert (by_id(strict)["r.x"].deviation, strict.conformant) == (True, False)


def test_safety_has_a_verdict_of_its_own() -> None:
    catalogue = [*CATALOGUE, FakeClause("safety.x", section="safety", basis="safety")]
    report = build_report(
        catalogue, [result("t_s", "safety.x", FAIL, "0644"), result("t", "c.a", PASS)]
    )
    assert (report.conformant, report.safe, report.ok) == (True, False, False)
    lines = report_formats.terminal_lines(report)
    assert any(line.startswith("safety: 1 clauses: 1 fail -> 1 deviation(s)") for line in lines)


def test_a_run_inside_a_run_takes_a_prefix_inside_the_outer_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its cleanup at the end must not remove what a concurrent sibling run is using,
    while the outer run's cleanup still covers whatever it leaves."""
    from mmapspec.plugin import hooks
    from mmapspec.spec.support import RUN_PREFIX_VARIABLE

    monkeypatch.setenv(RUN_PREFIX_VARIABLE, "mmapspec-outer-")
    hooks._claim_tagname_prefix(RUN_PREFIX_VARIABLE)
    first = os.environ[RUN_PREFIX_VARIABLE]
    monkeypatch.setenv(RUN_PREFIX_VARIABLE, "mmapspec-outer-")
    hooks._claim_tagname_prefix(RUN_PREFIX_VARIABLE)
    second = os.environ[RUN_PREFIX_VARIABLE]
    assert first.startswith("mmapspec-outer-") and second.startswith("mmapspec-outer-")
    assert not first.startswith(second) and not second.startswith(first)
