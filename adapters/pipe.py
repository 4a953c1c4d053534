"""The pipe adapter: any implementation, in any language, in a child process.

The child is a *harness* that speaks the line-delimited JSON protocol of
``PROTOCOL.md`` on its stdin and stdout (its stderr is free for logs). This module
is the runner's end of that protocol:

* :class:`PipeAdapter` runs a command (``--adapter pipe --adapter-option
  pipe_cmd='luajit adapters/lua/harness.lua'``), performs the ``start`` handshake,
  and turns every :class:`~mmapspec.adapters.interface.Adapter` method into
  exactly one request.
* Every request has a deadline and every response line a length limit. A child
  that does not answer in time is killed and the operation raises
  :class:`ImplementationTimeout`; one that answers too much or nonsense is killed
  and it raises :class:`ProtocolError`. The run never hangs and its memory stays
  bounded.
* Those, and a harness's own ``harness_error``, are
  :class:`~mmapspec.adapters.interface.HarnessFailure`: the machinery failed, not
  the binding. After one, the adapter is *failed* until :meth:`PipeAdapter.begin_test`:
  every call raises the same failure at once and no child is started, so neither
  the test nor Hypothesis's replays and shrinking pay for the broken harness again.
* A child that dies during an operation (the doc promises crashes for some
  misuses) raises :class:`~mmapspec.adapters.interface.ImplementationCrashed` for
  that operation. The next operation of the same test (or Hypothesis example)
  starts a fresh child, up to :data:`MAX_CRASHES_PER_TEST` children a test;
  handles of the dead child are rejected with an :class:`ArgumentError` naming why.
* Every child is started through a guard (``_guard.py``) that kills it, and all it
  started, when the runner dies, however it dies.
* :func:`serve_isolated` gives :meth:`Adapter.isolated` a second instance of an
  implementation in its own process.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import json
import os
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from mmapspec.adapters import AdapterLoadError
from mmapspec.adapters.interface import (
    Adapter,
    AdapterSpec,
    ArgumentError,
    CallForm,
    Capabilities,
    Direction,
    DocumentedFailure,
    FileRef,
    Handle,
    HarnessFailure,
    ImplementationCrashed,
    MapInfo,
    MirrorInfo,
    Unsupported,
)

PROTOCOL_VERSION = 1
SAFE_INT = 2**53 - 1
"""Integers beyond +-SAFE_INT travel as decimal strings (I-JSON), see PROTOCOL.md."""
DEFAULT_TIMEOUT = 60.0
"""Seconds a harness may take to answer one request (generous: some clauses fill
a disk or map gigabytes). Override with ``--adapter-option timeout=SECONDS``."""
DEFAULT_START_TIMEOUT = 30.0
"""Seconds a harness may take to start and answer ``start`` (at least ``timeout``):
an interpreter loading a binding on a busy CI machine can be slow."""
STOP_GRACE = 5.0
"""Seconds a child gets to answer ``stop`` and exit before it is killed."""
STDERR_TAIL = 2000
"""Bytes of the child's stderr quoted when it crashes."""
LINE_LIMIT = 1 << 20
"""Bytes one response line may hold besides the bytes a request asks for: the
base64 of a ``read``, and :data:`MAP_ENTRY_LIMIT` per map of a ``mirror``."""
MAP_ENTRY_LIMIT = 256
"""Bytes one ``{"handle", "addr", "size"}`` of a mirror's maps may take."""
READ_CHUNK = 1 << 16
PROBE_TIMEOUT = 10.0
"""Seconds a harness that has answered ``start`` may take to answer ``pagesize``,
the request that shows it is still listening (at most ``start_timeout``)."""
MAX_CRASHES_PER_TEST = 3
"""Children that may die in one test; the last crash then stands for the rest of it."""
GUARD = Path(__file__).resolve().parent / "_guard.py"
VALIDATE_ENV = "MMAPSPEC_PIPE_VALIDATE"
LUA_HARNESS = Path(__file__).resolve().parent / "lua" / "harness.lua"
"""The LuaJIT harness shipped with the package: ``luajit {LUA_HARNESS} [MODULE]``."""


