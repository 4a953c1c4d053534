"""Fixtures for the pipe protocol's tests: real harness commands, real children."""

from __future__ import annotations

import os
import shlex
import shutil
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


def luajit() -> str:
    """Path of LuaJIT: absent is a skip locally but a failure in CI, which installs it."""
    path = shutil.which("luajit")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(
                "luajit is not installed, but CI must run the Lua harness (.ci/install-system)"
            )
        pytest.skip("luajit is not installed (Debian: apt-get install luajit lua-dkjson)")
    return path


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
