"""The pipe adapter against real child processes: the Python harness serving the
tiny libc adapter, and a deliberately misbehaving harness."""

from __future__ import annotations

import os
import shlex
import signal
import sys
import time
from pathlib import Path

import pytest
from conftest import HERE, TINY, python_harness
from mmapspec.adapters import AdapterLoadError, AdapterSpec, load
from mmapspec.adapters.interface import (
    Adapter,
    ArgumentError,
    DocumentedFailure,
    FileRef,
    HarnessFailure,
    ImplementationCrashed,
    Unsupported,
)
from mmapspec.adapters.pipe import (
    ImplementationTimeout,
    PipeAdapter,
    ProtocolError,
    serve_isolated,
)
from mmapspec.adapters.pipe.errors import UnconvertedError
from mmapspec.spec.support import isolated
from tiny_adapter import TinyAdapter

BAD = f"{shlex.quote(sys.executable)} {shlex.quote(str(HERE / 'bad_harness.py'))}"


def dead(pid: int) -> bool:
    """Gone, or a zombie nobody reaped (containers without an init)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


@pytest.fixture
def pipe(tiny_cmd: str):  # type: ignore[no-untyped-def]
    with PipeAdapter(tiny_cmd, timeout=20, validate=True) as adapter:
        yield adapter


def test_handshake_declares_the_served_adapter(pipe: PipeAdapter) -> None:
    assert (pipe.name, pipe.version) == (TinyAdapter.name, TinyAdapter.version)
    assert pipe.capabilities == TinyAdapter.capabilities
    assert pipe.pid != os.getpid() and not dead(pipe.pid)
    assert Path(f"/proc/{pipe.pid}/cmdline").read_bytes().split(b"\0")[:3] == [
        sys.executable.encode(),
        b"-m",
        b"mmapspec.adapters.harness",
    ]


def test_values_equal_in_process(pipe: PipeAdapter) -> None:
    local = TinyAdapter()
    for args in [(1,), (4096,), (4097, "left"), (2**53 + 1,), (2**64 + 5, "left"), (-3,)]:
        assert pipe.aligned_size(*args) == local.aligned_size(*args), args
    assert pipe.pagesize() == local.pagesize()
    assert pipe.aligned_addr(2**63 + 7, "right") == local.aligned_addr(2**63 + 7, "right")


def test_bytes_reach_the_childs_memory_and_the_file(pipe: PipeAdapter, tmpfile: Path) -> None:
    m = pipe.map(FileRef(str(tmpfile)), "w", 10_000)
    assert m.size == 10_000 and m.addr is not None
    # the map lives in the child's address space, not ours
    maps = Path(f"/proc/{pipe.pid}/maps").read_text()
    assert str(tmpfile) in maps and str(tmpfile) not in Path("/proc/self/maps").read_text()
    data = bytes(range(256)) * 30
    pipe.write(m.handle, 1000, data)
    assert pipe.read(m.handle, 1000, len(data)) == data
    assert pipe.read(m.handle, 0, 0) == b""
    assert pipe.flush(m.handle) is True
    pipe.free(m.handle)
    assert tmpfile.read_bytes()[1000 : 1000 + len(data)] == data
    assert pipe.filesize(FileRef(str(tmpfile))) == 10_000


def test_outcomes_are_normalised(pipe: PipeAdapter, tmpfile: Path) -> None:
    with pytest.raises(DocumentedFailure) as failure:
        pipe.map(FileRef(str(tmpfile)), "")
    assert failure.value.errcode == "no_file"
    with pytest.raises(DocumentedFailure) as failure:
        pipe.filesize(FileRef(str(tmpfile)))
    assert failure.value.errcode == "not_found"
    with pytest.raises(ArgumentError, match="size"):
        pipe.map(None, "w", 0)
    with pytest.raises(Unsupported) as unsupported:
        pipe.map(None, "wx", 4096)
    assert unsupported.value.capability == "access:wx"
    with pytest.raises(ArgumentError, match="outside"):
        pipe.read(pipe.map(None, "w", 100).handle, 90, 20)


def test_unknown_handle_is_an_argument_error(pipe: PipeAdapter) -> None:
    with pytest.raises(ArgumentError, match="was ever given this handle"):
        pipe.read(12345, 0, 1)


def test_documented_crash_is_reported_and_a_fresh_child_takes_over(
    pipe: PipeAdapter, tmpfile: Path
) -> None:
    """The doc: "attempting to write to a memory block that wasn't mapped with write
    or copy-on-write access results in a crash". The child dies; the run does not."""
    tmpfile.write_bytes(b"x" * 4096)
    before = pipe.pid
    writable = pipe.map(None, "w", 4096)
    readonly = pipe.map(FileRef(str(tmpfile)), "")
    with pytest.raises(ImplementationCrashed) as crash:
        pipe.write(readonly.handle, 0, b"boom")
    assert crash.value.signal == signal.SIGSEGV and crash.value.exitcode is None
    assert "during 'write'" in str(crash.value)
    assert dead(before)
    # the next operation starts a fresh child; the dead one's handles are refused
    with pytest.raises(ArgumentError, match="died"):
        pipe.read(writable.handle, 0, 1)
    m = pipe.map(FileRef(str(tmpfile)), "w")
    assert pipe.pid != before
    assert pipe.read(m.handle, 0, 4) == b"xxxx"
    assert tmpfile.read_bytes() == b"x" * 4096  # the crash wrote nothing


