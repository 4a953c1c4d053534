"""``mypy --strict`` over the whole package: reference, adapters, spec, runner, bench;
and over the pipe, the Python harness and the spec's support (its Windows view of
processes and shared memory) as on Windows (``--platform win32``).

An editable install hides setuptools' package-dir mapping from mypy, so the test lays
the package out as it is installed (``mmapspec`` and its subpackages, each a symlink to
its folder in this repository, read from pyproject.toml) and checks that.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # the suite extra brings tomli there
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[2]


def _installed_layout(root: Path) -> Path:
    """``root/mmapspec/...`` as the wheel installs it, made of symlinks to the source:
    the top package's folder entry by entry, and each mapped subpackage in it."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    package_dir: dict[str, str] = config["tool"]["setuptools"]["package-dir"]
    top = root / "mmapspec"
    top.mkdir(parents=True)
    for entry in (REPO / package_dir["mmapspec"]).iterdir():
        (top / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    for name, folder in package_dir.items():
        if name != "mmapspec":
            (root / Path(*name.split("."))).symlink_to(REPO / folder, target_is_directory=True)
    return root


def _mypy(root: Path, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache)]
        + ["--config-file", str(REPO / "pyproject.toml"), *args],
        cwd=root,
        env={**os.environ, "MYPYPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_the_whole_package_is_strictly_typed(tmp_path: Path) -> None:
    root = _installed_layout(tmp_path / "site")
    done = _mypy(root, tmp_path / "cache", "-p", "mmapspec")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


@pytest.mark.slow
def test_the_pipe_and_the_python_harness_are_typed_for_windows(tmp_path: Path) -> None:
    """The pipe's Windows path (threads, no guard, the process tree killed) and the
    spec's Windows observers (``platform_windows``: kernel32 and ntdll through ctypes)
    run only on Windows: mypy with ``--platform win32`` is what checks them here."""
    root = _installed_layout(tmp_path / "site")
    args = ["--platform", "win32", "-p", "mmapspec.adapters.pipe"]
    args += ["-m", "mmapspec.adapters.harness", "-p", "mmapspec.spec.support"]
    done = _mypy(root, tmp_path / "cache", *args)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


@pytest.mark.slow
def test_the_macos_paths_are_typed_for_macos(tmp_path: Path) -> None:
    """macOS cannot run here: its backend (``_darwin.py`` over ``_posix.py``), the spec's
    view of it (``platform_posix``) and the pipe's POSIX path are checked as on macOS
    (``--platform darwin``), where the branches for Linux are the unreachable ones."""
    root = _installed_layout(tmp_path / "site")
    args = ["--platform", "darwin", "-p", "mmapspec.reference", "-p", "mmapspec.adapters"]
    args += ["-p", "mmapspec.spec.support"]
    done = _mypy(root, tmp_path / "cache", *args)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
