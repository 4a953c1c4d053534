"""The runs of the built-in adapters are listed once (``adapters/builtin_runs.py``):
nox's sessions read that list, and ``tox.ini``'s copy, which cannot import it, says
the same."""

from __future__ import annotations

import configparser
import importlib.util
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from mmapspec.adapters.builtin_runs import BUILTIN_RUNS, ON_THE_REPORT_PAGE

ROOT = Path(__file__).resolve().parents[2]
TOX_REPORTS = (
    "--json",
    "reports/{}.json",
    "--junit",
    "reports/{}.xml",
    "--markdown",
    "reports/{}.md",
)
"""What tox adds to each run: its reports, named after the run."""


def _tox() -> configparser.ConfigParser:
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini", encoding="utf-8")
    return tox


def _tox_runs() -> dict[str, tuple[str, ...]]:
    """tox's conformance commands, one per factor, as the arguments of ``mmapspec run``."""
    section = _tox()[f"testenv:conformance-{{{','.join(BUILTIN_RUNS)}}}"]
    runs = {}
    for line in section["commands"].strip().splitlines():
        factor, command = line.split(":", 1)
        words = shlex.split(command)
        assert words[:2] == ["mmapspec", "run"] and words[-1] == "{posargs}", line
        reports = tuple(w.format(factor.strip()) for w in TOX_REPORTS)
        assert tuple(words[-1 - len(reports) : -1]) == reports, line
        runs[factor.strip()] = tuple(words[2 : -1 - len(reports)])
    return runs


def test_tox_runs_the_same_adapters_with_the_same_arguments() -> None:
    assert _tox_runs() == BUILTIN_RUNS


def test_tox_lists_each_run_as_an_environment() -> None:
    env_list = _tox()["tox"]["env_list"]
    assert re.search(rf"\bconformance-\{{{','.join(BUILTIN_RUNS)}\}}", env_list), env_list


def _noxfile() -> Any:
    pytest.importorskip("nox", reason="reads noxfile.py, which imports nox")
    spec = importlib.util.spec_from_file_location("noxfile_under_test", ROOT / "noxfile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_nox_reads_the_list() -> None:
    noxfile = _noxfile()
    assert noxfile.ADAPTERS == BUILTIN_RUNS
    assert tuple(noxfile.SITE) == ON_THE_REPORT_PAGE


def test_every_run_names_a_built_in_adapter() -> None:
    """Each run selects the reference, CPython's mmap, or the reference over the pipe:
    built-in names only, so the list means the same wherever mmapspec is installed."""
    for name, args in BUILTIN_RUNS.items():
        if args[0] == "--adapter":
            assert args[1] in ("reference", "stdlib"), name
        else:
            assert args[0] == "--pipe-cmd" and "mmapspec.adapters.harness" in args[1], name
    assert set(ON_THE_REPORT_PAGE) <= set(BUILTIN_RUNS)
