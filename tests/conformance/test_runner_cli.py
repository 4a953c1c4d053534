"""``mmapspec run`` and the plugin end to end, in subprocesses, on the mini spec.

The mini spec (``minispec/``) drives real maps through ``deviant.DeviantAdapter``
(CPython's mmap with a wrong page size) or the plain stdlib adapter; its clauses
are in its own catalogue, ``minispec.catalogue``, which ``--spec minispec`` selects.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from mmapspec import report_formats

HERE = Path(__file__).resolve().parent
DEVIANT = "deviant:DeviantAdapter"
MINI = ["--spec", "minispec"]
MINI_PYTEST = ["--", "-o", "python_files=spec_*.py"]

EXPECTED_DEVIANT = {
    "pagesize.returns-page-size": None,  # a real clause: skipped, whatever its tests do
    "runner.pass": ("pass", "pass"),
    "runner.offset": ("fail", "fail"),
    "runner.unsupported": ("unsupported", "unsupported"),
    "runner.mixed": ("pass", "pass"),  # the test needing a mirror is skipped, not the clause
    "runner.notes": ("pass", "pass"),
    "runner.skipped": ("skipped", "skipped"),
    "runner.crash": ("skipped", "skipped"),
    "runner.crash-reported": ("crash", "crash"),
    "runner.untested": ("skipped", "skipped"),
    "runner.blocked-at-setup": ("blocked", "blocked"),
    "runner.blocked-declared": ("blocked", "blocked"),
    "runner.reading": ("differs-from-reading", "differs-from-reading"),
}

ALL_DEVIATIONS = """
[clause."runner.offset"]
status = "fail"
reason = "the deviant adapter reports half the page size"

[clause."runner.unsupported"]
status = "unsupported"
reason = "CPython's mmap has no tagname"

[clause."runner.crash-reported"]
status = "crash"
reason = "the test raises ImplementationCrashed"
"""


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``mmapspec`` in a fresh interpreter, with the mini spec importable."""
    full_env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    full_env.pop("PYTEST_XDIST_WORKER", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "mmapspec.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
    )


def mini(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], dict]:
    out = tmp_path / "report.json"
    proc = run("run", *MINI, "--json", str(out), *args, *MINI_PYTEST, env=env, cwd=tmp_path)
    assert out.exists(), proc.stdout + proc.stderr
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, report_formats.schema())
    return proc, doc


def statuses(doc: dict) -> dict[str, tuple[str, str]]:
    return {c["id"]: (c["status"], c["actual"]) for c in doc["clauses"]}


def check_deviant(doc: dict, but: str = "") -> None:
    got = statuses(doc)
    for cid, want in EXPECTED_DEVIANT.items():
        if want is not None and cid != but:
            assert got[cid] == want, cid


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
    assert "--mmap-adapter deviant:DeviantAdapter" in offset["example"]
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
    check_deviant(doc, but="runner.crash")
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
    assert "2 xfailed" in proc.stdout  # pytest's own summary agrees
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


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--adapter", "nosuch"], "unknown adapter 'nosuch'"),
        (["--adapter", "nosuchmodule_xyz:Adapter"], "cannot import 'nosuchmodule_xyz'"),
        (
            ["--adapter", "stdlib", "--adapter-option", "module=nosuchmodule_xyz"],
            "cannot import 'nosuchmodule_xyz'",
        ),
        (
            ["--adapter", "stdlib", "--expectations", "missing.toml"],
            "cannot read expectations file",
        ),
        (["--adapter", "stdlib", "--expectations", "bad.toml"], "status must be one of"),
        (["--adapter", "stdlib", "--clause", "no.such.clause.*"], "no tests were collected"),
    ],
)
def test_a_run_that_cannot_happen_exits_2_with_one_line(
    tmp_path: Path, args: list[str], complaint: str
) -> None:
    (tmp_path / "bad.toml").write_text('[clause."runner.pass"]\nstatus = "broken"\nreason = "x"\n')
    proc = run("run", *MINI, "-n", "0", *args, *MINI_PYTEST, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("mmapspec: error:")]
    assert len(errors) == 1 and complaint in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_plain_pytest_with_the_plugin_options(tmp_path: Path) -> None:
    """The plugin without the CLI: ``pytest --pyargs ... --mmap-adapter X``."""
    env = {**os.environ, "PYTHONPATH": str(HERE)}
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


