"""What the spec tests share: outcomes, map bookkeeping, files, tagnames, /proc.

Tests reach the implementation only through the ``adapter`` fixture
(:mod:`mmapspec.adapters.interface`). Everything here is plain Python around it:
turning a call into a normalised :class:`Outcome`, freeing whatever a test mapped,
unique file and tagnames, and reading what the OS says about a process.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import mmap
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from mmapspec.adapters.interface import (
    Adapter,
    AdapterError,
    ArgumentError,
    DocumentedFailure,
    FileRef,
    MapInfo,
    MirrorInfo,
)
from mmapspec.spec.catalogue import OS_ERRCODE

# ----------------------------------------------------------------------------- outcomes


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How a call ended, in the document's terms: a value, ``nil,err,errcode``, or a raise."""

    kind: Literal["value", "fails", "raises"]
    value: Any = None
    errcode: str | int | None = None
    message: str = ""
    call: str = ""
    """The call as written, e.g. ``map(FileRef('.../f.bin', kind='fd'), 'w', 4096)``."""

    def __str__(self) -> str:
        if self.kind == "value":
            return f"returned {self.value!r}"
        if self.kind == "fails":
            return f"failed with errcode {self.errcode!r}: {self.message!r}"
        return f"raised an error: {self.message!r}"


