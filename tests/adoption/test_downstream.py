"""The README's day-one recipe, end to end, in a scratch downstream project.

A binding (``mybinding``: CPython's mmap behind the ``stdlib`` adapter, so it has
real deviations) starts with nothing but its package. Following the README alone:
its nox session (the README's own block, copied as written) runs without an
expectations file and exits 1; ``mmapspec expectations`` writes ``mmapspec.toml``
from the report; the session runs again and exits 0, with the deviations known;
and the ratchet holds (an entry removed turns the run red again).

mmapspec is installed as the README says to before publishing: from a wheel built
from this checkout, found through ``PIP_FIND_LINKS``. The set-up downloads the
suite's dependencies (and setuptools, the binding's build backend) into the same
folder with ``pip download``, from whatever index pip is configured with; from
then on every pip runs with ``PIP_NO_INDEX=1`` and no configuration file:
offline. Slow (a wheel, a virtualenv, two installs, three runs), and marked so.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")

pytestmark = pytest.mark.slow

# Quick clauses where CPython's mmap deviates (fails, differs, lacks tagnames).
CLAUSES = ["--", "--clause", "map.size.*", "--clause", "map.tagname.*", "-n", "0"]

BINDING = {
    "pyproject.toml": """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "mybinding"
version = "1.0"

[tool.setuptools]
packages = ["mybinding"]  # not reports/, which the session makes beside it
""",
    "mybinding/__init__.py": '"""A binding of the mmap API (CPython\'s mmap, here)."""\n',
    "mybinding/conformance.py": """\
from mmapspec.adapters.stdlib import StdlibAdapter


class Adapter(StdlibAdapter):
    name = "mybinding"
""",
}


def readme_block(after: str, language: str) -> str:
    """The first ``language`` code block of the README after the words ``after``."""
    start = README.index(after)
    match = re.compile(rf"```{language}\n(.*?)```", re.S).search(README, start)
    assert match, f"no {language} block after {after!r}"
    return match[1]


def _pip(*args: str, env: dict[str, str] | None = None) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", *args], capture_output=True, text=True, env=env, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]


def _wheels(where: Path) -> Path:
    """This checkout's wheel and everything the suite and the binding's build need."""
    import mmapspec

    wheels = where / "wheels"
    _pip("wheel", "--no-deps", "-q", "-w", str(wheels), str(REPO))
    pinned = f"mmapspec[suite]=={mmapspec.__version__}"
    _pip("download", "-q", "-d", str(wheels), "--find-links", str(wheels), pinned, "setuptools")
    return wheels


def _offline(wheels: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTEST_", "MMAPSPEC"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheels))
    env.pop("CI", None)  # the recipe names its profile itself
    return env


def _sh(project: Path, line: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        line, shell=True, cwd=project, env=env, capture_output=True, text=True, timeout=900
    )


def test_day_one_to_a_green_ratcheted_run(tmp_path: Path) -> None:
    pytest.importorskip("nox", reason="nox runs the recipe (the dev extra installs it)")
    wheels = _wheels(tmp_path)
    env = _offline(wheels)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    project = tmp_path / "mybinding"
    for name, text in BINDING.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    noxfile = readme_block("A nox session in your repository's `noxfile.py`", "python")
    assert "--expectations" in noxfile and "mmapspec.toml" in noxfile
    (project / "noxfile.py").write_text(noxfile)
    steps = [
        line.split("#")[0].strip()
        for line in readme_block("Then, in order:", "sh").splitlines()
        if line.strip() and not line.startswith("git ")
    ]
    nox = f"{sys.executable} -m nox"
    assert steps == [
        "nox -s mmapspec",
        ".nox/mmapspec/bin/mmapspec expectations reports/mmapspec.json -o mmapspec.toml",
        "nox -s mmapspec",
    ], steps
    posargs = " ".join(CLAUSES)

    first = _sh(project, f"{nox} -s mmapspec {posargs}", env)
    out = first.stdout + first.stderr
    assert first.returncode == 1, out[-4000:]  # nox's own exit: the session failed
    assert "deviation" in out and not (project / "mmapspec.toml").exists()
    assert (project / "reports" / "mmapspec.md").is_file()

    written = _sh(project, steps[1], env)
    assert written.returncode == 0, written.stdout + written.stderr
    expected = (project / "mmapspec.toml").read_text()
    assert '[clause."map.size.default-empty-file-fails"]' in expected

    green = _sh(project, f"{nox} -s mmapspec {posargs}", env)
    out = green.stdout + green.stderr
    assert green.returncode == 0, out[-4000:]
    assert "--expectations mmapspec.toml" in out  # nox echoes the command it runs
    assert "--hypothesis-profile ci" in out

    # The ratchet: a deviation the file does not list turns the run red again.
    entry = re.compile(r'\[clause\."map\.size\.default-empty-file-fails"\][^\[]*', re.S)
    (project / "mmapspec.toml").write_text(entry.sub("", expected))
    red = _sh(project, f"{nox} -s mmapspec {posargs}", env)
    assert red.returncode == 1, (red.stdout + red.stderr)[-4000:]
    assert "map.size.default-empty-file-fails" in red.stdout + red.stderr
    shutil.rmtree(project / ".nox", ignore_errors=True)
