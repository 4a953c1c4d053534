"""``mmapspec run`` and the plugin end to end on the mini spec: every status, the
verdict and exit status, with and without xdist, and through plain pytest."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from .minirun import (
    DEVIANT,
    HERE,
    ROOT,
    check_deviant,
    mini,
    statuses,
)


def test_deviant_run_reports_every_status_and_exits_1(tmp_path: Path) -> None:
    proc, doc = mini(tmp_path, "--adapter", DEVIANT, "-n", "0")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    check_deviant(doc)
    assert doc["adapter"]["name"] == "deviant" and "tagname" not in doc["adapter"]["capabilities"]
    offset = next(c for c in doc["clauses"] if c["id"] == "runner.offset")
    assert offset["message"].startswith("DocumentedFailure: 22")
    # k = 0 passes (offset 0 is aligned to any page); the first failing k is reported
    # (the ci profile, under CI, does not shrink it to 1)
    assert re.search(r"@example\(k=[123]\)", offset["example"]), offset["example"]
    assert "#   data.draw: access = ''" in offset["example"]
    assert "data=" not in offset["example"]
    assert f"--mmap-adapter {DEVIANT}" in offset["example"]
    notes = next(c for c in doc["clauses"] if c["id"] == "runner.notes")["notes"]
    assert notes == [
        {"test": notes[0]["test"], "name": "disk_full_method", "value": "RLIMIT_FSIZE"}
    ]
    # the terminal summary: a table per section and each deviation on a line
    assert "runner-minispec" in proc.stdout
    assert "FAIL        runner.offset: DocumentedFailure: 22" in proc.stdout
    assert "-> 3 deviation(s)" in proc.stdout
    # one defect, one failing clause: what relied on it is blocked, naming it
    for blocked in ("runner.blocked-at-setup", "runner.blocked-declared"):
        record = next(c for c in doc["clauses"] if c["id"] == blocked)
        assert record["blocked_by"] == "runner.offset" and not record["deviation"], record
        assert record["message"].startswith("blocked by runner.offset"), record["message"]
    # the setup's failure is evidence against the clause it relied on
    assert "seen while" in " ".join(t["message"] or "" for t in offset["tests"]) or any(
        "test_setup_relies_on_offsets" in t["nodeid"] for t in offset["tests"]
    )
    reading = next(c for c in doc["clauses"] if c["id"] == "runner.reading")
    assert reading["basis"] == "reading" and not reading["deviation"]


def test_strict_counts_a_differing_reading_as_a_deviation(tmp_path: Path) -> None:
    proc, doc = mini(tmp_path, "--adapter", "reference", "--strict", "--clause", "runner.reading")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    reading = next(c for c in doc["clauses"] if c["id"] == "runner.reading")
    assert (reading["status"], reading["deviation"], doc["strict"]) == (
        "differs-from-reading",
        True,
        True,
    )
    proc, doc = mini(tmp_path, "--adapter", "reference", "--clause", "runner.reading")
    assert proc.returncode == 0 and doc["conformant"], proc.stdout + proc.stderr


def test_same_verdicts_with_xdist_and_a_crashed_worker(tmp_path: Path) -> None:
    proc, doc = mini(tmp_path, "--adapter", DEVIANT, "-n", "2", env={"MINISPEC_CRASH": "1"})
    assert proc.returncode == 1
    got = statuses(doc)
    assert got["runner.crash"] == ("crash", "crash")
    crash = next(c for c in doc["clauses"] if c["id"] == "runner.crash")
    assert "crashed while running" in crash["message"]
    check_deviant(doc, "runner.crash")
    offset = next(c for c in doc["clauses"] if c["id"] == "runner.offset")
    # k = 0 passes (offset 0 is aligned to any page); the first failing k is reported
    # (the ci profile, under CI, does not shrink it to 1)
    assert re.search(r"@example\(k=[123]\)", offset["example"]), offset["example"]


def test_the_real_implementation_passes_what_the_deviant_fails(tmp_path: Path) -> None:
    proc, doc = mini(
        tmp_path,
        "--adapter",
        "stdlib",
        "-n",
        "0",
        "--clause",
        "runner.offset",
        "--clause",
        "runner.pass",
    )
    assert proc.returncode == 0, proc.stdout
    assert statuses(doc) == {"runner.offset": ("pass", "pass"), "runner.pass": ("pass", "pass")}


def test_spec_selects_the_catalogue_of_the_spec_package(tmp_path: Path) -> None:
    """--spec minispec reads minispec.catalogue: its clauses are reported per clause
    (not as untagged tests), in their own section, with that catalogue's sizes."""
    _, doc = mini(tmp_path, "--adapter", "stdlib", "-n", "0", "--clause", "runner.*")
    assert statuses(doc)["runner.pass"] == ("pass", "pass")
    assert doc["untagged"] == []
    section = next(s for s in doc["sections"] if s["section"] == "runner-minispec")
    assert section["catalogue"] == 15


