"""Case 6: the suite's own speed, and the pipe adapter's round trip.

Both depend on pieces other helpers write (the spec tests, the pipe adapter);
until those are present, the rows are skipped with the reason.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from importlib import resources
from typing import Any

from mmapspec.bench.cases import Context
from mmapspec.bench.timing import Comparison, Group, Limit, Variant

SUITE_TIMEOUT_S = 900
IO_SIZE = 4096
"""Bytes per read and write through the harnesses."""


def _spec_tests() -> str | None:
    """None when spec tests are installed, else why the suite rows are skipped."""
    try:
        files = [p.name for p in resources.files("mmapspec.spec").iterdir()]
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        return f"mmapspec.spec not importable ({exc})"
    if not any(name.startswith("test_") and name.endswith(".py") for name in files):
        return "no spec tests (mmapspec/spec/test_*.py) installed yet"
    return None


def suite_command(workers: int, quick: bool) -> tuple[str, list[str]]:
    """The conformance run against the reference under the CI profile, and its
    label: ``mmapspec run`` when the runner's CLI is installed, else the pytest
    command it stands for."""
    if importlib.util.find_spec("mmapspec.cli") is not None:
        label = f"mmapspec run --adapter reference -n {workers}"
        cmd = [
            sys.executable, "-c", "import sys; from mmapspec.cli import main; sys.exit(main())",
            "run", "--adapter", "reference", "-n", str(workers), "--hypothesis-profile", "ci",
        ]  # fmt: skip
        if quick:
            cmd += ["--", "--collect-only"]
    else:
        label = f"pytest --pyargs mmapspec.spec -n {workers}"
        cmd = [
            sys.executable, "-m", "pytest", "--pyargs", "mmapspec.spec",
            "--mmap-adapter", "reference", "--hypothesis-profile", "ci", "-n", str(workers),
            "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
        ]  # fmt: skip
        if quick:
            cmd.append("--collect-only")
    return label + ("  (collect only)" if quick else ""), cmd


@contextmanager
def suite(ctx: Context) -> Iterator[Group]:
    missing = _spec_tests()
    outcomes: dict[int, str] = {}
    env = {**os.environ, "CI": "1"}  # what CI sets; the spec's conftest then picks 'ci' too

    def running(cmd: list[str], workers: int) -> Callable[[int], None]:
        def run(n: int) -> None:
            for _ in range(n):
                proc = subprocess.run(
                    cmd,
                    cwd=ctx.workdir,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=SUITE_TIMEOUT_S,
                )
                lines = proc.stdout.strip().splitlines()
                last = lines[-1] if lines else proc.stderr.strip()[-200:]
                # 0: all passed; 1: the run completed with failing tests or deviations
                # (a finding about the reference, not a reason to drop the timing).
                if proc.returncode not in (0, 1):
                    raise RuntimeError(f"exit code {proc.returncode}: {last}")
                verdict = "passed" if proc.returncode == 0 else "FAILURES OR DEVIATIONS"
                outcomes[workers] = f"exit {proc.returncode} ({verdict}): {last}"

        return run

    variants = []
    for workers in (1, 2):
        label, cmd = suite_command(workers, ctx.quick)
        if missing:
            variants.append(Variant(f"suite.n{workers}", label, None, role="case", skip=missing))
        else:
            variants.append(
                Variant(
                    f"suite.n{workers}",
                    label,
                    running(cmd, workers),
                    role="case",
                    fixed_n=1,
                    warmup=False,
                )
            )
    notes = [
        "wall time of one whole run each (no warm-up), adapter 'reference', "
        "Hypothesis profile 'ci', tests in the pytest-xdist workers given"
    ]
    if ctx.quick:
        notes.append("QUICK MODE: collection only, the tests are not run")
    group = Group(
        "suite",
        "6. the conformance suite against the reference, CI profile",
        variants,
        [Comparison("suite.n2", "suite.n1")],
        notes,
        samples=1,
        limits=[] if ctx.quick else [Limit("suite.n2", 60.0)],
        waits=True,
    )
    yield group
    for workers, last in sorted(outcomes.items()):
        group.notes.append(f"-n {workers}: {last}")


def _adapters() -> str | None:
    for module in (
        "mmapspec.adapters.reference_adapter",
        "mmapspec.adapters.pipe",
        "mmapspec.adapters.harness",
    ):
        if importlib.util.find_spec(module) is None:
            return f"{module} not present yet"
    return None


@contextmanager
def pipe(ctx: Context) -> Iterator[Group]:
    """One operation through the pipe adapter (a child process running the
    Python harness around the reference) against the same call in process."""
    missing = _adapters()
    with ExitStack() as stack:
        adapters = {}
        if missing is None:
            from mmapspec.adapters import AdapterSpec, load
            from mmapspec.adapters.pipe import harness_command

            served = shlex.join(harness_command(AdapterSpec("reference")))
            specs = {
                "inproc": AdapterSpec("reference"),
                "pipe": AdapterSpec("pipe", (("pipe_cmd", served),)),
            }
            for where, spec in specs.items():
                try:
                    adapters[where] = load(spec)
                except Exception as exc:  # a work-in-progress adapter that cannot start
                    missing = f"cannot load adapter {spec}: {type(exc).__name__}: {exc}"
                    break
                stack.callback(adapters[where].close)

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

        lua_missing = missing or _lua_binding(stack, adapters)
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

        variants = []
        for op, make in (("pagesize", pagesize), ("map_free", map_free)):
            for where in ("pipe", "inproc"):
                key = f"pipe.{where}_{op}"
                text = (
                    "adapter.pagesize()"
                    if op == "pagesize"
                    else "adapter.free(adapter.map(None,'w',4096)): 2 calls"
                )
                label = f"{'pipe     ' if where == 'pipe' else 'in process'} {text}"
                if missing:
                    variants.append(
                        Variant(
                            key,
                            label,
                            None,
                            role="case" if where == "pipe" else "baseline",
                            skip=missing,
                        )
                    )
                else:
                    variants.append(
                        Variant(
                            key, label, make(where), role="case" if where == "pipe" else "baseline"
                        )
                    )
        kib = IO_SIZE // 1024
        for op in ("read", "write"):
            for where, who in (("lua", "Lua harness"), ("pipe", "Py harness ")):
                key = f"pipe.{where}_{op}{kib}k"
                label = f"{who} adapter.{op}(handle, 0, {kib} KiB)"
                skip = lua_missing if where == "lua" else missing
                variants.append(
                    Variant(key, label, None, role="case", skip=skip)
                    if skip
                    else Variant(
                        key,
                        label,
                        io(where, op),
                        role="case" if where == "lua" else "baseline",
                        check=io_check(where) if op == "write" else None,
                    )
                )
        yield Group(
            "pipe",
            "6b. pipe adapter round trip vs the same adapter call in process",
            variants,
            [
                Comparison("pipe.pipe_pagesize", "pipe.inproc_pagesize"),
                Comparison("pipe.pipe_map_free", "pipe.inproc_map_free"),
                Comparison(f"pipe.lua_read{kib}k", f"pipe.pipe_read{kib}k", limit=1.2),
                Comparison(f"pipe.lua_write{kib}k", f"pipe.pipe_write{kib}k", limit=1.2),
            ],
            [
                "pipe: the 'pipe' adapter driving `python -m mmapspec.adapters.harness "
                "--adapter reference` in a child process (one JSON request and response per "
                "call); in process: the 'reference' adapter itself",
                "Lua harness: the same pipe adapter driving `luajit adapters/lua/harness.lua` "
                "serving the demo LuaJIT binding (tests/pipe/lua/mmap.lua); both harnesses "
                f"read and write {kib} KiB of a pagefile map (base64 in the JSON both ways)"
                + (f"; Lua rows skipped: {lua_missing}" if lua_missing and not missing else ""),
            ],
            waits=True,
        )


def _lua_binding(stack: ExitStack, adapters: dict[str, Any]) -> str | None:
    """Start the LuaJIT harness around the demo binding into ``adapters['lua']``, or
    say why not (no LuaJIT, or an installation without the repository's tests)."""
    from mmapspec.adapters import AdapterSpec, load
    from mmapspec.adapters.pipe import LUA_HARNESS

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
