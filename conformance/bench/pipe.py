"""Case 6b: the pipe adapter's round trip, beside its floor and the same call in process.

The floor is what no pipe can beat: a trivial child (the same Python, ``-I -S``)
that echoes each line, driven by one ``os.write`` and one ``os.read`` of the very
line the pipe adapter sends for ``pagesize``. The pipe's own cost is what the
pipe adapter and the Python harness add to that: JSON both ways, the deadline's
``poll``, the dispatch to the adapter.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from mmapspec.adapters import AdapterSpec, load
from mmapspec.adapters.pipe import LUA_HARNESS, harness_command
from mmapspec.adapters.pipe.c_harness import build_c_harness
from mmapspec.adapters.pipe.codec import request_line
from mmapspec.bench.cases import Context
from mmapspec.bench.timing import Comparison, Group, Role, Variant

IO_SIZE = 4096
"""Bytes per read and write through the harnesses."""
KIB = IO_SIZE // 1024
ECHO = "import os, sys\nfor line in sys.stdin.buffer:\n    os.write(1, line)\n"
"""The floor's child: each line back as it came, one write each."""
FLOOR_LINE = request_line(1000, "pagesize", {})
"""What the pipe adapter sends for ``pagesize`` (with a four-digit id)."""
FLOOR_LIMIT = 1.5
"""The target: a ``pagesize`` through the pipe within this many floors."""


class Echo:
    """The floor's child process and its round trip."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", ECHO],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.in_fd, self.out_fd = self.proc.stdin.fileno(), self.proc.stdout.fileno()
        self.last = b""

    def run(self, n: int) -> None:
        write, read, in_fd, out_fd, line = os.write, os.read, self.in_fd, self.out_fd, FLOOR_LINE
        for _ in range(n):
            write(in_fd, line)
            got = read(out_fd, 65536)
            while not got.endswith(b"\n"):  # never so far: the echo writes a line at once
                got += read(out_fd, 65536)
        self.last = got if n else self.last

    def check(self) -> None:
        if self.last != FLOOR_LINE:
            raise AssertionError(f"the echo sent back {self.last!r}, not the line sent")

    def close(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        self.proc.wait(timeout=10)


def _start(stack: ExitStack) -> tuple[dict[str, Any], str | None]:
    """The in-process reference and the pipe serving it, or why not."""
    adapters: dict[str, Any] = {}
    served = shlex.join(harness_command(AdapterSpec("reference")))
    specs = {
        "inproc": AdapterSpec("reference"),
        "pipe": AdapterSpec("pipe", (("pipe_cmd", served),)),
    }
    for where, spec in specs.items():
        try:
            adapters[where] = load(spec)
        except Exception as exc:  # a pipe that cannot start here: its rows say why
            return adapters, f"cannot load adapter {spec}: {type(exc).__name__}: {exc}"
        stack.callback(adapters[where].close)
    return adapters, None


def _call_rows(adapters: dict[str, Any], missing: str | None) -> list[Variant]:
    """``pagesize`` and ``map`` + ``free``, through the pipe and in process."""

    def pagesize(where: str) -> Callable[[int], None]:
        def run(n: int) -> None:
            call = adapters[where].pagesize
            for _ in range(n):
                call()

        return run

    def map_free(where: str) -> Callable[[int], None]:
        def run(n: int) -> None:
            a = adapters[where]
            for _ in range(n):
                a.free(a.map(None, "w", 4096).handle)

        return run

    texts = {
        "pagesize": "adapter.pagesize()",
        "map_free": "adapter.free(adapter.map(None,'w',4096)): 2 calls",
    }
    rows = []
    for op, make in (("pagesize", pagesize), ("map_free", map_free)):
        for where in ("pipe", "inproc"):
            label = f"{'pipe     ' if where == 'pipe' else 'in process'} {texts[op]}"
            role: Role = "case" if where == "pipe" else "baseline"
            run = None if missing else make(where)
            rows.append(Variant(f"pipe.{where}_{op}", label, run, role=role, skip=missing))
    return rows


HARNESSES = (("lua", "Lua harness"), ("c", "C harness  "), ("pipe", "Py harness "))
"""The harnesses whose 4 KiB reads and writes are timed, the Python one the baseline."""


def _io_rows(adapters: dict[str, Any], missing: dict[str, str | None]) -> list[Variant]:
    """4 KiB reads and writes through the Lua, C and Python harnesses."""
    data = bytes(range(256)) * (IO_SIZE // 256)
    handles: dict[str, Any] = {}

    def io(where: str, op: str) -> Callable[[int], None]:
        def run(n: int) -> None:
            a = adapters[where]
            if where not in handles:
                handles[where] = a.map(None, "w", IO_SIZE).handle
            h = handles[where]
            if op == "read":
                for _ in range(n):
                    a.read(h, 0, IO_SIZE)
            else:
                for _ in range(n):
                    a.write(h, 0, data)

        return run

    def io_check(where: str) -> Callable[[], None]:
        def check() -> None:
            if adapters[where].read(handles[where], 0, IO_SIZE) != data:
                raise AssertionError(f"{where}: a 4 KiB read does not return what was written")

        return check

    rows = []
    for op in ("read", "write"):
        for where, who in HARNESSES:
            key, label = f"pipe.{where}_{op}{KIB}k", f"{who} adapter.{op}(handle, 0, {KIB} KiB)"
            skip = missing[where]
            if skip:
                rows.append(Variant(key, label, None, role="case", skip=skip))
                continue
            role: Role = "baseline" if where == "pipe" else "case"
            check = io_check(where) if op == "write" else None
            rows.append(Variant(key, label, io(where, op), role=role, check=check))
    return rows


def _notes(missing: dict[str, str | None]) -> list[str]:
    return [
        "floor: a child `python -I -S` echoing each line (one os.write each), driven by one "
        "os.write and one os.read of the line the pipe adapter sends for pagesize",
        "pipe: the 'pipe' adapter driving `python -m mmapspec.adapters.harness "
        "--adapter reference` in a child process (one JSON request and response per "
        "call); in process: the 'reference' adapter itself",
        "Lua harness: the same pipe adapter driving `luajit adapters/lua/harness.lua` "
        "serving the demo LuaJIT binding (tests/pipe/lua/mmap.lua); C harness: "
        "adapters/c/harness.c around its C binding, compiled here with -O2; each harness "
        f"reads and writes {KIB} KiB of a pagefile map (base64 in the JSON both ways)"
        + "".join(
            f"; {who.strip()} rows skipped: {missing[where]}"
            for where, who in HARNESSES[:2]
            if missing[where] and not missing["pipe"]
        ),
    ]


@contextmanager
def pipe(ctx: Context) -> Iterator[Group]:
    """One operation through the pipe adapter (a child process running the Python
    harness around the reference) against its floor and the same call in process."""
    with ExitStack() as stack:
        pinned = _on_one_cpu(stack)
        echo = Echo()
        stack.callback(echo.close)
        adapters, py_missing = _start(stack)
        missing = {
            "pipe": py_missing,
            "lua": py_missing or _lua_binding(stack, adapters),
            "c": py_missing or _c_binding(stack, adapters),
        }
        floor = Variant(
            "pipe.floor", "floor: echo child, write + read of that line", echo.run, check=echo.check
        )
        yield Group(
            "pipe",
            "6b. pipe adapter round trip vs its floor and the same adapter call in process",
            [floor, *_call_rows(adapters, py_missing), *_io_rows(adapters, missing)],
            [
                Comparison("pipe.pipe_pagesize", "pipe.floor", limit=FLOOR_LIMIT),
                Comparison("pipe.pipe_pagesize", "pipe.inproc_pagesize"),
                Comparison("pipe.pipe_map_free", "pipe.inproc_map_free"),
                Comparison(f"pipe.lua_read{KIB}k", f"pipe.pipe_read{KIB}k", limit=1.2),
                Comparison(f"pipe.lua_write{KIB}k", f"pipe.pipe_write{KIB}k", limit=1.2),
                Comparison(f"pipe.c_read{KIB}k", f"pipe.pipe_read{KIB}k"),
                Comparison(f"pipe.c_read{KIB}k", f"pipe.lua_read{KIB}k"),
            ],
            [pinned, *_notes(missing)],
            waits=True,
        )


def _on_one_cpu(stack: ExitStack) -> str:
    """Pin this thread, and so every child it starts, to one CPU until ``stack`` closes.

    A round trip is two wake-ups of a process blocked on a pipe. Across CPUs each costs
    an inter-processor wake-up whose latency depends on the other CPU's idle state,
    and on a virtual machine it swung the floor between 8 and 40 us from one run to
    the next. On one CPU both the floor and the pipe pay plain context switches, so
    their ratio is the software's own cost, stable across runs."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned to one CPU (no sched_setaffinity here): expect noisy ratios"
    before = os.sched_getaffinity(0)
    cpu = max(before)
    os.sched_setaffinity(0, {cpu})
    stack.callback(os.sched_setaffinity, 0, before)
    return (
        f"the runner and every child pinned to CPU {cpu}: round trips pay context "
        "switches, not cross-CPU wake-ups"
    )