def test_verbose_lists_every_clause(tmp_path: Path) -> None:
    proc, _ = mini(tmp_path, "--adapter", "stdlib", "-n", "0", "--clause", "runner.pass", "-v")
    assert "PASS        runner.pass" in proc.stdout, proc.stdout
    quiet, _ = mini(tmp_path, "--adapter", "stdlib", "-n", "0", "--clause", "runner.pass")
    assert "runner.pass" not in quiet.stdout


def test_xdist_says_bringing_up_nodes_at_most_once(tmp_path: Path) -> None:
    proc, _ = mini(tmp_path, "--adapter", "stdlib", "-n", "2", "--clause", "runner.pass")
    assert proc.stdout.count("bringing up nodes") <= 1, proc.stdout
    assert "2 workers" in proc.stdout


def test_results_table_is_coloured_by_pytest_terminal_writer(tmp_path: Path) -> None:
    args = ("--adapter", DEVIANT, "-n", "0", "--clause", "runner.offset")
    coloured, _ = mini(tmp_path, *args, env={"FORCE_COLOR": "1"})
    fail = next(line for line in coloured.stdout.splitlines() if "runner.offset:" in line)
    assert "\x1b[31m" in fail, repr(fail)  # red
    no_color, _ = mini(tmp_path, *args, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[" not in no_color.stdout, no_color.stdout
    flag, _ = mini(tmp_path, *args, "--color", "no", env={"FORCE_COLOR": "1"})
    assert "\x1b[" not in flag.stdout


def test_plain_pytest_with_the_plugin_options(tmp_path: Path) -> None:
    """The plugin without the CLI: ``pytest --pyargs ... --mmap-adapter X``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)])}
    args = "-p no:cacheprovider -p no:xdist -q --pyargs minispec --mmap-spec minispec"
    args += " -o python_files=spec_*.py --mmap-clause runner.offset --mmap-adapter " + DEVIANT
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *args.split()],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "mmapspec conformance" in proc.stdout
    assert "FAIL        runner.offset" in proc.stdout


def test_plain_pytest_on_the_spec_takes_its_hypothesis_profiles(tmp_path: Path) -> None:
    """The plugin registers the spec's profiles before Hypothesis reads the option."""
    out = tmp_path / "r.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "mmapspec.spec", "-p", "no:xdist"]
        + ["-p", "no:cacheprovider", "--hypothesis-profile", "ci"]
        + ["--mmap-clause", "pagesize.*", "--mmap-json", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    hypothesis = json.loads(out.read_text())["run"]["hypothesis"]
    assert (hypothesis["profile"], hypothesis["derandomize"]) == ("ci", True)


def test_a_spec_test_naming_no_clause_is_reported_untagged(tmp_path: Path) -> None:
    proc, doc = mini(tmp_path, "--adapter", "stdlib", "-n", "0", env={"MINISPEC_UNTAGGED": "1"})
    assert [t["nodeid"].rsplit("::", 1)[-1] for t in doc["untagged"]] == ["test_names_no_clause"]
    assert "UNTAGGED" in proc.stdout and proc.returncode == 1, proc.stdout[-3000:]