def describe_call(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """``name(arg, ..., key=value)``: how a failure message names the call first."""
    name = getattr(fn, "__name__", repr(fn))
    return f"{name}{_show(args, kwargs)}"


def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Outcome:
    """Call ``fn`` and normalise how it ended. ``Unsupported`` and crashes propagate:
    they are the runner's business, not an outcome the document names."""
    what = describe_call(fn, args, kwargs)
    try:
        return Outcome("value", value=fn(*args, **kwargs), call=what)
    except DocumentedFailure as exc:
        return Outcome("fails", errcode=exc.errcode, message=exc.message, call=what)
    except ArgumentError as exc:
        return Outcome("raises", message=exc.message, call=what)


def errcode_matches(errcode: str | int | None, expected: str) -> bool:
    """Whether a failure's errcode is the documented one (``OS_ERRCODE``: any int)."""
    if expected == OS_ERRCODE:
        return isinstance(errcode, int) and not isinstance(errcode, bool)
    return errcode == expected


def _why(why: str) -> str:
    return f" ({why})" if why else ""


def _called(outcome: Outcome) -> str:
    return f"{outcome.call}: " if outcome.call else ""


def assert_fails(outcome: Outcome, *errcodes: str, why: str = "") -> None:
    """The outcome is a documented failure with one of ``errcodes``."""
    assert outcome.kind == "fails" and any(errcode_matches(outcome.errcode, e) for e in errcodes), (
        f"{_called(outcome)}expected a failure with errcode "
        f"{' or '.join(map(repr, errcodes))}{_why(why)}; got: {outcome}"
    )


def assert_raises(outcome: Outcome, why: str = "") -> None:
    """The outcome is the document's "an error is raised"."""
    assert outcome.kind == "raises", (
        f"{_called(outcome)}expected an error to be raised{_why(why)}; got: {outcome}"
    )


def assert_value(outcome: Outcome, why: str = "") -> Any:
    """The call returned; its value is handed back."""
    assert outcome.kind == "value", f"{_called(outcome)}expected success{_why(why)}; got: {outcome}"
    return outcome.value


def same(got: bytes | bytearray, want: bytes | bytearray, what: str = "") -> None:
    """Two byte strings are equal; if not, say where they first differ. (pytest's own
    explanation of ``assert a == b`` diffs pages of bytes with difflib, which takes
    minutes per failure while Hypothesis shrinks.)"""
    a, b = bytes(got), bytes(want)
    if a == b:
        return
    first = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    differing = sum(x != y for x, y in zip(a, b, strict=False)) + abs(len(a) - len(b))
    raise AssertionError(
        f"{what + ': ' if what else ''}got {len(a)} bytes, expected {len(b)}; {differing} differ, "
        f"the first at index {first}: got {a[first : first + 16]!r}, "
        f"expected {b[first : first + 16]!r}"
    )


# ----------------------------------------------------------------------------- bookkeeping


RUN_PREFIX_VARIABLE = "MMAPSPEC_RUN_PREFIX"
"""Set by the runner for the whole run (workers and harnesses inherit it): every
tagname a test makes starts with it, so that the runner can remove them all through
the OS at the end, whatever the binding's ``unlink`` did."""


def tagname_prefix() -> str:
    return os.environ.get(RUN_PREFIX_VARIABLE, "mmapspec-")


def new_tagname() -> str:
    """A tagname no other test (or helper running the suite at the same time) uses."""
    return f"{tagname_prefix()}{uuid.uuid4().hex}"


def remove_tagname_through_os(name: str) -> None:
    """Remove a tagname's shared memory without asking the binding: on Linux the
    object is the file /dev/shm/NAME; elsewhere POSIX shm_unlink. Absent is fine."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"/dev/shm/{name}")
    elif os.name == "posix":  # macOS: no file system view of shared memory
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.shm_unlink(f"/{name}".encode())


def remove_tagnames_by_prefix(prefix: str) -> list[str]:
    """Remove every shared-memory object whose name starts with ``prefix`` (Linux:
    /dev/shm). Returns the names removed."""
    removed: list[str] = []
    shm = Path("/dev/shm")
    if not prefix or not shm.is_dir():
        return removed
    for entry in shm.iterdir():
        if entry.name.startswith(prefix):
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
                removed.append(entry.name)
    return removed


class Maps:
    """Maps, mirrors and tagnames of one test (or one Hypothesis example), released at
    the end whatever happens, so that a failing test leaks nothing into the next."""

    def __init__(self, adapter: Adapter) -> None:
        self.adapter = adapter
        self._live: list[int] = []
        self._tagnames: list[str] = []

    def __enter__(self) -> Maps:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def tagname(self) -> str:
        """A fresh tagname, unlinked when this bookkeeping closes."""
        name = new_tagname()
        self._tagnames.append(name)
        return name

    def map(self, *args: Any, **kwargs: Any) -> MapInfo:
        """``adapter.map`` that must succeed; the map is freed at the end."""
        info: MapInfo = assert_value(call(self.adapter.map, *args, **kwargs))
        self._live.append(info.handle)
        return info

    def try_map(self, *args: Any, **kwargs: Any) -> Outcome:
        """``adapter.map`` whatever its outcome; a map it returns is freed at the end."""
        outcome = call(self.adapter.map, *args, **kwargs)
        if outcome.kind == "value":
            self._live.append(outcome.value.handle)
        return outcome

    def mirror(self, *args: Any, **kwargs: Any) -> MirrorInfo:
        info: MirrorInfo = assert_value(call(self.adapter.mirror, *args, **kwargs))
        self._live.append(info.handle)
        return info

    def try_mirror(self, *args: Any, **kwargs: Any) -> Outcome:
        outcome = call(self.adapter.mirror, *args, **kwargs)
        if outcome.kind == "value":
            self._live.append(outcome.value.handle)
        return outcome

    def free(self, info: MapInfo | MirrorInfo) -> None:
        """Free now (the test is about what happens after)."""
        self._live.remove(info.handle)
        self.adapter.free(info.handle)

    def close(self) -> None:
        """Free every map, then unlink every tagname through the binding and through
        the OS. Each step runs whatever the one before raised (a binding that
        answers nonsense or dies must not leave shared memory behind); the first
        unexpected error is raised at the end."""
        errors: list[BaseException] = []
        for handle in reversed(self._live):
            self._quietly(errors, self.adapter.free, handle)
        self._live.clear()
        unlink = "unlink" in self.adapter.capabilities.names()
        for name in self._tagnames:
            if unlink:
                self._quietly(errors, self.adapter.unlink, name)
            self._quietly(errors, remove_tagname_through_os, name)
        self._tagnames.clear()
        if errors:
            raise errors[0]

    @staticmethod
    def _quietly(errors: list[BaseException], fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except AdapterError:
            pass  # an outcome the binding may give: freed twice, unknown name, a crash
        except Exception as exc:  # noqa: BLE001 - kept, and raised once cleanup is done
            errors.append(exc)


def _show(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"({', '.join(parts)})"


def require(adapter: Adapter, *capabilities: str) -> None:
    """Skip this check unless the adapter declares ``capabilities``, saying which are
    missing. For what a check needs beyond its clause (one case of a parametrized
    test): the clause stays judged by its other checks. What the clause itself needs
    is in the catalogue (``Clause.needs``); without it the runner reports the clause
    unsupported before the test runs."""
    missing = sorted(set(capabilities) - adapter.capabilities.names())
    if missing:
        pytest.skip(f"this check needs {', '.join(missing)}, which the adapter does not declare")


def page(adapter: Adapter) -> int:
    """The page size the tests align to: the implementation's own when it offers
    ``pagesize``, else the one this machine's OS reports."""
    if "pagesize" in adapter.capabilities.names():
        return adapter.pagesize()
    return os_page()


def os_page() -> int:
    """The granularity of mappings as the OS reports it (the page size; on Windows the
    allocation granularity, to which file offsets must be aligned). Tests that need
    "a page" and are not about ``pagesize()`` use it, so that a binding's wrong
    ``pagesize()`` fails the pagesize clauses and nothing else."""
    return mmap.ALLOCATIONGRANULARITY


# ----------------------------------------------------------------------------- files


def new_path(directory: Path) -> Path:
    """A fresh, not yet existing file name (unique even across Hypothesis examples)."""
    return directory / f"f-{uuid.uuid4().hex}.bin"


def new_file(directory: Path, content: bytes) -> Path:
    """A real file holding ``content``."""
    path = new_path(directory)
    path.write_bytes(content)
    return path


def new_paged_file(directory: Path, content: bytes, page: int) -> Path:
    """A real file holding ``content``, written one page per ``write`` and then synced:
    its page cache is made of single clean pages, so :func:`dirty_pages` tells each
    page apart (one large write may be cached as one large folio, dirty as a whole)."""
    path = new_path(directory)
    with path.open("wb", buffering=0) as f:
        for at in range(0, len(content), page):
            f.write(content[at : at + page])
        os.fsync(f.fileno())
    return path


def ref(path: Path, kind: str = "name", mode: str = "r+", pending: bytes = b"") -> FileRef:
    return FileRef(str(path), kind=kind, mode=mode, pending=pending)  # type: ignore[arg-type]


def pattern(n: int, seed: int) -> bytes:
    """``n`` bytes that differ from zeros, from their neighbours and from other seeds."""
    import random

    return random.Random(seed).randbytes(n)


# ----------------------------------------------------------------------------- the OS's view


@dataclasses.dataclass(frozen=True)
class Region:
    """One line of /proc/PID/maps."""

    start: int
    end: int
    perms: str
    path: str


def require_proc(pid: int) -> None:
    """Skip (saying why) where the OS does not report mappings through /proc."""
    if not Path(f"/proc/{pid}/maps").exists():
        pytest.skip(f"no /proc/{pid}/maps: the OS's own view of mappings is checked on Linux only")


def regions(pid: int) -> list[Region]:
    out = []
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        lo, hi = (int(x, 16) for x in fields[0].split("-"))
        out.append(Region(lo, hi, fields[1], fields[5] if len(fields) > 5 else ""))
    return out


def region_at(pid: int, addr: int) -> Region | None:
    return next((r for r in regions(pid) if r.start <= addr < r.end), None)


def mapped_bytes_in(pid: int, lo: int, hi: int) -> int:
    """How many bytes of [lo, hi) the process has mapped."""
    return sum(max(0, min(hi, r.end) - max(lo, r.start)) for r in regions(pid))


def fds_to(pid: int, path: Path) -> list[str]:
    """The process's descriptors open on ``path``."""
    target = str(path.resolve())
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            if os.readlink(fd) == target:
                found.append(fd.name)
    return found


def free_address(adapter: Adapter, maps: Maps, size: int) -> int:
    """An address where ``size`` bytes are free right now: map that much, note where, free."""
    probe = maps.map(None, "w", size)
    assert probe.addr, "the implementation reports no address"
    maps.free(probe)
    return probe.addr


def pread(path: Path, offset: int, length: int) -> bytes:
    """The file's bytes as ``read`` sees them. On Linux a shared map's writes are in the
    page cache at once, so tests observe them here without asking the binding to flush."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.pread(fd, length, offset)
    finally:
        os.close(fd)


_CACHESTAT = 451
"""cachestat(2)'s number, the same on every Linux architecture (Linux 6.5 and later)."""
_witness_by_device: dict[int, bool] = {}


class _Range(ctypes.Structure):
    _fields_ = [("off", ctypes.c_uint64), ("len", ctypes.c_uint64)]


class _Stat(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_uint64)
        for name in ("cache", "dirty", "writeback", "evicted", "recently_evicted")
    ]


