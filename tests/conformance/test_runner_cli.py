"""The ``mmapspec`` command line: its subcommands, what it refuses before a run (exit 2
with one line), and what a report records about the run."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from mmapspec.results import model

from .minirun import (
    DEVIANT,
    MINI,
    MINI_PYTEST,
    one_error_line,
    run,
)


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
        (["expectations", "notareport.json"], "'notareport.json' is not an mmapspec report"),
        (["expectations", "notjson.txt"], "'notjson.txt' is not JSON"),
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


def test_pipe_cmd_is_sugar_for_the_pipe_adapter() -> None:
    from mmapspec.commands.cli import parser
    from mmapspec.commands.run import pytest_args

    args = pytest_args(parser().parse_args(["run", "--pipe-cmd", "luajit harness.lua"]))
    assert args[args.index("--mmap-adapter") + 1] == "pipe"
    assert args[args.index("--adapter-option") + 1] == "pipe_cmd=luajit harness.lua"
    assert args[args.index("-n") + 1] == "2"  # parallel by default


def test_subcommands_are_wired() -> None:
    from mmapspec.commands.cli import parser

    actions = [a for a in parser()._actions if a.dest == "command"]
    assert set(actions[0].choices) >= {"run", "expectations", "bench"}  # type: ignore[arg-type]


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


def test_reports_record_what_ran(tmp_path: Path) -> None:
    from importlib.metadata import version

    out = tmp_path / "report.json"
    args = ["--adapter", DEVIANT, "-n", "0", "--clause", "runner.pass", "--json", str(out)]
    args += ["--hypothesis-profile", "thorough", *MINI_PYTEST, "--hypothesis-seed", "1234"]
    proc = run("run", *MINI, *args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, model.schema())
    run_info = doc["run"]
    assert run_info["mmapspec"] == version("mmapspec")
    assert run_info["spec"] == "minispec"
    assert run_info["spec_version"] == "0.0.1"  # the mini spec's __version__
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
    from mmapspec.plugin.run_info import adapter_version

    class Versionless(StdlibAdapter):
        pass

    impl = Versionless()
    impl.version = "0"  # the interface's default: says nothing
    # A module of the hypothesis distribution that has no __version__ of its own.
    import _hypothesis_pytestplugin

    assert not hasattr(_hypothesis_pytestplugin, "__version__")
    Versionless.__module__ = "_hypothesis_pytestplugin"
    assert adapter_version(impl) == version("hypothesis")
    Versionless.__module__ = "pytest"  # a package with __version__
    import pytest as pytest_module

    assert adapter_version(impl) == pytest_module.__version__
    impl.version = "2.5"  # the adapter's own word comes first
    assert adapter_version(impl) == "2.5"


def test_a_distribution_without_top_level_txt_is_found_by_its_files(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Built by hatchling, flit, poetry-core or maturin, a distribution has no
    ``top_level.txt``, all Python 3.10's ``packages_distributions()`` reads: its
    modules are read off its list of files instead."""
    from importlib import metadata

    from mmapspec.plugin import run_info

    monkeypatch.setattr(metadata, "packages_distributions", lambda: {})
    assert run_info._distributions_of("_hypothesis_pytestplugin") == ["hypothesis"]
    assert run_info._distributions_of("hypothesis") == ["hypothesis"]
    assert run_info._distributions_of("no_such_module_anywhere") == []
