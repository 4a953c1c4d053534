"""Fixtures for the pipe protocol's tests: real harness commands, real children."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from mmapspec.adapters.pipe import LUA_HARNESS

HERE = Path(__file__).resolve().parent
LUA_DIR = HERE / "lua"
TINY = "tiny_adapter:TinyAdapter"

# The tiny adapter must import in this process (for in-process comparisons) and in
# the harness children, which inherit the environment.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(HERE), os.environ.get("PYTHONPATH", "")) if p
)


def python_harness(adapter: str = TINY, *options: str) -> str:
    """The command serving an in-process adapter through the Python harness."""
    argv = [sys.executable, "-m", "mmapspec.adapters.harness", "--adapter", adapter]
    for option in options:
        argv += ["--adapter-option", option]
    return shlex.join(argv)


def missing_system_package(reason: str, package: str) -> None:
    """A system package a test needs is absent: a skip naming it locally, a failure in
    CI, whose own setup (.ci/install-system) must install everything the tests use."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}, but CI must run this test: .ci/install-system installs {package}")
    pytest.skip(f"{reason} (Debian: apt-get install {package}; or run .ci/install-system)")


def luajit() -> str:
    """Path of LuaJIT."""
    path = shutil.which("luajit")
    if path is None:
        missing_system_package("luajit is not installed", "luajit lua-dkjson lua-cjson")
    assert path is not None
    return path


def require_lua_module(module: str, package: str) -> None:
    """Skip (or, in CI, fail) unless LuaJIT can `require` this module."""
    probe = subprocess.run(
        [luajit(), "-e", f"require'{module}'"], capture_output=True, text=True, timeout=30
    )
    if probe.returncode != 0:
        missing_system_package(f"LuaJIT cannot require '{module}'", package)


def lua_harness(module: str = "mmap", env: str = "") -> str:
    """The LuaJIT harness serving the demo binding (tests/pipe/lua/mmap.lua)."""
    lua_path = f"{LUA_DIR}/?.lua;;"
    return (
        f"env LUA_PATH={shlex.quote(lua_path)} {env} "
        f"{shlex.quote(luajit())} {shlex.quote(str(LUA_HARNESS))} {module}"
    )


@pytest.fixture
def tmpfile(tmp_path: Path) -> Path:
    return tmp_path / f"f-{uuid.uuid4().hex}"


@pytest.fixture
def tiny_cmd() -> str:
    return python_harness()


@pytest.fixture
def lua_cmd() -> str:
    return lua_harness()


@pytest.fixture(scope="session")
def c_harness(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The C harness (adapters/c/), built with the system compiler and libjansson."""
    from mmapspec.adapters.pipe.c_harness import build_c_harness

    built = build_c_harness(tmp_path_factory.mktemp("c-harness"))
    if isinstance(built, str):
        missing_system_package(f"the C harness cannot be built: {built}", "gcc libjansson-dev")
    return shlex.quote(str(built))
