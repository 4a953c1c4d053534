"""The runner's end of the pipe: :class:`PipeAdapter`, the adapter interface as
requests to a harness in a child process (see the package's docstring)."""

from __future__ import annotations

import contextlib
import os
import shlex
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from mmapspec.adapters import AdapterLoadError
from mmapspec.adapters.interface import (
    Adapter,
    CallForm,
    Direction,
    FileRef,
    Handle,
    HarnessFailure,
    ImplementationCrashed,
    MapInfo,
    MirrorInfo,
)
from mmapspec.adapters.operations import OPERATION, Wire
from mmapspec.adapters.pipe.child import Child
from mmapspec.adapters.pipe.child_handles import ChildHandles
from mmapspec.adapters.pipe.codec import RESULT_DECODERS, WIRE_ENCODERS, decode_int
from mmapspec.adapters.pipe.errors import HarnessError, ProtocolError
from mmapspec.adapters.pipe.failures import Failure, FailureLedger, raise_failure
from mmapspec.adapters.pipe.startup import handshake, not_runnable, start_failure
from mmapspec.adapters.pipe.triage import CallLog, replay_in, triage

DEFAULT_TIMEOUT = 60.0
"""Seconds a harness may take to answer one request (generous: some clauses fill
a disk or map gigabytes). Override with ``--adapter-option timeout=SECONDS``."""
DEFAULT_START_TIMEOUT = 30.0
"""Seconds a harness may take to start and answer ``start`` (at least ``timeout``):
an interpreter loading a binding on a busy CI machine can be slow."""
VALIDATE_ENV = "MMAPSPEC_PIPE_VALIDATE"
REPLAY_TIMEOUT = 10.0
"""Seconds a replaying child may take per call while a crash is triaged."""

T = TypeVar("T")


def _as_is(value: Any) -> Any:
    return value