def test_pipe_cmd_is_sugar_for_the_pipe_adapter() -> None:
    from mmapspec.cli import parser
    from mmapspec.run_command import pytest_args

    args = pytest_args(parser().parse_args(["run", "--pipe-cmd", "luajit harness.lua"]))
    assert args[args.index("--mmap-adapter") + 1] == "pipe"
    assert args[args.index("--adapter-option") + 1] == "pipe_cmd=luajit harness.lua"
    assert args[args.index("-n") + 1] == "2"  # parallel by default


STDLIB_EXPECTATIONS = HERE.parents[1] / "adapters" / "expectations" / "stdlib.toml"


def test_stdlib_expectations_are_green_and_deleting_an_entry_turns_red(tmp_path: Path) -> None:
    """The shipped stdlib.toml on a temp copy: with it the run is green; without one
    of its entries, that clause is a deviation again. (The whole-spec run with the
    file is the nox ``conformance(adapter='stdlib')`` session.)"""
    from mmapspec import expectations

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

    kept = [e for e in expectations.load(copy, platform=None).entries.values() if e != victim]
    copy.write_text(expectations.render(kept))
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


def test_subcommands_are_wired() -> None:
    from mmapspec.cli import parser

    actions = [a for a in parser()._actions if a.dest == "command"]
    assert set(actions[0].choices) >= {"run", "expectations", "bench"}  # type: ignore[arg-type]


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The run failed with exit 2 and said why in exactly one line, without a traceback."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("mmapspec: error:")]
    assert len(errors) == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "INTERNALERROR" not in proc.stderr + proc.stdout
    return errors[0]


def test_spec_selects_the_catalogue_of_the_spec_package(tmp_path: Path) -> None:
    """--spec minispec reads minispec.catalogue: its clauses are reported per clause
    (not as untagged tests), in their own section, with that catalogue's sizes."""
    _, doc = mini(tmp_path, "--adapter", "stdlib", "-n", "0", "--clause", "runner.*")
    assert statuses(doc)["runner.pass"] == ("pass", "pass")
    assert doc["untagged"] == []
    section = next(s for s in doc["sections"] if s["section"] == "runner-minispec")
    assert section["catalogue"] == 12


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["run", "--hypothesis-profile", "bogus"], "--hypothesis-profile: no profile 'bogus'"),
        (["run", "reference"], "unexpected argument 'reference'"),
        (["run", "--spec", "no_such_spec_pkg"], "--spec: no package 'no_such_spec_pkg'"),
        (["run", "--timeout", "-3"], "--timeout"),
        (["run", "--json", "missing-dir/r.json"], "--json: cannot write"),
        (["run", "--junit", "afile/r.xml"], "--junit: cannot write"),
        (["run", "--markdown", "."], "--markdown: cannot write"),
        (["expectations", "notareport.json"], "notareport.json is not a mmapspec JSON report"),
        (["expectations", "notjson.txt"], "cannot read 'notjson.txt'"),
        (["expectations", "stopped.json"], "stopped.json is the report of an incomplete run"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], complaint: str) -> None:
    (tmp_path / "afile").write_text("a file, not a folder")
    (tmp_path / "notareport.json").write_text('{"clauses": [], "hello": 1}')
    (tmp_path / "notjson.txt").write_text("{")
    stopped = {"format": "mmapspec-report", "adapter": {"spec": "x"}, "clauses": []}
    stopped |= {"platform": {"system": "linux"}, "verdict": "incomplete", "incomplete": "SIGINT"}
    (tmp_path / "stopped.json").write_text(json.dumps(stopped))
    before = sorted(p.name for p in tmp_path.iterdir())
    proc = run(*args, cwd=tmp_path)
    line = one_error_line(proc)
    assert complaint in line, line
    assert "mmapspec conformance" not in proc.stdout  # refused before any test ran
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_verbose_lists_every_clause(tmp_path: Path) -> None:
    proc, _ = mini(tmp_path, "--adapter", "stdlib", "-n", "0", "--clause", "runner.pass", "-v")
    assert "PASS        runner.pass" in proc.stdout, proc.stdout
    quiet, _ = mini(tmp_path, "--adapter", "stdlib", "-n", "0", "--clause", "runner.pass")
    assert "runner.pass" not in quiet.stdout


