"""Every malformed input to every command: exit 2 and one line on stderr, never a
traceback. One table: each row is a command line, with the files it names made first.

The rows run in process (``cli.main``), which is what the command runs; a few run as
real processes too, to show the exit status and stderr as a shell sees them.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mmapspec.commands import cli
from mmapspec.results import report_formats

from tests.conformance.test_runner_units import sample_report

Doc = dict[str, Any]


def _good() -> Doc:
    doc: Doc = json.loads(report_formats.to_json(sample_report()))
    return doc


def _set(path: str, value: Any) -> Callable[[Doc], Doc]:
    """A report with the field at ``path`` (dots; a number indexes a list) set."""

    def make(doc: Doc) -> Doc:
        doc = copy.deepcopy(doc)
        *parents, last = path.split(".")
        target: Any = doc
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[int(last) if last.isdigit() else last] = value
        return doc

    return make


def _deep(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = [value]
    return value


# Each malformed report: raw bytes, or a change to a good report.
BAD_REPORTS: dict[str, bytes | Callable[[Doc], Doc]] = {
    "empty file": b"",
    "not JSON": b"this is not json",
    "truncated JSON": b'{"format": "mmapspec-report", "clauses": [',
    "not UTF-8": b'{"format": "mmapspec-report\xff\xfe"}',
    "nested 200000 deep": b"[" * 200_000 + b"]" * 200_000,
    "a bad escape in the adapter's selection": (
        b'{"format": "mmapspec-report", "adapter": {"spec": "a\\qb"}, "clauses": []}'
    ),
    "a list at the top": b"[]",
    "no format": _set("format", None),
    "another format": _set("format", "junit"),
    "format version 2": _set("version", 2),
    "format version as a string": _set("version", "1"),
    "clauses not a list": _set("clauses", {"a": 1}),
    "a clause not a record": _set("clauses.0", "c.a"),
    "a clause id a number": _set("clauses.0.id", 7),
    "an unknown status": _set("clauses.0.status", "great"),
    "a status a number": _set("clauses.0.status", 1),
    "a message a list": _set("clauses.0.message", ["a"]),
    "tests not a list": _set("clauses.0.tests", "t1"),
    "a test not a record": _set("clauses.0.tests", [1]),
    "an expectation a number": _set("clauses.0.expectation", 3),
    "deviation a string": _set("clauses.0.deviation", "yes"),
    "adapter a string": _set("adapter", "reference"),
    "adapter name a number": _set("adapter.name", 5),
    "capabilities a string": _set("adapter.capabilities", "name"),
    "incomplete a number": _set("incomplete", 1),
    "platform a list": _set("platform", ["linux"]),
    "nested 100 deep in a field": _set("adapter.name", _deep(100)),
}


def _write_report(path: Path, how: bytes | Callable[[Doc], Doc]) -> None:
    path.write_bytes(how if isinstance(how, bytes) else json.dumps(how(_good())).encode())


ROWS: list[tuple[str, list[str], dict[str, Any]]] = []
"""(name, argv with {tmp} for the folder, files to make: name -> bytes or a change)."""
for bad_name, how in BAD_REPORTS.items():
    files = {"bad.json": how, "good.json": b"GOOD"}
    ROWS.append((f"compare: {bad_name}", ["compare", "{tmp}/good.json", "{tmp}/bad.json"], files))
    ROWS.append((f"html: {bad_name}", ["html", "{tmp}/bad.json", "-o", "{tmp}/p.html"], files))
    ROWS.append((f"expectations: {bad_name}", ["expectations", "{tmp}/bad.json"], files))

GOOD = {"good.json": b"GOOD"}
ROWS += [
    ("compare: a missing file", ["compare", "{tmp}/good.json", "{tmp}/none.json"], GOOD),
    ("compare: a folder", ["compare", "{tmp}", "{tmp}/good.json"], GOOD),
    ("compare: one report", ["compare", "{tmp}/good.json"], GOOD),
    ("html: -o /dev/full", ["html", "{tmp}/good.json", "-o", "/dev/full"], GOOD),
    ("html: -o a folder", ["html", "{tmp}/good.json", "-o", "{tmp}"], GOOD),
    ("html: -o in no folder", ["html", "{tmp}/good.json", "-o", "{tmp}/no/p.html"], GOOD),
    ("html: -o a FIFO", ["html", "{tmp}/good.json", "-o", "{tmp}/fifo"], GOOD),
    ("html: no -o", ["html", "{tmp}/good.json"], GOOD),
    ("expectations: -o /dev/full", ["expectations", "{tmp}/good.json", "-o", "/dev/full"], GOOD),
    ("expectations: -o a FIFO", ["expectations", "{tmp}/good.json", "-o", "{tmp}/fifo"], GOOD),
    (
        "expectations: --keep not UTF-8",
        ["expectations", "{tmp}/good.json", "--keep", "{tmp}/bin.toml"],
        {**GOOD, "bin.toml": b"\xff\xfe[clause]"},
    ),
    ("run: --timeout inf", ["run", "--timeout", "inf"], {}),
    ("run: --timeout 1e300", ["run", "--timeout", "1e300"], {}),
    ("run: --timeout nan", ["run", "--timeout", "nan"], {}),
    ("run: --timeout -1", ["run", "--timeout", "-1"], {}),
    ("run: --timeout ten", ["run", "--timeout", "ten"], {}),
    ("run: -n 1000", ["run", "-n", "1000"], {}),
    ("run: -n many", ["run", "-n", "many"], {}),
    ("run: --json a FIFO", ["run", "--json", "{tmp}/fifo"], {}),
    ("run: --json /dev/full", ["run", "--json", "/dev/full"], {}),
    ("run: --json a folder", ["run", "--json", "{tmp}"], {}),
    ("run: --junit in no folder", ["run", "--junit", "{tmp}/no/r.xml"], {}),
    (
        "run: --expectations not UTF-8",
        ["run", "--expectations", "{tmp}/bin.toml"],
        {"bin.toml": b"\xff\xfe[clause]"},
    ),
    (
        "run: --expectations nested deep",
        ["run", "--expectations", "{tmp}/deep.toml"],
        {"deep.toml": b"a = " + b"[" * 100_000 + b"]" * 100_000},
    ),
    (
        "run: --expectations not TOML",
        ["run", "--expectations", "{tmp}/bad.toml"],
        {"bad.toml": b"[clause.x\nstatus ="},
    ),
    ("run: an unknown adapter", ["run", "--adapter", "no_such_adapter_here"], {}),
    ("run: a stray word", ["run", "reference"], {}),
    ("an unknown command", ["frobnicate"], {}),
]


def _make(tmp: Path, files: dict[str, Any]) -> None:
    os.mkfifo(tmp / "fifo")
    for name, how in files.items():
        if how == b"GOOD":
            (tmp / name).write_text(json.dumps(_good()))
        else:
            _write_report(tmp / name, how)


def _argv(argv: list[str], tmp: Path) -> list[str]:
    return [a.replace("{tmp}", str(tmp)) for a in argv]


def test_the_table_has_at_least_sixty_rows() -> None:
    assert len(ROWS) >= 60
    assert len({name for name, _, _ in ROWS}) == len(ROWS)


@pytest.mark.parametrize(("name", "argv", "files"), ROWS, ids=[r[0] for r in ROWS])
def test_a_malformed_input_is_one_line_and_exit_2(
    name: str, argv: list[str], files: dict[str, Any], tmp_path: Path, capfd: Any
) -> None:
    _make(tmp_path, files)
    try:
        code = cli.main(_argv(argv, tmp_path))
    except SystemExit as exc:  # argparse's way out
        code = exc.code
    out, err = capfd.readouterr()
    assert code == 2, f"{name}: exit {code}\n{out[-1000:]}{err[-2000:]}"
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mmapspec: error: "), err[-2000:]


@pytest.mark.parametrize(
    "name",
    ["html: nested 200000 deep", "compare: not UTF-8", "run: --timeout 1e300", "run: -n 1000"],
)
def test_as_a_real_process_too(name: str, tmp_path: Path) -> None:
    _, argv, files = next(r for r in ROWS if r[0] == name)
    _make(tmp_path, files)
    done = subprocess.run(
        [sys.executable, "-m", "mmapspec.commands.cli", *_argv(argv, tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
