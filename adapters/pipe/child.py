"""One harness process and the conversation with it: start it behind the guard,
send a request and wait for its response with a deadline, and end it (asked to
stop, or killed with everything it started), quoting its stderr when it dies."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from mmapspec.adapters.interface import ImplementationCrashed
from mmapspec.adapters.pipe.channel import Channel, LineTooLong, open_channel
from mmapspec.adapters.pipe.codec import line_limit, malformed, request_line, response_value
from mmapspec.adapters.pipe.errors import ClosedOutput, ImplementationTimeout, ProtocolError
from mmapspec.adapters.pipe.processes import kill_descendants
from mmapspec.adapters.pipe.stderr_tail import StderrTail

GUARD = Path(__file__).resolve().parent.parent / "_guard.py"
"""Started as the child's process-group leader on POSIX; it starts the harness."""
STOP_GRACE = 5.0
"""Seconds a child gets to answer ``stop`` and exit before it is killed."""
ERROR_INTERNAL_ERROR = 1359
"""Windows' error for a CreateProcess that failed inside the OS (seen under Wine when
the machine is loaded): worth one more try."""
START_AGAIN_AFTER = 0.5
"""Seconds before that try."""
STDERR_TAIL = 2000
"""Bytes of the child's stderr quoted when it crashes."""


