"""Expectations files end to end: they turn a run green, an entry too many or too few
turns it red, ``mmapspec expectations`` writes one, and the shipped stdlib.toml is true."""

from __future__ import annotations

import json
from pathlib import Path

import tomlkit

from .minirun import (
    ALL_DEVIATIONS,
    DEVIANT,
    STDLIB_EXPECTATIONS,
    mini,
    run,
    statuses,
)


def test_expectations_make_the_run_green_and_removing_one_makes_it_red(tmp_path: Path) -> None:
    exp = tmp_path / "deviant.toml"
    exp.write_text(ALL_DEVIATIONS)
    junit, md = tmp_path / "r.xml", tmp_path / "r.md"
    proc, doc = mini(
        tmp_path,
        "--adapter",
        DEVIANT,
        "-n",
        "0",
        "--expectations",
        str(exp),
        "--junit",
        str(junit),
        "--markdown",
        str(md),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert doc["conformant"] is True
    assert statuses(doc)["runner.offset"] == ("expected-fail", "fail")
    # pytest's "N failed" line is replaced by a count that cannot contradict the verdict
    assert " failed" not in proc.stdout and "spec tests in" in proc.stdout.splitlines()[-1]
    import xml.etree.ElementTree as ET

    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0" and suite.get("errors") == "0"
    assert md.read_text().startswith("## ✅")

    exp.write_text(ALL_DEVIATIONS.replace('[clause."runner.offset"]', '[clause."runner.pass"]'))
    proc, doc = mini(tmp_path, "--adapter", DEVIANT, "-n", "0", "--expectations", str(exp))
    assert proc.returncode == 1
    got = statuses(doc)
    assert got["runner.offset"] == ("fail", "fail")  # no longer expected
    assert got["runner.pass"] == ("unexpected-pass", "pass")  # listed, but passes
    assert "XPASS       runner.pass" in proc.stdout


def test_stale_entries_are_reported_and_fail_the_run(tmp_path: Path) -> None:
    exp = tmp_path / "stale.toml"
    exp.write_text(
        ALL_DEVIATIONS + '\n[clause."runner.renamed"]\nstatus = "fail"\nreason = "old name"\n'
    )
    proc, doc = mini(tmp_path, "--adapter", DEVIANT, "-n", "0", "--expectations", str(exp))
    assert proc.returncode == 1
    assert doc["expectations"]["stale"] == [
        {"clause": "runner.renamed", "status": "fail", "reason": "old name"}
    ]
    assert "STALE       runner.renamed" in proc.stdout


def test_stdlib_expectations_are_green_and_deleting_an_entry_turns_red(tmp_path: Path) -> None:
    """The shipped stdlib.toml on a temp copy: with it the run is green; without one
    of its entries, that clause is a deviation again. (The whole-spec run with the
    file is the nox ``conformance(adapter='stdlib')`` session.)"""
    from mmapspec.results import expectations

    entries = expectations.load(STDLIB_EXPECTATIONS).entries
    victim = next(e for e in entries.values() if e.status == "fail")
    copy = tmp_path / "stdlib.toml"
    copy.write_text(STDLIB_EXPECTATIONS.read_text())
    select = ["--clause", victim.clause, "--clause", "pagesize.*"]
    common = ["run", "--adapter", "stdlib", "-n", "0", "--expectations", str(copy), *select]
    green = run(*common, "--json", str(tmp_path / "green.json"), cwd=tmp_path)
    assert green.returncode == 0, green.stdout + green.stderr
    doc = json.loads((tmp_path / "green.json").read_text())
    assert statuses(doc)[victim.clause] == ("expected-fail", "fail")

    doc = tomlkit.parse(copy.read_text())
    del doc["clause"][victim.clause]
    copy.write_text(tomlkit.dumps(doc))
    red = run(*common, "--json", str(tmp_path / "red.json"), cwd=tmp_path)
    assert red.returncode == 1, red.stdout + red.stderr
    doc = json.loads((tmp_path / "red.json").read_text())
    assert statuses(doc)[victim.clause] == ("fail", "fail")
    assert f"FAIL        {victim.clause}" in red.stdout


def test_expectations_command_writes_a_file_that_makes_the_run_green(tmp_path: Path) -> None:
    """Adopting the suite on day one: report -> expectations file -> green run."""
    proc, _ = mini(tmp_path, "--adapter", DEVIANT, "-n", "0")
    assert proc.returncode == 1
    out = tmp_path / "adopted.toml"
    gen = run("expectations", str(tmp_path / "report.json"), "-o", str(out), cwd=tmp_path)
    assert gen.returncode == 0, gen.stderr
    assert '[clause."runner.offset"]' in out.read_text()
    proc, doc = mini(tmp_path, "--adapter", DEVIANT, "-n", "0", "--expectations", str(out))
    assert proc.returncode == 0, proc.stdout
    assert doc["conformant"] is True


def test_the_whole_stdlib_run_is_as_its_expectations_say(tmp_path: Path) -> None:
    """Every clause, CPython's mmap, the shipped stdlib.toml: green, so the file says
    the truth about every deviation (a new clause CPython fails needs its entry)."""
    out = tmp_path / "stdlib.json"
    proc = run(
        "run", "--adapter", "stdlib", "-n", "2", "--expectations", str(STDLIB_EXPECTATIONS),
        "--json", str(out), cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    doc = json.loads(out.read_text())
    assert doc["verdict"] == "as expected" and doc["safe"], doc["verdict"]
