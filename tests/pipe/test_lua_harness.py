"""The LuaJIT harness under real LuaJIT, driving the demo binding (lua/mmap.lua)."""

from __future__ import annotations

import json
import os
import shlex
import signal
import uuid
from pathlib import Path

import pytest
from conftest import LUA_DIR, lua_harness, require_lua_module
from mmapspec.adapters import AdapterLoadError
from mmapspec.adapters.interface import (
    ArgumentError,
    DocumentedFailure,
    FileRef,
    ImplementationCrashed,
    Unsupported,
)
from mmapspec.adapters.pipe import PipeAdapter

# Without LUA_CPATH's default entries cjson.so is not found: dkjson is used.
JSON_LIBS = {"cjson": "", "dkjson": "LUA_CPATH=/nonexistent/?.so"}
JSON_PACKAGES = {"cjson": "lua-cjson", "dkjson": "lua-dkjson"}


@pytest.fixture(params=sorted(JSON_LIBS))
def lua(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    require_lua_module(request.param, JSON_PACKAGES[request.param])
    with PipeAdapter(
        lua_harness(env=JSON_LIBS[request.param]), timeout=20, validate=True
    ) as adapter:
        assert adapter.implementation["harness"].endswith(f"({request.param})")
        yield adapter


def test_handshake(lua: PipeAdapter) -> None:
    assert lua.name == "lua:mmap"
    assert lua.implementation["language"].startswith("LuaJIT")
    assert Path(f"/proc/{lua.pid}/exe").resolve().name.startswith("luajit")
    assert "file:handle" not in lua.capabilities.names()  # Windows only
    assert {
        "mirror",
        "tagname",
        "access:cx",
        "form:positional",
        "file:fileobj",
    } <= lua.capabilities.names()


def test_returns_errcodes_and_raised_errors_become_outcomes(
    lua: PipeAdapter, tmp_path: Path
) -> None:
    with pytest.raises(DocumentedFailure) as failure:
        lua.map(FileRef(str(tmp_path / "missing")), "")
    assert failure.value.errcode == "no_file" and "missing" in failure.value.message
    with pytest.raises(ArgumentError, match="size: must be > 0"):
        lua.map(None, "w", 0)
    with pytest.raises(ArgumentError, match="size expected when mapping the pagefile"):
        lua.map(None, "w", form="positional")
    with pytest.raises(Unsupported) as unsupported:
        lua.map(FileRef(str(tmp_path / "h"), "handle"), "w", 4096)
    assert unsupported.value.capability == "file:handle"


def test_bytes_addresses_and_file_kinds(lua: PipeAdapter, tmp_path: Path) -> None:
    path = tmp_path / "data"
    m = lua.map(FileRef(str(path)), "w", 10_000, form="positional")
    blob = os.urandom(9000)
    lua.write(m.handle, 1000, blob)
    assert lua.read(m.handle, 1000, 9000) == blob
    assert lua.flush(m.handle) is True
    assert lua.flush(m.handle, True) is True
    assert m.addr is not None and lua.flush(m.handle, None, m.addr + 4097, 10) is True
    assert path.read_bytes()[1000:] == blob
    for kind in ("fd", "fileobj"):
        other = lua.map(FileRef(str(path), kind, "r"), "")
        assert lua.read(other.handle, 1000, 9000) == blob
        lua.free(other.handle)
    # FILE* write buffers are flushed before mapping
    pending = lua.map(FileRef(str(path), "fileobj", "r+", b"PENDING"), "")
    assert lua.read(pending.handle, 0, 7) == b"PENDING"
    # addresses survive exactly, beyond the doubles' 2^53
    page = lua.pagesize()
    assert lua.aligned_addr(2**64 - 1, "left") == 2**64 - page
    near = 2**63 + 3 * page  # doubles this high are 2048 apart: near + 5 would round to near
    assert lua.aligned_addr(near + 5, "left") == near
    assert lua.aligned_addr(near + 5) == near + page
    assert lua.aligned_addr(m.addr + 1) == m.addr + page
    assert lua.aligned_addr(0) == 0  # a NULL pointer is address 0, not "no value"
    assert f"{m.addr:x}-" in Path(f"/proc/{lua.pid}/maps").read_text()


def test_mirror_and_tagname(lua: PipeAdapter, tmp_path: Path) -> None:
    mirror = lua.mirror(FileRef(str(tmp_path / "ring")), 100, 3)
    assert mirror.size == lua.pagesize() and len(mirror.maps) == 3
    lua.write(mirror.handle, 5, b"ring")
    assert [lua.read(m.handle, 5, 4) for m in mirror.maps] == [b"ring"] * 3
    lua.free(mirror.handle)
    tag = f"mmapspec-lua-{uuid.uuid4().hex}"
    t = lua.map(None, "w", 4096, tagname=tag)
    assert Path(f"/dev/shm/{tag}").exists()
    lua.unlink_map(t.handle)
    assert not Path(f"/dev/shm/{tag}").exists()
    lua.free(t.handle)


def test_documented_crash_then_a_fresh_luajit(lua: PipeAdapter, tmp_path: Path) -> None:
    path = tmp_path / "ro"
    path.write_bytes(b"r" * 4096)
    first = lua.pid
    ro = lua.map(FileRef(str(path)), "")
    with pytest.raises(ImplementationCrashed) as crash:
        lua.write(ro.handle, 0, b"w")
    assert crash.value.signal == signal.SIGSEGV
    assert lua.pagesize() > 0 and lua.pid != first
    assert path.read_bytes() == b"r" * 4096


def test_out_of_range_access_is_refused_not_performed(lua: PipeAdapter) -> None:
    m = lua.map(None, "w", 100)
    with pytest.raises(ArgumentError, match="outside"):
        lua.read(m.handle, 50, 51)
    lua.free(m.handle)
    with pytest.raises(ArgumentError, match="freed"):
        lua.write(m.handle, 0, b"x")


def test_capabilities_narrowed_by_env() -> None:
    caps = json.dumps({"mirror": False, "access_modes": ["", "w"]})
    with PipeAdapter(
        lua_harness(env=f"MMAPSPEC_CAPS={shlex.quote(caps)}"), validate=True
    ) as adapter:
        assert not adapter.capabilities.mirror
        assert adapter.capabilities.access_modes == frozenset({"", "w"})
        assert adapter.capabilities.tagname


@pytest.mark.parametrize(
    ("caps", "claimed", "unclaimed"),
    [
        ({"addr_request": False}, {"addr", "pagesize", "alignment"}, {"addr_request"}),
        ({"alignment": False}, {"pagesize", "addr_request"}, {"alignment"}),
        # before the split: one field for the three helpers, one for reporting and requesting
        (
            {"alignment_helpers": False, "addr": False},
            {"mirror"},
            {"pagesize", "alignment", "addr", "addr_request"},
        ),
    ],
)
def test_capabilities_split_and_old_fields(
    caps: dict[str, bool], claimed: set[str], unclaimed: set[str]
) -> None:
    env = f"MMAPSPEC_CAPS={shlex.quote(json.dumps(caps))}"
    with PipeAdapter(lua_harness(env=env), validate=True) as adapter:
        names = adapter.capabilities.names()
        assert claimed <= names and not unclaimed & names, sorted(names)


def test_missing_module_is_one_line() -> None:
    with pytest.raises(AdapterLoadError) as error:
        PipeAdapter(lua_harness(module="no_such_binding"), timeout=10)
    message = str(error.value)
    assert "cannot load Lua module no_such_binding: module 'no_such_binding' not found" in message
    assert "\n" not in message


def test_module_output_cannot_corrupt_the_protocol(tmp_path: Path) -> None:
    noisy = tmp_path / "noisy.lua"
    noisy.write_text("print('noise on stdout'); io.write('more noise\\n'); return require'mmap'\n")
    cmd = lua_harness(module="noisy").replace(
        f"{LUA_DIR}/?.lua;;", f"{tmp_path}/?.lua;{LUA_DIR}/?.lua;;"
    )
    with PipeAdapter(cmd, validate=True) as adapter:
        assert adapter.pagesize() > 0