class ProtocolError(HarnessFailure):
    """The harness sent something the protocol does not allow (bad JSON, a wrong
    id, an unknown outcome, a line over its length limit, or, in validating mode,
    anything the schema rejects). The child is killed, since the conversation can
    no longer be trusted."""


class HarnessError(HarnessFailure):
    """The harness answered ``harness_error``: it failed in its own code (a bug,
    or a request it could not understand), not in the implementation under test.
    Also raised when a replacement child will not start."""


class ImplementationTimeout(HarnessFailure):
    """The child did not answer within the deadline and was killed (SIGKILL).

    A harness failure, not a crash: the runner cannot tell a harness stuck on its
    own pipe from a binding stuck in a call, and a deadline says nothing about any
    clause. A binding that dies by a signal is :class:`ImplementationCrashed`."""

    def __init__(self, op: str, timeout: float, detail: str) -> None:
        super().__init__(
            f"no answer to {op!r} within {timeout:g} s, so the harness was killed{detail}"
        )
        self.op = op
        self.timeout = timeout


# -- encoding --------------------------------------------------------------------


def encode_int(value: Any) -> Any:
    """An int beyond the doubles' exact range becomes a decimal string; anything
    else (including values of the wrong type that a test sends on purpose) is
    passed through untouched for the implementation to judge."""
    if type(value) is int and not -SAFE_INT <= value <= SAFE_INT:
        return str(value)
    return value


def decode_int(value: Any) -> Any:
    """The inverse of :func:`encode_int`."""
    if type(value) is not str:
        return value
    try:
        return int(value)
    except ValueError:
        raise ProtocolError(
            f"expected an integer (a number or decimal digits), got {value!r}"
        ) from None


def encode_file(file: FileRef) -> dict[str, Any]:
    out: dict[str, Any] = {"path": file.path, "kind": file.kind, "mode": file.mode}
    if file.pending:
        out["pending"] = base64.b64encode(file.pending).decode("ascii")
    return out


def decode_file(obj: dict[str, Any]) -> FileRef:
    return FileRef(
        path=obj["path"],
        kind=obj["kind"],
        mode=obj["mode"],
        pending=base64.b64decode(obj.get("pending", "")),
    )


def encode_capabilities(caps: Capabilities) -> dict[str, Any]:
    return {
        "file_kinds": sorted(caps.file_kinds),
        "access_modes": sorted(caps.access_modes),
        "call_forms": sorted(caps.call_forms),
        **{name: getattr(caps, name) for name in _BOOL_CAPABILITIES},
    }


def decode_capabilities(obj: dict[str, Any]) -> Capabilities:
    """A field the harness leaves out is not claimed: silence never promises support.

    A harness written before ``addr`` and ``alignment_helpers`` were split is known by
    its ``alignment_helpers`` field, and read as it meant: ``alignment_helpers`` claims
    ``pagesize`` and ``alignment``, and ``addr`` claims ``addr_request`` too. A new
    field it also sends wins."""
    flags = {name: obj.get(name) is True for name in _BOOL_CAPABILITIES}
    if "alignment_helpers" in obj:
        old = {
            "pagesize": obj["alignment_helpers"] is True,
            "alignment": obj["alignment_helpers"] is True,
            "addr_request": flags["addr"],
        }
        flags |= {name: claimed for name, claimed in old.items() if name not in obj}
    return Capabilities(
        file_kinds=frozenset(obj.get("file_kinds", ())),
        access_modes=frozenset(obj.get("access_modes", ())),
        call_forms=frozenset(obj.get("call_forms", ())),
        **flags,
    )


_BOOL_CAPABILITIES = tuple(
    name for name, value in vars(Capabilities()).items() if isinstance(value, bool)
)


T = TypeVar("T")


def _as_is(value: Any) -> Any:
    return value


def _decode_bytes(value: Any) -> bytes:
    if type(value) is not str:
        raise ProtocolError(f"expected base64 text, got {type(value).__name__}")
    return base64.b64decode(value, validate=True)


def _args(**kwargs: Any) -> dict[str, Any]:
    """Request arguments: None means "not given" and is left out of the message."""
    return {k: encode_int(v) for k, v in kwargs.items() if v is not None}