def _cachestat(fd: int, offset: int, length: int) -> int | None:
    """Pages of ``[offset, offset + length)`` dirty or under writeback, or None."""
    libc = ctypes.CDLL(None, use_errno=True)
    stat = _Stat()
    rng = _Range(offset, length)
    if libc.syscall(_CACHESTAT, fd, ctypes.byref(rng), ctypes.byref(stat), 0) != 0:
        return None
    return int(stat.dirty + stat.writeback)


def _dirty_pages_are_witnessed(directory: Path) -> bool:
    """Whether cachestat tells written pages from flushed ones on this filesystem
    (not on tmpfs, where nothing is ever written back; not before Linux 6.5)."""
    probe = new_paged_file(directory, b"\0" * os_page(), os_page())
    try:
        fd = os.open(probe, os.O_RDWR)
        try:
            os.pwrite(fd, b"x", 0)
            before = _cachestat(fd, 0, os_page())
            os.fsync(fd)
            return before == 1 and _cachestat(fd, 0, os_page()) == 0
        finally:
            os.close(fd)
    finally:
        probe.unlink()


def dirty_pages(path: Path, offset: int, length: int) -> int | None:
    """How many pages of the file in ``[offset, offset + length)`` the OS has not yet
    written to disk (dirty or under writeback), or None where the OS cannot say
    (cachestat(2): Linux 6.5 and later, on a filesystem that writes back). The one
    witness, seen from outside the binding, that a flush reached the disk."""
    if not sys.platform.startswith("linux"):
        return None
    device = path.stat().st_dev
    if device not in _witness_by_device:
        _witness_by_device[device] = _dirty_pages_are_witnessed(path.parent)
    if not _witness_by_device[device]:
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        return _cachestat(fd, offset, length)
    finally:
        os.close(fd)


