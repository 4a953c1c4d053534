"""A report reads back: every JSON report this version writes is read by
:meth:`Report.from_json` into an equal object (``minirun.mini`` checks it of every
mini run as well), and a report of the previous version still renders."""

from __future__ import annotations

import copy
import importlib.util
import json
import shlex
from pathlib import Path

import pytest
from mmapspec.results import expectations, report_formats
from mmapspec.results.model import Report, ReportError
from mmapspec.results.report_input import read_report
from mmapspec.viewer.site_model import rerun_command

from tests.conformance.minirun import DEVIANT, mini, run
from tests.conformance.test_runner_units import sample_report

PREVIOUS = Path(__file__).resolve().parent / "reports" / "previous-version-stdlib.json"
"""A whole run of the stdlib adapter, as the version before the report model read
back wrote it (its adapter's selection is a command-line string only)."""


def _round_trip(report: Report) -> None:
    doc = json.loads(report_formats.to_json(report))
    again = Report.from_json(doc)
    assert again == report
    assert again.to_json() == doc


def test_a_built_report_reads_back_equal() -> None:
    _round_trip(sample_report())
    exp = expectations.parse(
        '[clause."c.b"]\nstatus="fail"\nreason="r"\nplatforms=["linux", "darwin"]\n'
        '[clause."zz"]\nstatus="crash"\nreason="gone"\n'
    )
    _round_trip(sample_report(exp))


def test_a_real_run_reads_back_equal(tmp_path: Path) -> None:
    _, doc = mini(tmp_path, "--adapter", DEVIANT, "--adapter-option", "module=mmap")
    report = Report.from_json(doc)
    assert report.adapter.selected == DEVIANT
    assert report.adapter.options == (("module", "mmap"),)
    assert report.to_json() == doc
    assert Report.from_json(report.to_json()) == report
    assert [t.notes for c in report.clauses for t in c.tests if t.notes]


def test_the_selection_is_data_and_the_rerun_command_is_built_from_it() -> None:
    adapter = {
        "spec": "ignored",
        "selection": {"name": "pipe", "options": {"pipe_cmd": "luajit 'h x.lua'"}},
    }
    argv = ["mmapspec", "run", "--pipe-cmd", "luajit 'h x.lua'", "--clause", "c.a"]
    assert shlex.split(rerun_command(adapter, "c.a")) == argv
    adapter["selection"] = {"name": "stdlib", "options": {"module": "mmap"}}
    argv = ["mmapspec", "run", "--adapter", "stdlib", "--adapter-option", "module=mmap"]
    assert shlex.split(rerun_command(adapter, "c.a")) == [*argv, "--clause", "c.a"]


def test_a_report_that_is_not_one_is_refused_in_one_line() -> None:
    doc = json.loads(report_formats.to_json(sample_report()))
    bad = copy.deepcopy(doc)
    bad["clauses"][0]["status"] = "fine"
    with pytest.raises(ReportError, match=r"clauses/0/status"):
        Report.from_json(bad)
    lying = copy.deepcopy(doc)
    lying["verdict"] = "conformant"
    with pytest.raises(ReportError, match="verdict 'conformant' is not what its clauses say"):
        Report.from_json(lying)


def test_a_report_of_the_previous_version_reads_back() -> None:
    doc = json.loads(PREVIOUS.read_text(encoding="utf-8"))
    report = Report.from_json(doc)
    assert report.adapter.selected is None and report.adapter.spec == "stdlib"
    assert report.verdict.value == doc["verdict"] == "deviations"
    assert Report.from_json(report.to_json()) == report


def test_a_report_of_the_previous_version_still_renders(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    shown = run("html", str(PREVIOUS), "-o", str(page))
    assert shown.returncode == 0, shown.stderr
    text = page.read_text(encoding="utf-8")
    assert "mmapspec run --adapter stdlib --clause" in text
    compared = run("compare", str(PREVIOUS), str(PREVIOUS))
    assert compared.returncode == 0, compared.stderr
    assert "0 worse" in compared.stdout
    listed = run("expectations", str(PREVIOUS))
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("[clause.") == 11  # as the previous version wrote it


def test_a_plain_install_reads_reports_by_the_checks_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without jsonschema (not in a plain install) html and compare still read a
    report, by the checks alone; with it, a complete report goes through the model."""
    doc = json.loads(report_formats.to_json(sample_report()))
    doc["verdict"] = "conformant"  # what its clauses do not say
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ReportError, match="is not what its clauses say"):
        read_report(str(path))
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "jsonschema" else real(name, *a),
    )
    assert read_report(str(path))["verdict"] == "conformant"