def line_limit(op: str, args: dict[str, Any]) -> int:
    """The longest response line a request may get: :data:`LINE_LIMIT`, plus the
    base64 of the bytes a ``read`` asks for, plus room for each map of a ``mirror``."""
    count = decode_count(args.get("length" if op == "read" else "times"))
    if op == "read":
        return LINE_LIMIT + 4 * ((count + 2) // 3)
    if op == "mirror":
        return LINE_LIMIT + MAP_ENTRY_LIMIT * count
    return LINE_LIMIT


def decode_count(value: Any) -> int:
    """A non-negative int from a request argument sent as given (0 for anything
    else, which the implementation refuses without a long answer)."""
    if type(value) is str:
        try:
            value = int(value)
        except ValueError:
            return 0
    return value if type(value) is int and value > 0 else 0


# -- validating mode -------------------------------------------------------------


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The protocol's JSON Schema (``protocol.schema.json``, shipped in the package)."""
    text = resources.files("mmapspec.adapters").joinpath("protocol.schema.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _response_validator(op: str) -> Any:
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

    return Draft202012Validator({"$ref": f"#/$defs/response_{op}", "$defs": schema()["$defs"]})


def schema_violation(op: str, message: Any) -> str | None:
    """Why ``message`` is not a valid response to an ``op`` request, or None.

    The answer names the JSON path of the offending part and the rule it breaks,
    which is what a harness author needs to fix it."""
    from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

    error = best_match(_response_validator(op).iter_errors(message))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(the whole message)"
    rule = "/".join(str(p) for p in error.absolute_schema_path)
    return f"at {where}: {error.message} (schema rule {rule})"


# -- one child process -------------------------------------------------------------


class _Child:
    """One running harness and the conversation with it."""

    def __init__(self, argv: list[str], timeout: float, validate: bool) -> None:
        self.argv = argv
        self.timeout = timeout
        self.validate = validate
        # A file, not a pipe: a chatty child can never block on a full stderr pipe,
        # and the tail is there to quote when it dies.
        # It lives as long as the child, so no `with` block (ruff SIM115).
        self.stderr = tempfile.TemporaryFile(prefix="mmapspec-pipe-stderr-")  # noqa: SIM115
        # The guard's lifeline: only this process holds the write end, so it
        # closes when this process dies, however it dies.
        watch, self.lifeline = os.pipe()
        try:
            self.proc = self._popen(argv, watch)
        except BaseException:
            self.stderr.close()
            os.close(self.lifeline)
            raise
        finally:
            os.close(watch)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.in_fd = self.proc.stdin.fileno()
        self.out_fd = self.proc.stdout.fileno()
        os.set_blocking(self.in_fd, False)
        self.buffer = bytearray()
        self.next_id = 0
        self.alive = True
        self.pid = self.proc.pid

    def _popen(self, argv: list[str], watch: int) -> subprocess.Popen[bytes]:
        # The kernel's parent-death signal fires when the *thread* that started the
        # child ends, so it is asked for only from the main thread, which lives as
        # long as the process; the lifeline pipe covers every other case.
        parent = os.getpid() if threading.current_thread() is threading.main_thread() else 0
        return subprocess.Popen(
            [sys.executable, "-I", "-S", str(GUARD), str(watch), str(parent), *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            bufsize=0,
            pass_fds=(watch,),
            # Its own process group: a timeout kills the harness and anything it
            # started (a shell wrapper's luajit), and the terminal's Ctrl-C goes to
            # the runner, which then stops the child in order.
            start_new_session=True,
        )

    # The two halves of one round trip ----------------------------------------

    def call(self, op: str, args: dict[str, Any], timeout: float | None = None) -> Any:
        """Send one request and return the value of its response, or raise the
        outcome it carries."""
        if not self.alive:
            raise RuntimeError("internal: call on a dead child")
        rid = self.next_id
        self.next_id += 1
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        line = json.dumps({"id": rid, "op": op, "args": args}, separators=(",", ":"))
        self._send(line.encode() + b"\n", op, deadline, limit)
        raw = self._receive(op, deadline, limit, line_limit(op, args))
        try:
            msg = json.loads(raw)
        except ValueError as exc:
            self._protocol_error(op, f"not JSON ({exc})", raw)
        if self.validate:
            why = schema_violation(op, msg)
            if why is not None:
                self._protocol_error(op, f"breaks the protocol schema {why}", raw)
        if type(msg) is not dict or msg.get("id") != rid:
            self._protocol_error(op, f"expected an object with id {rid}", raw)
        outcome = msg.get("outcome")
        if outcome == "value":
            return msg.get("value")
        if outcome == "errcode":
            errcode = msg.get("errcode")
            if not isinstance(errcode, (str, int)) or isinstance(errcode, bool):
                self._protocol_error(op, "has an errcode that is neither a string nor an int", raw)
            raise DocumentedFailure(errcode, str(msg.get("message", "")))
        if outcome == "raised":
            raise ArgumentError(str(msg.get("message", "")))
        if outcome == "unsupported":
            raise Unsupported(str(msg.get("capability", op)))
        if outcome == "harness_error":
            raise HarnessError(f"harness failed in {op!r}: {msg.get('message', '')}")
        self._protocol_error(op, f"unknown outcome {outcome!r}", raw)

    def _send(self, data: bytes, op: str, deadline: float, limit: float) -> None:
        view = memoryview(data)
        while view:
            try:
                written = os.write(self.in_fd, view)
            except BlockingIOError:
                # The pipe is full: the child is busy or stuck. Wait, but not forever.
                self._wait(self.in_fd, select_write=True, op=op, deadline=deadline, limit=limit)
                continue
            except BrokenPipeError:
                raise self._died(op) from None
            view = view[written:]

    def _receive(self, op: str, deadline: float, limit: float, longest: int) -> bytes:
        scanned = 0  # the buffer before this holds no newline: never scan it twice
        while True:
            end = self.buffer.find(b"\n", scanned)
            if end > longest or (end < 0 and len(self.buffer) > longest):
                self._protocol_error(
                    op,
                    f"is a line longer than the limit of {longest} bytes for this request "
                    "(PROTOCOL.md, Limits)",
                    bytes(self.buffer[:501]),
                )
            if end >= 0:
                line = bytes(self.buffer[:end])
                del self.buffer[: end + 1]
                return line
            scanned = len(self.buffer)
            self._wait(self.out_fd, select_write=False, op=op, deadline=deadline, limit=limit)
            chunk = os.read(self.out_fd, READ_CHUNK)
            if not chunk:
                raise self._died(op)
            self.buffer += chunk

    def _wait(self, fd: int, *, select_write: bool, op: str, deadline: float, limit: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining > 0:
            if select_write:
                ready = select.select([], [fd], [], remaining)[1]
            else:
                ready = select.select([fd], [], [], remaining)[0]
            if ready:
                return
        self.kill()
        raise ImplementationTimeout(op, limit, self._stderr_note())

    # Endings ---------------------------------------------------------------------

    def _died(self, op: str) -> ImplementationCrashed:
        """The child closed its end: collect how it died."""
        # One that closed stdout but lingers is killed below, and reported as SIGKILL.
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=STOP_GRACE)
        self.kill()
        code = self.proc.returncode
        sig = -code if code is not None and code < 0 else None
        exitcode = code if code is not None and code >= 0 else None
        return ImplementationCrashed(sig, exitcode, f"during {op!r}{self._stderr_note()}")

    def _protocol_error(self, op: str, why: str, raw: bytes) -> NoReturn:
        self.kill()
        shown = raw[:500].decode("utf-8", "replace") + ("..." if len(raw) > 500 else "")
        raise ProtocolError(f"harness answer to {op!r} {why}; the message was: {shown}")

    def stderr_tail(self) -> str:
        try:
            size = self.stderr.seek(0, os.SEEK_END)
            self.stderr.seek(max(0, size - STDERR_TAIL))
            return self.stderr.read().decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""

    def _stderr_note(self) -> str:
        tail = self.stderr_tail()
        return f"; stderr tail:\n{tail}" if tail else ""

    def kill(self) -> None:
        """Kill the child's whole process group and reap it."""
        self.alive = False
        self.buffer.clear()
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        if self.lifeline >= 0:
            os.close(self.lifeline)  # the guard, if somehow alive, kills what is left
            self.lifeline = -1

    def stop(self) -> None:
        """Ask the child to free everything and exit; kill it if it does not."""
        if self.alive:
            with contextlib.suppress(Exception):
                self.call("stop", {}, timeout=min(self.timeout, STOP_GRACE))
            with contextlib.suppress(OSError):
                self.proc.stdin.close()  # type: ignore[union-attr]  # EOF for a wrapper (tee, sh)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=STOP_GRACE)
        self.kill()
        self.stderr.close()


# -- the adapter -------------------------------------------------------------------


def _seconds(name: str, value: str | float) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise AdapterLoadError(f"pipe: {name} must be a number of seconds, got {value!r}") from None
    if not seconds > 0:
        raise AdapterLoadError(f"pipe: {name} must be > 0, got {value!r}")
    return seconds


def _flag(value: str | int | bool | None) -> bool:
    if isinstance(value, (bool, int)):
        return bool(value)
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


class PipeAdapter(Adapter):
    """An implementation served by a harness in a child process (see ``PROTOCOL.md``).

    Options (strings, as given with ``--adapter-option``):

    * ``pipe_cmd``: the command, split with :func:`shlex.split`; it inherits the
      runner's working directory and environment.
    * ``timeout``: seconds allowed per request (default :data:`DEFAULT_TIMEOUT`).
    * ``start_timeout``: seconds allowed to start and answer ``start`` (default: the
      larger of :data:`DEFAULT_START_TIMEOUT` and ``timeout``).
    * ``validate``: ``1`` to check every message the harness sends against
      ``protocol.schema.json`` (also enabled by the environment variable
      ``MMAPSPEC_PIPE_VALIDATE=1``). A violation fails the operation with a
      :class:`ProtocolError` naming the JSON path and the rule broken.

    The runner calls :meth:`begin_test` before each test: a harness failure, or
    :data:`MAX_CRASHES_PER_TEST` crashes, fail the rest of the test at once.
    """

    name = "pipe"

    def __init__(
        self,
        pipe_cmd: str,
        timeout: str | float = DEFAULT_TIMEOUT,
        validate: str | int | bool | None = None,
        start_timeout: str | float | None = None,
    ) -> None:
        self.pipe_cmd = pipe_cmd
        try:
            self.argv = shlex.split(pipe_cmd)
        except ValueError as exc:
            raise AdapterLoadError(f"pipe: cannot parse pipe_cmd {pipe_cmd!r}: {exc}") from None
        if not self.argv:
            raise AdapterLoadError("pipe: pipe_cmd is empty; give the command that runs a harness")
        self.timeout = _seconds("timeout", timeout)
        self.start_timeout = (
            max(DEFAULT_START_TIMEOUT, self.timeout)
            if start_timeout is None
            else _seconds("start_timeout", start_timeout)
        )
        self.validate = (
            _flag(validate) if validate is not None else _flag(os.environ.get(VALIDATE_ENV))
        )
        self._child: _Child | None = None
        self._generation = 0
        self._failure: HarnessFailure | ImplementationCrashed | None = None
        self._crashes = 0
        self._failed_op = ""
        self._crash: tuple[ImplementationCrashed, object, str] | None = None
        self._pagesize: int | None = None
        # Handles seen by tests are ours: a fresh child numbers its maps afresh,
        # so a dead child's handle must never reach the new one.
        self._handles: dict[Handle, tuple[int, Any]] = {}
        self._handle_of: dict[tuple[int, Any], Handle] = {}
        self.implementation: dict[str, Any] = {}
        self._start()

    # -- children ------------------------------------------------------------------

    def _start(self) -> _Child:
        """Start a child and shake hands; any failure is one line (AdapterLoadError)."""
        why = _not_runnable(self.argv[0])
        if why is not None:
            raise AdapterLoadError(f"pipe: cannot run {self.pipe_cmd!r}: {why}")
        try:
            child = _Child(self.argv, self.timeout, self.validate)
        except OSError as exc:
            raise AdapterLoadError(
                f"pipe: cannot run {self.pipe_cmd!r}: {exc.strerror or exc}"
            ) from None
        try:
            hello = child.call("start", {"protocol": PROTOCOL_VERSION}, self.start_timeout)
            if type(hello) is not dict:
                raise ProtocolError(f"start answered {hello!r}, not an object")
            if hello.get("protocol") != PROTOCOL_VERSION:
                theirs = hello.get("protocol")
                raise ProtocolError(
                    f"harness speaks protocol {theirs!r}, runner {PROTOCOL_VERSION}"
                )
            caps = decode_capabilities(hello.get("capabilities") or {})
            impl = hello.get("implementation") or {}
            pid = hello.get("pid")
            self._probe(child)
        except Exception as exc:  # whatever went wrong, the runner prints one line
            line = _one_line(exc, child)
            child.stop()
            raise AdapterLoadError(f"pipe: {self.pipe_cmd!r} did not start: {line}") from None
        except BaseException:  # Ctrl-C during the handshake: leave no child behind
            child.stop()
            raise
        if type(pid) is int and pid > 0:
            child.pid = pid  # the process holding the maps, even behind a wrapper
        if self._generation == 0:
            self.capabilities = caps
            self.implementation = impl
            self.name = str(impl.get("name", "pipe"))
            self.version = str(impl.get("version", "0"))
        self._generation += 1
        self._child = child
        return child

    def _probe(self, child: _Child) -> None:
        """Is the harness still listening after ``start``? One that answers ``start``
        and nothing else would otherwise cost every test a whole ``timeout``."""
        try:
            size = child.call("pagesize", {}, min(PROBE_TIMEOUT, self.start_timeout))
        except (DocumentedFailure, ArgumentError, Unsupported, HarnessError):
            return  # an answer, whatever it says
        with contextlib.suppress(ProtocolError):
            if type(decode_int(size)) is int:
                self._pagesize = decode_int(size)

    def begin_test(self) -> None:
        """A new test begins: forget the failure and the crashes of the last one.

        Until then, a :class:`~mmapspec.adapters.interface.HarnessFailure`, or the
        crash that used up :data:`MAX_CRASHES_PER_TEST`, is raised again at once by
        every call, without starting a child. A crash inside a Hypothesis example
        also fails every later example of the test that way, so that Hypothesis
        replaying the example sees it fail as it did, rather than calling the test
        flaky when a fresh child passes it.

        One exception: ``pagesize``, a constant of the binding, is answered with the
        last page size a child gave, unless ``pagesize`` is what failed. Tests draw
        their values from the page size, and Hypothesis calls a test flaky when a
        replay stops before the draws that the failing example made."""
        self._failure = None
        self._failed_op = ""
        self._crashes = 0
        self._crash = None

    def _live_child(self) -> _Child:
        """The running child, or a fresh one (a failure to start one is a harness failure)."""
        self._check()
        if self._child is not None and self._child.alive:
            return self._child
        try:
            return self._start()
        except AdapterLoadError as exc:
            raise HarnessError(str(exc)) from None

    def _call(self, op: str, args: dict[str, Any], convert: Callable[[Any], T] = _as_is) -> T:
        """One request; ``convert`` turns its value into the method's result (a value
        it cannot convert is a :class:`ProtocolError`, like any broken message)."""
        try:
            child = self._live_child()
            try:
                value = child.call(op, args)
                try:
                    return convert(value)
                except (ProtocolError, LookupError, TypeError, ValueError) as exc:
                    child.kill()
                    why = str(exc) if isinstance(exc, ProtocolError) else f"{exc!r}"
                    shown = repr(value)[:500]
                    raise ProtocolError(
                        f"harness answer to {op!r} has a malformed value: {why}; the value was: "
                        f"{shown}"
                    ) from None
            finally:
                if not child.alive:  # crashed, timed out or broke the protocol
                    child.stop()
                    self._child = None
        except (HarnessFailure, ImplementationCrashed) as exc:
            if exc is not self._failure:
                self._record(exc, op)
            failure = exc
        self._raise(failure)

    def _record(self, exc: HarnessFailure | ImplementationCrashed, op: str) -> None:
        if isinstance(exc, ImplementationCrashed):
            self._crashes += 1
            if self._crashes < MAX_CRASHES_PER_TEST:
                self._crash = (exc, _hypothesis_example(), op)
                return
        self._failure, self._failed_op = exc, op

    @property
    def failure(self) -> HarnessFailure | ImplementationCrashed | None:
        """The failure standing for the rest of this test, if any (see :meth:`begin_test`)."""
        if self._failure is None and self._crash is not None:
            crash, example, op = self._crash
            if example is not None and example is not _hypothesis_example():
                self._failure, self._failed_op = crash, op
        return self._failure

    def _check(self) -> None:
        """Raise the standing failure, if any."""
        failure = self.failure
        if failure is not None:
            self._raise(failure)

    @staticmethod
    def _raise(failure: HarnessFailure | ImplementationCrashed) -> NoReturn:
        # Every failure reaches the test from this one line with a traceback that
        # starts here: Hypothesis tells failures apart by the innermost frame, and
        # a replay failing at once must count as the same failure.
        raise failure.with_traceback(None)

    def _theirs(self, handle: Handle) -> Any:
        self._check()
        try:
            generation, theirs = self._handles[handle]
        except (KeyError, TypeError):
            raise ArgumentError(
                f"handle {handle!r}: no map or mirror was ever given this handle"
            ) from None
        if generation != self._generation or self._child is None:
            raise ArgumentError(
                f"handle {handle!r}: its harness process died, and its maps with it"
            )
        return theirs

    def _ours(self, theirs: Any) -> Handle:
        key = (self._generation, theirs)
        handle = self._handle_of.get(key)
        if handle is None:
            handle = len(self._handles) + 1
            self._handles[handle] = key
            self._handle_of[key] = handle
        return handle

    def _map_info(self, value: dict[str, Any]) -> MapInfo:
        return MapInfo(
            self._ours(value["handle"]), decode_int(value["addr"]), decode_int(value["size"])
        )

    def _mirror_info(self, value: dict[str, Any]) -> MirrorInfo:
        return MirrorInfo(
            self._ours(value["handle"]),
            decode_int(value["addr"]),
            decode_int(value["size"]),
            tuple(self._map_info(m) for m in value["maps"]),
        )

    # -- the documented API ----------------------------------------------------------

    def pagesize(self) -> int:
        failed = self.failure is not None and self._failed_op != "pagesize"
        if failed and self._pagesize is not None:
            return self._pagesize
        size: int = self._call("pagesize", {}, decode_int)
        self._pagesize = size
        return size

    def aligned_size(self, size: int, dir: Direction | None = None) -> int:
        return self._call("aligned_size", _args(size=size, dir=dir), decode_int)  # type: ignore[no-any-return]

    def aligned_addr(self, addr: int, dir: Direction | None = None) -> int:
        return self._call("aligned_addr", _args(addr=addr, dir=dir), decode_int)  # type: ignore[no-any-return]

    def map(
        self,
        file: FileRef | None = None,
        access: str | None = None,
        size: int | None = None,
        offset: int | None = None,
        addr: int | None = None,
        tagname: str | None = None,
        *,
        form: CallForm = "table",
    ) -> MapInfo:
        args = _args(access=access, size=size, offset=offset, addr=addr, tagname=tagname, form=form)
        if file is not None:
            args["file"] = encode_file(file)
        return self._call("map", args, self._map_info)

    def flush(
        self,
        handle: Handle,
        async_: bool | None = None,
        addr: int | None = None,
        size: int | None = None,
    ) -> bool:
        args = _args(async_=async_, addr=addr, size=size)
        if "async_" in args:
            args["async"] = args.pop("async_")
        args["handle"] = self._theirs(handle)
        return self._call("flush", args)

    def free(self, handle: Handle) -> None:
        self._call("free", {"handle": self._theirs(handle)})

    def unlink_map(self, handle: Handle) -> None:
        self._call("unlink_map", {"handle": self._theirs(handle)})

    def unlink(self, tagname: str) -> None:
        self._call("unlink", {"tagname": tagname})

    def mirror(
        self,
        file: FileRef | None,
        size: int | None,
        times: int | None = None,
        addr: int | None = None,
        *,
        form: CallForm = "table",
    ) -> MirrorInfo:
        args = _args(size=size, times=times, addr=addr, form=form)
        if file is not None:
            args["file"] = encode_file(file)
        return self._call("mirror", args, self._mirror_info)

    def filesize(self, file: FileRef, size: int | None = None) -> int:
        args = _args(size=size)
        args["file"] = encode_file(file)
        return self._call("filesize", args, decode_int)  # type: ignore[no-any-return]

    def read(self, handle: Handle, offset: int, length: int) -> bytes:
        args = _args(offset=offset, length=length)
        args["handle"] = self._theirs(handle)
        return self._call("read", args, _decode_bytes)

    def write(self, handle: Handle, offset: int, data: bytes) -> None:
        args = _args(offset=offset)
        args["handle"] = self._theirs(handle)
        args["data"] = base64.b64encode(data).decode("ascii")
        self._call("write", args)

    # -- process and lifetime ----------------------------------------------------------

    @property
    def pid(self) -> int:
        return self._live_child().pid

    @contextlib.contextmanager
    def isolated(self, timeout: float | None = None) -> Iterator[Adapter]:
        """Another child of the same command, stopped when the context exits."""
        per_call = self.timeout if timeout is None else timeout
        with PipeAdapter(self.pipe_cmd, per_call, self.validate, self.start_timeout) as other:
            other.spec = self.spec
            yield other

    def close(self) -> None:
        if self._child is not None:
            self._child.stop()
            self._child = None

    def __enter__(self) -> PipeAdapter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _one_line(exc: BaseException, child: _Child) -> str:
    """A harness that fails to load usually says why on its last stderr line."""
    if isinstance(exc, (ImplementationCrashed, ImplementationTimeout)):
        if isinstance(exc, ImplementationTimeout):
            how = f"no answer to {exc.op!r} within {exc.timeout:g} s"
        elif exc.signal is not None:
            how = f"killed by signal {exc.signal}"
        else:
            how = f"exited with code {exc.exitcode}"
        lines = [ln for ln in child.stderr_tail().splitlines() if ln.strip()]
        return f"{how}" + (f": {lines[-1].strip()}" if lines else " (no stderr output)")
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _not_runnable(program: str) -> str | None:
    """Why ``program`` cannot be run, or None. Asked before starting it, because
    the guard starts it, and the guard's failure to would only be an exit status."""
    if shutil.which(program) is not None:
        return None
    if os.sep not in program:
        return f"{os.strerror(errno.ENOENT)} (not found on PATH)"
    return os.strerror(errno.ENOENT if not os.path.exists(program) else errno.EACCES)


def _hypothesis_example() -> object | None:
    """The Hypothesis example running now (its build context), or None."""
    control = sys.modules.get("hypothesis.control")
    if control is None:
        return None
    try:
        return control.current_build_context()  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001 - Hypothesis says "no build context" by raising
        return None


def harness_command(spec: AdapterSpec) -> list[str]:
    """The command serving an in-process adapter through the Python harness."""
    argv = [sys.executable, "-m", "mmapspec.adapters.harness", "--adapter", spec.name]
    for key, value in spec.options:
        argv += ["--adapter-option", f"{key}={value}"]
    return argv


def serve_isolated(spec: AdapterSpec, timeout: float | None = None) -> PipeAdapter:
    """A fresh process serving the implementation ``spec`` names, as a
    :class:`PipeAdapter` (also a context manager that stops it).

    A ``pipe`` spec starts its own command again; any other spec is served by
    ``python -m mmapspec.adapters.harness`` with the same name and options."""
    if spec.name == "pipe":
        options = dict(spec.options)
        if "pipe_cmd" not in options:
            raise AdapterLoadError("pipe: the pipe_cmd option is required")
        if timeout is not None:
            options["timeout"] = str(timeout)
        adapter = PipeAdapter(**options)
    else:
        command = shlex.join(harness_command(spec))
        adapter = PipeAdapter(command) if timeout is None else PipeAdapter(command, timeout)
    adapter.spec = spec
    return adapter


__all__ = [
    "LUA_HARNESS",
    "PROTOCOL_VERSION",
    "HarnessError",
    "ImplementationTimeout",
    "PipeAdapter",
    "ProtocolError",
    "harness_command",
    "schema",
    "schema_violation",
    "serve_isolated",
]