def test_broken_binding_segfault_is_reported_with_stderr_tail() -> None:
    with PipeAdapter(f"{BAD} --segfault-on aligned_size", timeout=20) as adapter:
        first = adapter.pid
        with pytest.raises(ImplementationCrashed) as crash:
            adapter.aligned_size(1)
        assert crash.value.signal == signal.SIGSEGV
        assert "about to crash in aligned_size" in crash.value.detail
        assert adapter.pagesize() == 4096  # a fresh child answers
        assert adapter.pid != first


def test_timeout_kills_the_child_and_its_process_group() -> None:
    # behind a shell: the harness is a grandchild, and must die with the group
    with PipeAdapter(
        f"sh -c {shlex.quote(BAD + ' --hang-on aligned_size')}", timeout=1.5
    ) as adapter:
        harness = adapter.pid  # reported by the harness itself, not the shell's
        started = time.monotonic()
        with pytest.raises(ImplementationTimeout) as timeout:
            adapter.aligned_size(1)
        assert 1.5 <= time.monotonic() - started < 10
        # the harness failed, not the binding: never reported as the binding's crash
        assert isinstance(timeout.value, HarnessFailure)
        assert not isinstance(timeout.value, ImplementationCrashed)
        assert "no answer to 'aligned_size' within 1.5 s" in str(timeout.value)
        deadline = time.monotonic() + 5
        while not dead(harness) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert dead(harness)
        # failed until the next test: the same failure at once, and no new child;
        # only the page size is answered, from what the last child said
        with pytest.raises(ImplementationTimeout) as again:
            adapter.filesize(FileRef("/"))
        assert again.value is timeout.value
        assert adapter.pagesize() == 4096 and adapter._child is None
        adapter.begin_test()
        with pytest.raises(Unsupported):
            adapter.filesize(FileRef("/"))
        assert adapter._child is not None


@pytest.mark.parametrize(
    ("cmd", "start_timeout", "expected"),
    [
        (
            "/nonexistent/harness --x",
            30,
            "cannot run '/nonexistent/harness --x': No such file or directory",
        ),
        (
            f"{BAD} --die-at-start",
            30,
            "exited with code 3: bad_harness: cannot load the binding: libfoo.so",
        ),
        (f"{BAD} --no-start", 2, "no answer to 'start' within 2 s"),
        (python_harness("no_such_module:Adapter"), 30, "cannot import 'no_such_module'"),
        ("'unbalanced", 30, "cannot parse pipe_cmd"),
    ],
)
def test_a_harness_that_does_not_start_is_one_line(
    cmd: str, start_timeout: float, expected: str
) -> None:
    # Those that speak up (even to say why they cannot start) are not made to
    # race a short deadline on a busy machine; the silent one is not waited for long.
    with pytest.raises(AdapterLoadError) as error:
        PipeAdapter(cmd, start_timeout=start_timeout)
    message = str(error.value)
    assert expected in message and "\n" not in message, message


def test_load_through_the_registry_reports_one_line() -> None:
    with pytest.raises(AdapterLoadError, match="did not start"):
        load(AdapterSpec("pipe", (("pipe_cmd", f"{BAD} --die-at-start"),)))


