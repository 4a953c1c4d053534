"""The pipe adapter: any implementation, in any language, in a child process.

The child is a *harness* that speaks the line-delimited JSON protocol of
``PROTOCOL.md`` on its stdin and stdout (its stderr is free for logs). This module
is the runner's end of that protocol:

* :class:`PipeAdapter` runs a command (``--adapter pipe --adapter-option
  pipe_cmd='luajit adapters/lua/harness.lua'``), performs the ``start`` handshake,
  and turns every :class:`~mmapspec.adapters.interface.Adapter` method into
  exactly one request.
* Every request has a deadline. A child that does not answer in time is killed
  and the operation raises :class:`ImplementationTimeout`; the run never hangs.
* A child that dies during an operation (the doc promises crashes for some
  misuses) raises :class:`~mmapspec.adapters.interface.ImplementationCrashed` for
  that operation. The next operation transparently starts a fresh child; handles
  of the dead child are rejected with an :class:`ArgumentError` naming why.
* :func:`serve_isolated` gives :meth:`Adapter.isolated` a second instance of an
  implementation in its own process.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

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
VALIDATE_ENV = "MMAPSPEC_PIPE_VALIDATE"
LUA_HARNESS = Path(__file__).resolve().parent / "lua" / "harness.lua"
"""The LuaJIT harness shipped with the package: ``luajit {LUA_HARNESS} [MODULE]``."""


class ProtocolError(Exception):
    """The harness sent something the protocol does not allow (bad JSON, a wrong
    id, an unknown outcome, or, in validating mode, anything the schema rejects).
    The child is killed, since the conversation can no longer be trusted."""


class HarnessError(Exception):
    """The harness answered ``harness_error``: it failed in its own code (a bug,
    or a request it could not understand), not in the implementation under test."""


class ImplementationTimeout(ImplementationCrashed):
    """The child did not answer within the deadline and was killed (SIGKILL)."""

    def __init__(self, op: str, timeout: float, detail: str) -> None:
        super().__init__(
            int(signal.SIGKILL),
            None,
            f"no answer to {op!r} within {timeout:g} s, so the harness was killed{detail}",
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


def _args(**kwargs: Any) -> dict[str, Any]:
    """Request arguments: None means "not given" and is left out of the message."""
    return {k: encode_int(v) for k, v in kwargs.items() if v is not None}


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
        try:
            self.proc = self._popen(argv)
        except BaseException:
            self.stderr.close()
            raise
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.in_fd = self.proc.stdin.fileno()
        self.out_fd = self.proc.stdout.fileno()
        os.set_blocking(self.in_fd, False)
        self.buffer = bytearray()
        self.next_id = 0
        self.alive = True
        self.pid = self.proc.pid

    def _popen(self, argv: list[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            bufsize=0,
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
        raw = self._receive(op, deadline, limit)
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
            raise DocumentedFailure(msg.get("errcode"), str(msg.get("message", "")))
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

    def _receive(self, op: str, deadline: float, limit: float) -> bytes:
        while True:
            end = self.buffer.find(b"\n")
            if end >= 0:
                line = bytes(self.buffer[:end])
                del self.buffer[: end + 1]
                return line
            self._wait(self.out_fd, select_write=False, op=op, deadline=deadline, limit=limit)
            chunk = os.read(self.out_fd, 1 << 16)
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

    def _protocol_error(self, op: str, why: str, raw: bytes) -> Any:
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
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

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
        # Handles seen by tests are ours: a fresh child numbers its maps afresh,
        # so a dead child's handle must never reach the new one.
        self._handles: dict[Handle, tuple[int, Any]] = {}
        self._handle_of: dict[tuple[int, Any], Handle] = {}
        self.implementation: dict[str, Any] = {}
        self._start()

    # -- children ------------------------------------------------------------------

    def _start(self) -> _Child:
        """Start a child and shake hands; any failure is one line (AdapterLoadError)."""
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

    def _call(self, op: str, args: dict[str, Any]) -> Any:
        child = self._child if self._child is not None and self._child.alive else self._start()
        try:
            return child.call(op, args)
        finally:
            if not child.alive:  # crashed, timed out or broke the protocol
                child.stop()
                self._child = None

    def _theirs(self, handle: Handle) -> Any:
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

    # -- the documented API ----------------------------------------------------------

    def pagesize(self) -> int:
        return decode_int(self._call("pagesize", {}))  # type: ignore[no-any-return]

    def aligned_size(self, size: int, dir: Direction | None = None) -> int:
        return decode_int(self._call("aligned_size", _args(size=size, dir=dir)))  # type: ignore[no-any-return]

    def aligned_addr(self, addr: int, dir: Direction | None = None) -> int:
        return decode_int(self._call("aligned_addr", _args(addr=addr, dir=dir)))  # type: ignore[no-any-return]

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
        return self._map_info(self._call("map", args))

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
        return self._call("flush", args)  # type: ignore[no-any-return]

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
        value = self._call("mirror", args)
        return MirrorInfo(
            self._ours(value["handle"]),
            decode_int(value["addr"]),
            decode_int(value["size"]),
            tuple(self._map_info(m) for m in value["maps"]),
        )

    def filesize(self, file: FileRef, size: int | None = None) -> int:
        args = _args(size=size)
        args["file"] = encode_file(file)
        return decode_int(self._call("filesize", args))  # type: ignore[no-any-return]

    def read(self, handle: Handle, offset: int, length: int) -> bytes:
        args = _args(offset=offset, length=length)
        args["handle"] = self._theirs(handle)
        return base64.b64decode(self._call("read", args))

    def write(self, handle: Handle, offset: int, data: bytes) -> None:
        args = _args(offset=offset)
        args["handle"] = self._theirs(handle)
        args["data"] = base64.b64encode(data).decode("ascii")
        self._call("write", args)

    # -- process and lifetime ----------------------------------------------------------

    @property
    def pid(self) -> int:
        child = self._child if self._child is not None and self._child.alive else self._start()
        return child.pid

    @contextlib.contextmanager
    def isolated(self) -> Iterator[Adapter]:
        """Another child of the same command, stopped when the context exits."""
        with PipeAdapter(self.pipe_cmd, self.timeout, self.validate, self.start_timeout) as other:
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
    if isinstance(exc, ImplementationCrashed):
        how = (
            f"killed by signal {exc.signal}"
            if exc.signal is not None
            else f"exited with code {exc.exitcode}"
        )
        if isinstance(exc, ImplementationTimeout):
            how = f"no answer to 'start' within {exc.timeout:g} s"
        lines = [ln for ln in child.stderr_tail().splitlines() if ln.strip()]
        return f"{how}" + (f": {lines[-1].strip()}" if lines else " (no stderr output)")
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def harness_command(spec: AdapterSpec) -> list[str]:
    """The command serving an in-process adapter through the Python harness."""
    argv = [sys.executable, "-m", "mmapspec.adapters.harness", "--adapter", spec.name]
    for key, value in spec.options:
        argv += ["--adapter-option", f"{key}={value}"]
    return argv


def serve_isolated(spec: AdapterSpec) -> PipeAdapter:
    """A fresh process serving the implementation ``spec`` names, as a
    :class:`PipeAdapter` (also a context manager that stops it).

    A ``pipe`` spec starts its own command again; any other spec is served by
    ``python -m mmapspec.adapters.harness`` with the same name and options."""
    if spec.name == "pipe":
        options = dict(spec.options)
        if "pipe_cmd" not in options:
            raise AdapterLoadError("pipe: the pipe_cmd option is required")
        adapter = PipeAdapter(**options)
    else:
        adapter = PipeAdapter(shlex.join(harness_command(spec)))
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
