"""Child processes for the robustness tests: the persistent fuzz worker, and
one-shot children for things that may crash or that change process limits."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import textwrap
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WORKER = HERE / "_fuzz_worker.py"


def child_env() -> dict[str, str]:
    """The environment of every child: our helpers importable, and an allocator
    that does not map memory of its own, so that /proc/self/maps shows only what
    the reference mapped. Python's small-object allocator is replaced by malloc,
    which serves from the brk heap (not counted) up to a 32 MiB threshold, in one
    arena (threads would otherwise get arenas of their own mid-test)."""
    return dict(
        os.environ,
        PYTHONPATH=str(HERE) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        PYTHONMALLOC="malloc",
        MALLOC_ARENA_MAX="1",
        GLIBC_TUNABLES="glibc.malloc.mmap_threshold=33554432",
    )


def remove_shm(prefix: str) -> None:
    """Remove the shared memory objects whose names start with ``prefix``: what a
    child that crashed or failed midway could not clean up itself."""
    for name in os.listdir("/dev/shm"):
        if name.startswith(prefix):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join("/dev/shm", name))


class WorkerDied(Exception):
    """The worker process ended while handling a recipe: a crash or a hang."""


def describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "still running"
    if returncode < 0:
        return f"killed by {signal.Signals(-returncode).name}"
    return f"exited with status {returncode}"


class FuzzWorker:
    """A persistent child running _fuzz_worker.py; restarted after it dies.

    Each recipe is one round trip. If the child dies (or does not answer within
    ``timeout`` seconds) the call raises WorkerDied with the signal and the tail of
    the child's stderr (faulthandler's Python stack), and the next call starts a
    fresh child, so that Hypothesis can replay and shrink the failing example.
    """

    def __init__(self, scratch: Path, timeout: float = 60.0) -> None:
        self.scratch = scratch
        self.timeout = timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.stderr_path = scratch / "worker-stderr.txt"
        self.calls = 0
        self.deaths = 0
        self.tag_prefix = f"mmapspec-fuzz-{uuid.uuid4().hex[:12]}-"

    def _start(self) -> subprocess.Popen[bytes]:
        self.stderr_file = open(self.stderr_path, "wb")  # noqa: SIM115 (closed in _reap)
        return subprocess.Popen(
            [sys.executable, str(WORKER), str(self.scratch), self.tag_prefix],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr_file,
            env=child_env(),
        )

    def call(self, recipe: dict[str, Any]) -> list[str]:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        self.calls += 1
        assert self.proc.stdin and self.proc.stdout
        data = pickle.dumps(recipe)
        try:
            self.proc.stdin.write(struct.pack("<I", len(data)) + data)
            self.proc.stdin.flush()
            head = self._read(4)
            (n,) = struct.unpack("<I", head)
            reply: list[str] = pickle.loads(self._read(n))
            return reply
        except (BrokenPipeError, EOFError, TimeoutError) as exc:
            why = "did not answer in time" if isinstance(exc, TimeoutError) else "died"
            self._reap()
            self.deaths += 1
            raise WorkerDied(
                f"the worker {why} ({describe_exit(self.proc.returncode)}) on this argument set;"
                f" its stderr ends with:\n{self._stderr_tail()}"
            ) from None

    def _read(self, n: int) -> bytes:
        assert self.proc and self.proc.stdout
        fd = self.proc.stdout.fileno()
        buf = b""
        deadline = time.monotonic() + self.timeout
        while len(buf) < n:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError
            chunk = os.read(fd, n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def _reap(self) -> None:
        assert self.proc
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream:
                stream.close()
        self.stderr_file.close()
        remove_shm(self.tag_prefix)  # a crash skips the worker's own cleanup

    def _stderr_tail(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-3000:]
        except OSError:
            return "(no stderr)"

    def close(self) -> None:
        if self.proc is not None:
            self._reap()
            self.proc = None


@dataclass
class ChildResult:
    returncode: int
    data: Any  # what the child printed as its last JSON line, or None
    stderr: str

    @property
    def signal(self) -> signal.Signals | None:
        return signal.Signals(-self.returncode) if self.returncode < 0 else None


def run_child(code: str, *, timeout: float = 60.0, cwd: Path | None = None) -> ChildResult:
    """Run ``code`` in a fresh interpreter; it reports by printing one JSON line last.

    The code is dedented; ``report(obj)`` is predefined and prints ``obj`` as JSON.
    """
    prelude = "import json as _json\ndef report(obj):\n    print(_json.dumps(obj), flush=True)\n"
    proc = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        timeout=timeout,
        cwd=cwd,
        env=child_env(),
    )
    lines = proc.stdout.decode(errors="replace").strip().splitlines()
    data = None
    if lines:
        try:
            data = json.loads(lines[-1])
        except json.JSONDecodeError:
            data = None
    return ChildResult(proc.returncode, data, proc.stderr.decode(errors="replace"))