@pytest.mark.parametrize(
    ("flag", "validate", "error", "match"),
    [
        ("--garbage-on", False, ProtocolError, "not JSON"),
        ("--wrong-id-on", False, ProtocolError, "expected an object with id"),
        (
            "--bad-value-on",
            True,
            ProtocolError,
            r"breaks the protocol schema at value: 'four thousand'",
        ),
        ("--bad-value-on", False, ProtocolError, "expected an integer"),
    ],
)
def test_protocol_violations_are_named(flag: str, validate: bool, error: type, match: str) -> None:
    with PipeAdapter(f"{BAD} {flag} aligned_size", timeout=20, validate=validate) as adapter:
        with pytest.raises(error, match=match) as failure:
            adapter.aligned_size(1)
        assert isinstance(failure.value, HarnessFailure)
        with pytest.raises(error) as again:
            adapter.aligned_size(2)
        assert again.value is failure.value
        adapter.begin_test()
        with pytest.raises(Unsupported):
            adapter.filesize(FileRef("/"))


def test_an_adapters_unexpected_exception_is_the_implementations(pipe: PipeAdapter) -> None:
    # the tiny adapter does not normalise opening a directory: it raises
    # IsADirectoryError, which the harness reports instead of dying, as the
    # implementation's exception (as in process), not as a harness failure
    before = pipe.pid
    with pytest.raises(UnconvertedError, match="IsADirectoryError") as failure:
        pipe.filesize(FileRef("/"), 1)
    assert not isinstance(failure.value, HarnessFailure)
    assert pipe.pagesize() > 0 and pipe.pid == before


def test_isolated_is_another_child_of_the_same_command(pipe: PipeAdapter) -> None:
    with pipe.isolated() as other:
        assert isinstance(other, PipeAdapter)
        assert other.pid not in (pipe.pid, os.getpid())
        assert other.pagesize() == pipe.pagesize()
        inner = other.pid
    assert dead(inner)
    assert pipe.pagesize() > 0


def test_in_process_adapter_is_isolated_through_the_python_harness(tmpfile: Path) -> None:
    local = load(AdapterSpec(TINY))
    tmpfile.write_bytes(b"y" * 4096)
    with isolated(local) as other:
        assert isinstance(other, PipeAdapter) and other.pid != os.getpid()
        assert other.capabilities == local.capabilities
        ro = other.map(FileRef(str(tmpfile)), "")
        with pytest.raises(ImplementationCrashed) as crash:
            other.write(ro.handle, 0, b"z")
        assert crash.value.signal == signal.SIGSEGV
    assert local.pagesize() > 0  # this process never noticed


def test_serve_isolated_of_a_pipe_spec_runs_its_command() -> None:
    spec = AdapterSpec("pipe", (("pipe_cmd", BAD), ("timeout", "5")))
    with serve_isolated(spec) as other:
        assert other.name == "bad" and other.timeout == 5 and other.spec == spec


def test_stop_ends_the_child_cleanly(tiny_cmd: str) -> None:
    adapter = PipeAdapter(tiny_cmd)
    child = adapter._child
    assert child is not None
    adapter.map(None, "w", 4096)
    adapter.close()
    assert child.proc.returncode == 0
    adapter.close()  # idempotent


def test_runner_gone_means_harness_exits(tiny_cmd: str) -> None:
    adapter = PipeAdapter(tiny_cmd)
    child = adapter._child
    assert child is not None
    os.close(child.in_fd)  # what the harness sees when the runner dies
    assert child.proc.wait(timeout=20) == 0
    adapter.close()


def test_every_adapter_method_is_one_op() -> None:
    """The protocol must fit the interface unchanged: one request per method."""
    from mmapspec.adapters.pipe import schema

    ops = set(schema()["$defs"]["request"]["properties"]["op"]["enum"])
    methods = set(Adapter.__abstractmethods__) - {"pid"}
    assert ops == methods | {"start", "stop"}


def test_the_harness_gets_the_default_signal_dispositions() -> None:
    """Python ignores SIGPIPE and SIGXFSZ; the harness it starts must not (a binding
    past its file size limit dies, as it would outside the runner)."""
    report = "grep SigIgn /proc/$$/status >&2; exec " + BAD
    with PipeAdapter(f"sh -c {shlex.quote(report)}") as adapter:
        child = adapter._child
        assert child is not None
        line = next(ln for ln in child.stderr_tail().splitlines() if ln.startswith("SigIgn:"))
    ignored = int(line.split()[1], 16)
    for signum in (signal.SIGPIPE, signal.SIGXFSZ):
        assert not ignored & (1 << (signum - 1)), f"{signum.name} is ignored in the harness"