def _decoded(child: Child, op: str, value: Any, decode: Callable[[Any], T]) -> T:
    """``decode(value)``; a value it cannot decode breaks the protocol and kills ``child``."""
    try:
        return decode(value)
    except (ProtocolError, LookupError, TypeError, ValueError) as exc:
        child.kill()
        why = str(exc) if isinstance(exc, ProtocolError) else f"{exc!r}"
        raise ProtocolError(
            f"harness answer to {op!r} has a malformed value: {why}; the value was: "
            f"{repr(value)[:500]}"
        ) from None


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
        triage: str | int | bool | None = True,
    ) -> None:
        self.pipe_cmd = pipe_cmd
        self.triage = _flag(triage)
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
        self._child: Child | None = None
        self._generation = 0
        self._failures = FailureLedger()
        self._pagesize: int | None = None
        self._handles = ChildHandles()
        self._log = CallLog()
        self.implementation: dict[str, Any] = {}
        self._start()

    # -- children ------------------------------------------------------------------

    def _start(self) -> Child:
        """Start a child and shake hands; any failure is one line (AdapterLoadError)."""
        why = not_runnable(self.argv[0])
        if why is not None:
            raise AdapterLoadError(f"pipe: cannot run {self.pipe_cmd!r}: {why}")
        try:
            child = Child(self.argv, self.timeout, self.validate)
        except OSError as exc:
            raise AdapterLoadError(
                f"pipe: cannot run {self.pipe_cmd!r}: {exc.strerror or exc}"
            ) from None
        try:
            hello = handshake(child, self.start_timeout)
        except Exception as exc:  # whatever went wrong, the runner prints one line
            line = start_failure(exc, child)
            child.stop()
            raise AdapterLoadError(f"pipe: {self.pipe_cmd!r} did not start: {line}") from None
        except BaseException:  # Ctrl-C during the handshake: leave no child behind
            child.stop()
            raise
        if hello.pid is not None:
            child.pid = hello.pid
        if hello.pagesize is not None:
            self._pagesize = hello.pagesize
        if self._generation == 0:
            self.capabilities = hello.capabilities
            self.implementation = hello.implementation
            self.name = str(hello.implementation.get("name", "pipe"))
            self.version = str(hello.implementation.get("version", "0"))
        self._generation += 1
        self._child = child
        self._log = CallLog()  # the calls this child received, for crash triage
        return child

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
        self._failures.reset()
        self._log.begin_test()

    @property
    def failure(self) -> Failure | None:
        """The failure standing for the rest of this test, if any (see :meth:`begin_test`)."""
        return self._failures.standing

    def _live_child(self) -> Child:
        """The running child, or a fresh one (a failure to start one is a harness failure)."""
        self._failures.check()
        if self._child is not None and self._child.alive:
            return self._child
        try:
            return self._start()
        except AdapterLoadError as exc:
            raise HarnessError(str(exc)) from None

    def _operation(self, op: str, args: dict[str, Any], decode: Callable[[Any], T] = _as_is) -> T:
        """One operation of the API as one request: ``decode`` turns the response's
        value into the method's result (a value it cannot decode is a
        :class:`ProtocolError`, like any broken message), and a failure is recorded
        to stand for the rest of the test (see :meth:`begin_test`)."""
        failure: Failure
        log: CallLog | None = None  # None: no call was sent (a standing failure)
        try:
            child = self._live_child()
            log = self._log
            call = log.record(op, args)
            try:
                value = child.round_trip(op, args)
                if call is not None:
                    call.value = value
                return _decoded(child, op, value, decode)
            finally:
                if not child.alive:  # crashed, timed out or broke the protocol
                    child.stop()
                    self._child = None
        except ImplementationCrashed as exc:
            failure = self._triaged(log, exc, op) if self.triage and log is not None else exc
            self._failures.record(failure, op)
        except HarnessFailure as exc:
            self._failures.record(exc, op)
            failure = exc
        raise_failure(failure)

    def _triaged(
        self, log: CallLog, crash: ImplementationCrashed, op: str
    ) -> ImplementationCrashed:
        """The crash, triaged in fresh children (see :mod:`triage`)."""

        def fresh() -> Child:
            child = Child(self.argv, min(self.timeout, REPLAY_TIMEOUT), self.validate)
            handshake(child, self.start_timeout)
            return child

        try:
            return triage(log, crash, op, lambda calls: replay_in(fresh, calls))
        except Exception as exc:  # a replay that cannot start: the crash as it was seen
            why = f"{crash.detail} (not triaged: {type(exc).__name__}: {exc})"
            return ImplementationCrashed(crash.signal, crash.exitcode, why)

    def _theirs(self, handle: Handle) -> Any:
        self._failures.check()
        return self._handles.theirs(handle, self._generation if self._child is not None else 0)

    def _map_info(self, value: dict[str, Any]) -> MapInfo:
        return MapInfo(
            self._handles.ours(self._generation, value["handle"]),
            decode_int(value["addr"]),
            decode_int(value["size"]),
        )

    def _mirror_info(self, value: dict[str, Any]) -> MirrorInfo:
        return MirrorInfo(
            self._handles.ours(self._generation, value["handle"]),
            decode_int(value["addr"]),
            decode_int(value["size"]),
            tuple(self._map_info(m) for m in value["maps"]),
        )

    def _call(self, op: str, **given: Any) -> Any:
        """Operation ``op`` of the table (``operations.py``) as one request: each argument
        encoded by its wire type (None: not given, left out), the value decoded by
        the operation's result type."""
        spec = OPERATION[op]
        args = {}
        for arg in spec.args:
            value = given[arg.name]
            if value is not None:
                args[arg.request_key] = self._encode(arg.wire, value)
        if spec.result == "mapinfo":
            decode: Callable[[Any], Any] = self._map_info
        elif spec.result == "mirrorinfo":
            decode = self._mirror_info
        else:
            decode = RESULT_DECODERS[spec.result]
        return self._operation(op, args, decode)

    def _encode(self, wire: Wire, value: Any) -> Any:
        if wire == "handle":
            return self._theirs(value)
        return WIRE_ENCODERS[wire](value)

    # -- the documented API: one request each, made from the table -------------------

    def pagesize(self) -> int:
        failed = self.failure is not None and self._failures.failed_op != "pagesize"
        if failed and self._pagesize is not None:
            return self._pagesize
        size: int = self._call("pagesize")
        self._pagesize = size
        return size

    def aligned_size(self, size: int, dir: Direction | None = None) -> int:
        return self._call("aligned_size", size=size, dir=dir)  # type: ignore[no-any-return]

    def aligned_addr(self, addr: int, dir: Direction | None = None) -> int:
        return self._call("aligned_addr", addr=addr, dir=dir)  # type: ignore[no-any-return]

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
        return self._call(  # type: ignore[no-any-return]
            "map",
            file=file,
            access=access,
            size=size,
            offset=offset,
            addr=addr,
            tagname=tagname,
            form=form,
        )

    def flush(
        self,
        handle: Handle,
        async_: bool | None = None,
        addr: int | None = None,
        size: int | None = None,
    ) -> bool:
        return self._call("flush", handle=handle, async_=async_, addr=addr, size=size)  # type: ignore[no-any-return]

    def free(self, handle: Handle) -> None:
        self._call("free", handle=handle)

    def unlink_map(self, handle: Handle) -> None:
        self._call("unlink_map", handle=handle)

    def unlink(self, tagname: str) -> None:
        self._call("unlink", tagname=tagname)

    def mirror(
        self,
        file: FileRef | None,
        size: int | None,
        times: int | None = None,
        addr: int | None = None,
        *,
        form: CallForm = "table",
    ) -> MirrorInfo:
        return self._call("mirror", file=file, size=size, times=times, addr=addr, form=form)  # type: ignore[no-any-return]

    def filesize(self, file: FileRef, size: int | None = None) -> int:
        return self._call("filesize", file=file, size=size)  # type: ignore[no-any-return]

    def read(self, handle: Handle, offset: int, length: int) -> bytes:
        return self._call("read", handle=handle, offset=offset, length=length)  # type: ignore[no-any-return]

    def write(self, handle: Handle, offset: int, data: bytes) -> None:
        self._call("write", handle=handle, offset=offset, data=data)

    # -- process and lifetime ----------------------------------------------------------

    @property
    def pid(self) -> int:
        return self._live_child().pid

    @contextlib.contextmanager
    def isolated(self, timeout: float | None = None) -> Iterator[Adapter]:
        """Another child of the same command, stopped when the context exits."""
        per_call = self.timeout if timeout is None else timeout
        # An isolated child runs one test's calls from its start: its crash is that
        # test's own, with nothing earlier to triage.
        with PipeAdapter(
            self.pipe_cmd, per_call, self.validate, self.start_timeout, triage=False
        ) as other:
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
