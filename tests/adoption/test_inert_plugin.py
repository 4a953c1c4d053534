"""Installed, the suite changes nothing in an unrelated pytest run.

A binding's own test suite runs in an environment where ``mmapspec[suite]`` is
installed, so pytest loads the ``pytest11`` entry point into every run. This
project has its own ``adapter`` fixture, a ``conftest.py`` and a SIGTERM handler; it
must pass exactly as it does with the plugin disabled (``-p no:mmapspec``): no
fixture name taken, no signal handler, no environment variable, no module of the
suite imported beyond the entry point, which costs under 10 ms to import.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

CONFTEST = '''
import signal

import pytest

MARK = []


def _on_term(signum, frame):
    MARK.append(signum)


signal.signal(signal.SIGTERM, _on_term)


class HTTPAdapter:
    """Not an mmap adapter: it has no capabilities."""

    name = "http"


@pytest.fixture
def adapter():
    return HTTPAdapter()
'''

TESTS = """
import json
import os
import signal
import sys

import conftest


def test_own_adapter_fixture(adapter):
    assert type(adapter).__name__ == "HTTPAdapter"


def test_nothing_of_the_suite_around():
    assert signal.getsignal(signal.SIGTERM) is conftest._on_term
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert not [k for k in os.environ if k.startswith("MMAPSPEC")]
    loaded = sorted(m for m in sys.modules if m.startswith("mmapspec"))
    inert = {"mmapspec", "mmapspec.plugin"}
    inert |= {"mmapspec.plugin.pytest_entry", "mmapspec.plugin.defaults"}
    assert set(loaded) <= inert, loaded
"""


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "binding"
    project.mkdir()
    (project / "conftest.py").write_text(CONFTEST)
    (project / "test_binding.py").write_text(TESTS)
    return project


def _pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MMAPSPEC", "PYTEST_"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        # A test run started in the background (nohup, cmd &) passes SIGINT on as
        # ignored; pytest's child gets Python's own handler, as from a terminal.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _summary(result: subprocess.CompletedProcess[str]) -> tuple[int, str]:
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return result.returncode, re.sub(r" in [\d.]+s", "", lines[-1].strip("= "))


def test_plugin_installed() -> None:
    """The premise: pytest loads the entry point in this environment."""
    from importlib.metadata import entry_points

    names = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert names.get("mmapspec") == "mmapspec.plugin.pytest_entry"


def test_unrelated_project_passes_unchanged(tmp_path: Path) -> None:
    project = _project(tmp_path)
    with_plugin = _pytest(project, "-v")
    without = _pytest(project, "-v", "-p", "no:mmapspec")
    assert _summary(without) == (0, "2 passed"), without.stdout + without.stderr
    assert _summary(with_plugin) == (0, "2 passed"), with_plugin.stdout + with_plugin.stderr
    assert "conformance" not in with_plugin.stdout.lower()


def test_no_fixture_of_the_suite(tmp_path: Path) -> None:
    project = _project(tmp_path)
    listed = _pytest(project, "--fixtures")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    defined = [line for line in listed.stdout.splitlines() if " -- " in line]
    adapters = [line for line in defined if line.startswith("adapter ")]
    assert len(adapters) == 1 and " -- conftest.py:" in adapters[0], defined
    assert not [line for line in defined[1:] if "mmapspec" in line or "conformance" in line]


def test_entry_point_import_cost() -> None:
    """Importing the entry point, with pytest already loaded as it is when pytest
    loads plugins, takes under 10 ms (the median of five fresh interpreters)."""
    code = (
        "import time, pytest; t = time.perf_counter(); import mmapspec.plugin.pytest_entry; "
        "print(time.perf_counter() - t)"
    )
    times = sorted(
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(5)
    )
    assert times[2] < 0.010, times


def test_own_adapter_fixture_beside_the_spec(tmp_path: Path) -> None:
    """Run in one session with the spec, the project's own ``adapter`` (no capabilities)
    is left alone: the plugin judges the spec's adapter only."""
    project = _project(tmp_path)
    spec = "mmapspec.spec.test_pagesize"
    both = _pytest(project, "-q", "test_binding.py::test_own_adapter_fixture", "--pyargs", spec)
    assert both.returncode == 0, both.stdout[-3000:] + both.stderr[-2000:]
    assert re.search(r"\b9 passed\b", both.stdout), both.stdout[-3000:]


def test_own_failing_test_beside_the_spec_is_not_in_the_report(tmp_path: Path) -> None:
    """A project's failing test with its own ``adapter``, run in one session with the
    spec, fails in pytest's summary only: the conformance report does not count it as
    a spec test that names no clause."""
    project = _project(tmp_path)
    (project / "test_more.py").write_text("def test_fails(adapter):\n    assert adapter is None\n")
    report = tmp_path / "report.json"
    both = _pytest(
        project, "-q", "test_more.py", "--mmap-json", str(report),
        "--pyargs", "mmapspec.spec.test_pagesize",
    )  # fmt: skip
    assert both.returncode == 1, both.stdout[-3000:] + both.stderr[-2000:]
    assert re.search(r"\b1 failed, 8 passed\b", both.stdout), both.stdout[-3000:]
    assert "UNTAGGED" not in both.stdout, both.stdout[-3000:]
    doc = json.loads(report.read_text())
    assert doc["untagged"] == [], doc["untagged"]
    assert doc["verdict"] == "conformant", doc["verdict"]