def _lua_binding(stack: ExitStack, adapters: dict[str, Any]) -> str | None:
    """Start the LuaJIT harness around the demo binding into ``adapters['lua']``, or
    say why not (no LuaJIT, or an installation without the repository's tests)."""

    luajit = shutil.which("luajit")
    if luajit is None:
        return "no luajit on PATH"
    demo = LUA_HARNESS.parents[2] / "tests" / "pipe" / "lua"
    if not (demo / "mmap.lua").is_file():
        return f"the demo LuaJIT binding is not here ({demo / 'mmap.lua'}): run from a checkout"
    cmd = (
        f"env LUA_PATH={shlex.quote(str(demo) + '/?.lua;;')} "
        f"{shlex.quote(luajit)} {shlex.quote(str(LUA_HARNESS))} mmap"
    )
    try:
        adapters["lua"] = load(AdapterSpec("pipe", (("pipe_cmd", cmd),)))
    except Exception as exc:  # a harness that cannot start: its rows are skipped
        return f"cannot start the Lua harness: {type(exc).__name__}: {exc}"
    stack.callback(adapters["lua"].close)
    return None


def _c_binding(stack: ExitStack, adapters: dict[str, Any]) -> str | None:
    """Build and start the C harness into ``adapters['c']``, or say why not (no
    compiler, no libjansson)."""
    built = build_c_harness(Path(stack.enter_context(tempfile.TemporaryDirectory())))
    if isinstance(built, str):
        return built
    try:
        adapters["c"] = load(AdapterSpec("pipe", (("pipe_cmd", shlex.quote(str(built))),)))
    except Exception as exc:  # a harness that cannot start: its rows are skipped
        return f"cannot start the C harness: {type(exc).__name__}: {exc}"
    stack.callback(adapters["c"].close)
    return None
