"""What a new user gets from ``pip install mmapspec``: the metadata, the licence,
the extras, and a runner that says what to install when the suite's tools are missing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import mmapspec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
SUITE = {"pytest", "hypothesis", "pytest-xdist", "jsonschema", "tomli", "tomlkit"}


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0].lower() for r in requirements}


def test_licence_is_mit_in_spdx_form() -> None:
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Copyright (c) 2026 the mmapspec authors" in text
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    requires = PYPROJECT["build-system"]["requires"]
    assert requires == ["setuptools>=77"]  # the first to read SPDX license + license-files
    assert not any(c.startswith("License ::") for c in PROJECT["classifiers"])


def test_installing_mmapspec_brings_no_third_party_dependency() -> None:
    assert PROJECT.get("dependencies", []) == []
    extras = PROJECT["optional-dependencies"]
    assert _names(extras["suite"]) == SUITE
    assert "mmapspec[suite]" in extras["test"]
    assert "hypothesis" not in PROJECT.get("entry-points", {})


def test_readme_commands_use_the_extras_and_ci_runs_the_every_test_one() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    main_job = "pip install -q -e '.[suite]' && .venv/bin/mmapspec run --adapter reference"
    every_test = (
        "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && "
        ".venv/bin/python -m pytest -n 2"
    )
    assert main_job in readme and every_test in readme
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == every_test


def _bare_venv_with_mmapspec(where: Path) -> Path:
    """A virtualenv holding mmapspec as installed here, and nothing else."""
    venv.EnvBuilder(with_pip=False).create(where)
    bindir = where / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    editable = sorted(Path(sysconfig.get_paths()["purelib"]).glob("__editable__*mmapspec*"))
    if editable:  # pip install -e: a .pth and the finder it names
        for f in editable:
            Path(site, f.name).write_bytes(f.read_bytes())
    else:  # a regular install: the package folder itself
        package = Path(mmapspec.__file__).parent
        (Path(site) / "mmapspec").symlink_to(package, target_is_directory=True)
    return python


def test_without_the_suite_the_api_works_and_run_says_what_to_install(tmp_path: Path) -> None:
    python = _bare_venv_with_mmapspec(tmp_path / "venv")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    api = subprocess.run(
        [
            python,
            "-c",
            "import mmapspec.reference as mm, mmapspec.adapters.interface\n"
            "import importlib.util as u\n"
            "assert u.find_spec('pytest') is None and u.find_spec('hypothesis') is None\n"
            "m = mm.map(size=mm.pagesize(), access='w'); m[0:2] = b'ok'; m.free()",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert api.returncode == 0, api.stderr
    proc = subprocess.run(
        [python, "-m", "mmapspec.commands.cli", "run", "--adapter", "reference"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "mmapspec: error: the suite's tools are not installed (no module named 'pytest'): "
        "pip install 'mmapspec[suite]'"
    ]