def test_xdist_says_bringing_up_nodes_at_most_once(tmp_path: Path) -> None:
    proc, _ = mini(tmp_path, "--adapter", "stdlib", "-n", "2", "--clause", "runner.pass")
    assert proc.stdout.count("bringing up nodes") <= 1, proc.stdout
    assert "2 workers" in proc.stdout


def test_version() -> None:
    from importlib.metadata import version

    proc = run("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"mmapspec {version('mmapspec')}"


def test_list_prints_the_clauses_without_running_anything(tmp_path: Path) -> None:
    from mmapspec.spec.catalogue import BY_ID

    proc = run("list", "--clause", "pagesize.*", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    ids = [line.split()[0] for line in proc.stdout.splitlines() if line.startswith("pagesize.")]
    assert ids == [c for c in BY_ID if c.startswith("pagesize.")] and ids
    assert BY_ID[ids[0]].quote.split()[0] in proc.stdout
    assert "mmap.pagesize" in proc.stdout and "document" in proc.stdout
    as_json = run("list", "--json", cwd=tmp_path)
    assert as_json.returncode == 0, as_json.stderr
    listed = json.loads(as_json.stdout)
    assert [c["id"] for c in listed] == list(BY_ID)
    first = BY_ID[listed[0]["id"]]
    assert listed[0] == {
        "id": first.id,
        "section": first.section,
        "basis": first.basis,
        "quote": first.quote,
    }
    assert list(tmp_path.iterdir()) == []
    nothing = run("list", "--clause", "no.such.*", cwd=tmp_path)
    assert "no clause matches" in one_error_line(nothing)


def test_results_table_is_coloured_by_pytest_terminal_writer(tmp_path: Path) -> None:
    args = ("--adapter", DEVIANT, "-n", "0", "--clause", "runner.offset")
    coloured, _ = mini(tmp_path, *args, env={"FORCE_COLOR": "1"})
    fail = next(line for line in coloured.stdout.splitlines() if "runner.offset:" in line)
    assert "\x1b[31m" in fail, repr(fail)  # red
    no_color, _ = mini(tmp_path, *args, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[" not in no_color.stdout, no_color.stdout
    flag, _ = mini(tmp_path, *args, "--color", "no", env={"FORCE_COLOR": "1"})
    assert "\x1b[" not in flag.stdout


def test_reports_record_what_ran(tmp_path: Path) -> None:
    from importlib.metadata import version

    out = tmp_path / "report.json"
    args = ["--adapter", DEVIANT, "-n", "0", "--clause", "runner.pass", "--json", str(out)]
    args += ["--hypothesis-profile", "thorough", *MINI_PYTEST, "--hypothesis-seed", "1234"]
    proc = run("run", *MINI, *args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, report_formats.schema())
    run_info = doc["run"]
    assert run_info["mmapspec"] == version("mmapspec")
    assert run_info["spec"] == "minispec"
    assert run_info["hypothesis"] == {
        "version": version("hypothesis"),
        "profile": "thorough",
        "seed": "1234",
        "derandomize": False,
    }
    import platform

    assert doc["platform"]["python_implementation"] == platform.python_implementation()
    assert doc["platform"]["release"] == platform.release()
    assert doc["adapter"]["name"] == "deviant"
    assert doc["adapter"]["version"] == f"CPython {platform.python_version()}"


def test_an_adapter_without_a_version_gets_its_distributions() -> None:
    """The adapter's own version, else its package's ``__version__``, else the
    version of the distribution that installed its package."""
    from importlib.metadata import version

    from mmapspec.adapters.stdlib import StdlibAdapter
    from mmapspec.plugin import _adapter_version

    class Versionless(StdlibAdapter):
        pass

    impl = Versionless()
    impl.version = "0"  # the interface's default: says nothing
    # A module of the hypothesis distribution that has no __version__ of its own.
    import _hypothesis_pytestplugin

    assert not hasattr(_hypothesis_pytestplugin, "__version__")
    Versionless.__module__ = "_hypothesis_pytestplugin"
    assert _adapter_version(impl) == version("hypothesis")
    Versionless.__module__ = "pytest"  # a package with __version__
    import pytest as pytest_module

    assert _adapter_version(impl) == pytest_module.__version__
    impl.version = "2.5"  # the adapter's own word comes first
    assert _adapter_version(impl) == "2.5"


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