def shm_exists(tagname: str) -> bool:
    """Whether the shared memory object of a tagname exists, asked of the OS (on Linux
    the file /dev/shm/NAME). Skips, saying why, where the OS shows no such file."""
    shm = Path("/dev/shm")
    if not sys.platform.startswith("linux") or not shm.is_dir():
        pytest.skip("shared memory objects are seen through /dev/shm on Linux only")
    return (shm / tagname).exists()


def shm_bytes(tagname: str, length: int) -> bytes:
    """The first ``length`` bytes of a tagname's shared memory, read through the OS."""
    if not shm_exists(tagname):
        raise AssertionError(f"no shared memory object /dev/shm/{tagname}")
    return pread(Path("/dev/shm") / tagname, 0, length)


# ----------------------------------------------------------------------------- processes


@contextlib.contextmanager
def isolated(adapter: Adapter, timeout: float | None = None) -> Iterator[Adapter]:
    """A second instance of the implementation in a fresh process, stopped when the
    context exits; ``timeout`` bounds each of its calls (seconds; default the pipe's).

    For clauses about several processes and for the documented crashes: an operation
    that kills that process raises ``ImplementationCrashed`` in the test and never
    takes the runner down. A pipe adapter starts its own command again; any other
    adapter is served from the spec it was loaded from by the Python harness."""
    from mmapspec.adapters.interface import Unsupported
    from mmapspec.adapters.pipe import PipeAdapter, serve_isolated

    if isinstance(adapter, PipeAdapter):
        with adapter.isolated(timeout) as other:
            yield other
        return
    if adapter.spec is None:
        raise Unsupported("isolated: adapter was not created by mmapspec.adapters.load")
    with serve_isolated(adapter.spec, timeout) as other:
        yield other


# ----------------------------------------------------------------------------- full disks


@contextlib.contextmanager
def small_tmpfs(directory: Path, size: str = "1m") -> Iterator[Path | None]:
    """A really small filesystem mounted at a fresh directory, or None where this
    process may not mount (not root, not Linux). Unmounted afterwards."""
    mountpoint = directory / f"tmpfs-{uuid.uuid4().hex[:8]}"
    mountpoint.mkdir()
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        yield None
        return
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mountpoint)],
        capture_output=True,
    )
    if done.returncode != 0:
        yield None
        return
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True)