class Child:
    """One running harness and the conversation with it.

    ``threaded`` serves the pipes with threads (:class:`ThreadChannel`) even where
    ``poll`` works: always so on Windows, and how its path is tested elsewhere."""

    def __init__(
        self, argv: list[str], timeout: float, validate: bool, *, threaded: bool = False
    ) -> None:
        self.argv = argv
        self.timeout = timeout
        self.validate = validate
        # A pipe drained by a thread that keeps a bounded tail, to quote when the
        # child dies: a chatty child never blocks, nor fills memory or TMPDIR.
        self.stderr = StderrTail()
        self.lifeline = -1
        try:
            self.proc = self._spawn(argv)
        except BaseException:
            self.stderr.close()
            raise
        self.stderr.given()
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.in_fd = self.proc.stdin.fileno()
        self.out_fd = self.proc.stdout.fileno()
        self.channel: Channel = open_channel(self.in_fd, self.out_fd, threaded)
        self.next_id = 0
        self.alive = True
        self.pid = self.proc.pid

    def _spawn(self, argv: list[str]) -> subprocess.Popen[bytes]:
        if sys.platform == "win32":
            # No guard: Windows has no process groups to kill; kill() ends the tree.
            # A new process group keeps the console's Ctrl-C for the runner.
            for attempt in range(2):
                try:
                    return subprocess.Popen(
                        argv,
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        stderr=self.stderr.write_fd,
                        bufsize=0,
                        creationflags=subprocess.CREATE_NEW_PROCESS_GROUP,
                    )
                except OSError as exc:
                    # Once more after a moment: Wine's CreateProcess has said "Internal
                    # error" under load; a command that cannot run fails twice.
                    if attempt or getattr(exc, "winerror", None) != ERROR_INTERNAL_ERROR:
                        raise
                    time.sleep(START_AGAIN_AFTER)
        # The guard's lifeline: only this process holds the write end, so it
        # closes when this process dies, however it dies.
        watch, self.lifeline = os.pipe()
        try:
            return self._spawn_guarded(argv, watch)
        except BaseException:
            os.close(self.lifeline)
            self.lifeline = -1
            raise
        finally:
            os.close(watch)

    def _spawn_guarded(self, argv: list[str], watch: int) -> subprocess.Popen[bytes]:
        # The kernel's parent-death signal fires when the *thread* that started the
        # child ends, so it is asked for only from the main thread, which lives as
        # long as the process; the lifeline pipe covers every other case.
        parent = os.getpid() if threading.current_thread() is threading.main_thread() else 0
        return subprocess.Popen(
            [sys.executable, "-I", "-S", str(GUARD), str(watch), str(parent), *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr.write_fd,
            bufsize=0,
            pass_fds=(watch,),
            # Its own process group: a timeout kills the harness and anything it
            # started (a shell wrapper's luajit), and the terminal's Ctrl-C goes to
            # the runner, which then stops the child in order.
            start_new_session=True,
        )

    def round_trip(self, op: str, args: dict[str, Any], timeout: float | None = None) -> Any:
        """Send one request and return the value of its response, or raise the
        outcome it carries. A timeout, a broken message or a dead child leave this
        child dead (:attr:`alive` false)."""
        if not self.alive:
            raise RuntimeError("internal: round trip with a dead child")
        rid = self.next_id
        self.next_id += 1
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        try:
            self.channel.send(request_line(rid, op, args), deadline)
            raw = self.channel.receive_line(deadline, line_limit(op, args))
        except TimeoutError:
            self.kill()
            raise ImplementationTimeout(op, limit, self._stderr_note()) from None
        except (EOFError, BrokenPipeError):
            raise self._died(op) from None
        except LineTooLong as exc:
            self.kill()
            why = (
                f"is a line longer than the limit of {exc.longest} bytes for this request "
                "(PROTOCOL.md, Limits)"
            )
            raise malformed(op, why, exc.head) from None
        try:
            return response_value(op, rid, raw, self.validate)
        except ProtocolError:
            self.kill()  # the conversation can no longer be trusted
            raise

    # Endings ---------------------------------------------------------------------

    def _died(self, op: str) -> ImplementationCrashed | ClosedOutput:
        """The child closed its end: collect how it died. One that closed its stdout
        but lingers is killed by the runner: that signal is the runner's, so it is
        the harness's failure, not a crash of the binding."""
        try:
            self.proc.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            self.kill()
            return ClosedOutput(op, STOP_GRACE, self._stderr_note())
        self.kill()
        code = self.proc.returncode
        sig = -code if code is not None and code < 0 else None
        exitcode = code if code is not None and code >= 0 else None
        return ImplementationCrashed(sig, exitcode, f"during {op!r}{self._stderr_note()}")

    def stderr_tail(self) -> str:
        dead = self.proc.returncode is not None
        return self.stderr.tail(STDERR_TAIL, settle=dead).decode("utf-8", "replace").strip()

    def _stderr_note(self) -> str:
        tail = self.stderr_tail()
        return f"; stderr tail:\n{tail}" if tail else ""

    def kill(self) -> None:
        """Kill the child and all it started, and reap it."""
        self.alive = False
        if self.proc.returncode is None:
            _kill_tree(self.proc)
            self.proc.wait()
        self.channel.close()
        if self.channel.stopped:
            _close_all(self.proc.stdin, self.proc.stdout)
        if self.lifeline >= 0:
            os.close(self.lifeline)  # the guard, if somehow alive, kills what is left
            self.lifeline = -1

    def stop(self) -> None:
        """Ask the child to free everything and exit; kill it if it does not."""
        if self.alive:
            with contextlib.suppress(Exception):
                self.round_trip("stop", {}, timeout=min(self.timeout, STOP_GRACE))
            with contextlib.suppress(OSError):
                self.proc.stdin.close()  # type: ignore[union-attr]  # EOF for a wrapper (tee, sh)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=STOP_GRACE)
        self.kill()
        self.stderr.close()


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's process group (the guard leads it), or on Windows end
    the child's process tree."""
    if sys.platform == "win32":
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(
                ["taskkill", "/T", "/F", "/PID", str(proc.pid)],
                capture_output=True,
                timeout=STOP_GRACE,
            )
        with contextlib.suppress(OSError):
            proc.kill()  # taskkill missing or refused: at least the child itself
        return
    # First every descendant of the guard, those that left the group with setsid()
    # included (the guard, a subreaper, holds them), then the group.
    kill_descendants(proc.pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _close_all(*streams: IO[bytes] | None) -> None:
    for stream in streams:
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
