"""The adapter interface: the only door through which spec tests reach an implementation.

An adapter translates the documented API (``spec/mmap.md``) into plain calls
with plain data, so that the same tests judge a Python module, a LuaJIT module in
a child process, or anything else that can speak the pipe protocol
(``PROTOCOL.md``). Every method here has exactly one message in that protocol, so
an out-of-process adapter implements this class unchanged.

Three outcomes, never language-specific exceptions
--------------------------------------------------
Every operation ends in one of three ways, and the adapter is responsible for
normalising its implementation's behaviour into them:

* a value (the method returns);
* a documented failure, the doc's ``nil,err,errcode``: raise :class:`DocumentedFailure`
  carrying ``errcode`` (a documented string such as ``'no_file'``, or an OS error
  number as an int);
* a raised argument error, the doc's "an error is raised": raise :class:`ArgumentError`.

Two more exceptions are for the runner rather than the spec:
:class:`Unsupported` (the implementation cannot do this at all; the clause is
reported as unsupported) and :class:`ImplementationCrashed` (the process holding
the implementation died: the spec runs what may crash in a second instance of the
implementation, in a process of its own).

Memory is not ours to touch
---------------------------
Tests never dereference ``addr``. They read and write a map's bytes through
:meth:`Adapter.read` and :meth:`Adapter.write`, because for an out-of-process
binding the memory lives in another address space.

Omitted arguments
-----------------
``None`` always means "not given" (Lua's ``nil``). An adapter must pass "not given"
through to its implementation as the implementation's own notion of an omitted
argument, so that documented defaults are what is tested.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Literal

Handle = int
"""An opaque identifier for a live map or mirror, chosen by the adapter."""

FileKind = Literal["name", "fd", "fileobj", "handle"]
"""How a file is handed to ``map``: a filename, a descriptor, a buffered file
object (``FILE*`` in C and LuaJIT), or an OS handle (Windows ``HANDLE``)."""

OpenMode = Literal["r", "r+", "w+"]
"""How the adapter opens a file before handing it over as fd/fileobj/handle,
in ``fopen`` terms. Ignored for ``kind='name'``."""

Direction = Literal["left", "right"]
CallForm = Literal["table", "positional"]
"""``map``/``mirror`` accept an argument table (Python: keywords) or positional
arguments; tests choose which form to exercise."""

IntRange = Literal["u64", "i64", "f64"]
"""The integers a binding takes and returns natively (sizes, offsets, addresses)."""

INT_RANGES: dict[str, tuple[int, int]] = {
    "u64": (-(2**63), 2**64 - 1),
    "i64": (-(2**63), 2**63 - 1),
    "f64": (-(2**53), 2**53),
}
"""Each declared range, as the lowest and highest integer the suite may send (and
expect back): ``u64`` a 64-bit word, unsigned or (for the negative values that a
binding must refuse) signed; ``i64`` C's ``int64_t``; ``f64`` a double, exact to
2^53 (LuaJIT's numbers). The suite never sends a value outside the declared range,
and the report says, per clause, what that kept out."""

ACCESS_MODES: tuple[str, ...] = ("", "w", "c", "x", "wx", "cx")
FILE_KINDS: tuple[FileKind, ...] = ("name", "fd", "fileobj", "handle")
DOCUMENTED_ERRCODES: tuple[str, ...] = (
    "no_file",
    "file_too_short",
    "disk_full",
    "out_of_mem",
    "not_found",
)


@dataclasses.dataclass(frozen=True)
class FileRef:
    """A file a test wants to use, described so that any process can open it.

    The adapter opens it in the process that holds the implementation, hands it
    over in the requested ``kind``, and closes what it opened once the map that
    used it is freed (the doc makes ``free`` close only what ``map`` opened).
    """

    path: str
    kind: FileKind = "name"
    mode: OpenMode = "r+"
    pending: bytes = b""
    """For ``kind='fileobj'`` only: bytes written through the file object right
    before mapping and left in its user-space buffer, unflushed. The doc promises
    "write buffers are flushed before mapping an already-opened file", so a map
    must see them."""

    def __repr__(self) -> str:
        # Failure messages name the call with its arguments: keep a file short there.
        extra = f", pending={self.pending!r}" if self.pending else ""
        return f"FileRef({self.path!r}, {self.kind!r}, {self.mode!r}{extra})"


@dataclasses.dataclass(frozen=True)
class Capabilities:
    """What an implementation claims to support. A clause that needs something
    not claimed is reported as *unsupported*, never as passed or failed."""

    file_kinds: frozenset[str] = frozenset({"name", "fd", "fileobj"})
    access_modes: frozenset[str] = frozenset(ACCESS_MODES)
    call_forms: frozenset[str] = frozenset({"table", "positional"})
    anonymous: bool = True
    """Maps of the pagefile (``file`` omitted)."""
    tagname: bool = True
    unlink: bool = True
    mirror: bool = True
    addr: bool = True
    """``map.addr`` (and a mirror's ``addr``) is reported as an integer."""
    addr_request: bool = True
    """An address can be requested: the ``addr`` argument of ``map`` and ``mirror``."""
    async_flush: bool = True
    range_flush: bool = True
    filesize: bool = True
    pagesize: bool = True
    """``mmap.pagesize()``."""
    alignment: bool = True
    """``mmap.aligned_size()`` and ``mmap.aligned_addr()``."""
    int_range: IntRange = "u64"
    """The integers the binding takes and returns natively (:data:`INT_RANGES`)."""

    def names(self) -> frozenset[str]:
        """The flat set of capability names, as clause requirements spell them:
        ``tagname``, ``access:wx``, ``file:fd``, ``form:positional`` and so on."""
        flat = {f.name for f in dataclasses.fields(self) if getattr(self, f.name) is True}
        flat |= {f"file:{k}" for k in self.file_kinds}
        flat |= {f"access:{m}" for m in self.access_modes}
        flat |= {f"form:{f}" for f in self.call_forms}
        flat.add(f"int:{self.int_range}")
        return frozenset(flat)


@dataclasses.dataclass(frozen=True)
class MapInfo:
    """What ``map`` returned: the object's identity and its two documented fields."""

    handle: Handle
    addr: int | None
    """``map.addr`` as an integer, or None when the implementation does not expose it."""
    size: int


@dataclasses.dataclass(frozen=True)
class MirrorInfo:
    """What ``mirror`` returned: its ``addr`` and ``size`` and the maps in its array part."""

    handle: Handle
    addr: int | None
    size: int
    maps: tuple[MapInfo, ...]


@dataclasses.dataclass(frozen=True)
class AdapterSpec:
    """How to load an adapter: a built-in name (``reference``, ``stdlib``, ``pipe``),
    ``module:attribute``, or a name registered in the ``mmapspec.adapters``
    entry-point group, plus string options (``pipe_cmd``, ``module``, ...)."""

    name: str
    options: tuple[tuple[str, str], ...] = ()

    def option(self, key: str, default: str | None = None) -> str | None:
        return dict(self.options).get(key, default)

    def __str__(self) -> str:
        opts = " ".join(f"--adapter-option {k}={v!r}" for k, v in self.options)
        return f"{self.name} {opts}".strip()


class AdapterError(Exception):
    """Base of the normalised outcomes an adapter raises."""


class DocumentedFailure(AdapterError):
    """The documented ``nil,err,errcode`` return."""

    def __init__(self, errcode: str | int, message: str = "") -> None:
        super().__init__(f"{errcode}: {message}" if message else str(errcode))
        self.errcode = errcode
        self.message = message


class ArgumentError(AdapterError):
    """The documented "an error is raised" for bad arguments."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unsupported(AdapterError):
    """The implementation cannot perform this at all (not a failure of the spec)."""

    def __init__(self, capability: str) -> None:
        super().__init__(f"unsupported: {capability}")
        self.capability = capability


class ImplementationCrashed(AdapterError):
    """The process holding the implementation died while performing an operation."""

    def __init__(self, signal: int | None, exitcode: int | None, detail: str = "") -> None:
        what = f"signal {signal}" if signal is not None else f"exit code {exitcode}"
        super().__init__(f"implementation process died ({what}){': ' + detail if detail else ''}")
        self.signal = signal
        self.exitcode = exitcode
        self.detail = detail


class HarnessFailure(Exception):
    """The machinery between the runner and the binding failed: a harness that timed
    out, broke the protocol or reported its own error. Nothing about the binding's
    conformance follows from it: the runner reports it as a harness failure, never
    as a clause's failure, and stops a run where it keeps happening."""


class Adapter(abc.ABC):
    """One implementation of the documented API, seen through plain calls.

    Subclasses set :attr:`name`, :attr:`version` and :attr:`capabilities`, and
    implement every abstract method (``operations.py`` lists the operations, and a
    test checks each adapter against it). ``spec`` is the adapter specification it
    was loaded from (``reference``, ``pkg.mod:Attr``, ``pipe --pipe-cmd ...``), from
    which the spec starts the same implementation in a fresh process.
    """

    name: str = "unnamed"
    version: str = "0"
    capabilities: Capabilities = Capabilities()

    # -- the documented API -------------------------------------------------

    @abc.abstractmethod
    def pagesize(self) -> int:
        """``mmap.pagesize()``."""

    @abc.abstractmethod
    def aligned_size(self, size: int, dir: Direction | None = None) -> int:
        """``mmap.aligned_size(bytes[, dir])``."""

    @abc.abstractmethod
    def aligned_addr(self, addr: int, dir: Direction | None = None) -> int:
        """``mmap.aligned_addr(ptr[, dir])``, with the pointer as an integer."""

    @abc.abstractmethod
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
        """``mmap.map(args_t)`` (``form='table'``) or ``mmap.map(file, access, ...)``."""

    @abc.abstractmethod
    def flush(
        self,
        handle: Handle,
        async_: bool | None = None,
        addr: int | None = None,
        size: int | None = None,
    ) -> bool:
        """``map:flush([async, ][addr, size])``. The adapter picks the documented
        form from which arguments are given: none; ``async`` only; ``addr`` and
        ``size``; or all three. Returns the implementation's success value."""

    @abc.abstractmethod
    def free(self, handle: Handle) -> None:
        """``map:free()`` of a map, or freeing a mirror."""

    @abc.abstractmethod
    def unlink_map(self, handle: Handle) -> None:
        """``map:unlink()``."""

    @abc.abstractmethod
    def unlink(self, tagname: str) -> None:
        """``mmap.unlink(file)`` for the shared memory file of a tagname."""

    @abc.abstractmethod
    def mirror(
        self,
        file: FileRef | None,
        size: int | None,
        times: int | None = None,
        addr: int | None = None,
        *,
        form: CallForm = "table",
    ) -> MirrorInfo:
        """``mmap.mirror(args_t)`` or ``mmap.mirror(file, size[, times[, addr]])``."""

    @abc.abstractmethod
    def filesize(self, file: FileRef, size: int | None = None) -> int:
        """``mmap.filesize(file)`` or, with ``size``, ``mmap.filesize(file, size)``."""

    # -- touching mapped memory on the tests' behalf -------------------------

    @abc.abstractmethod
    def read(self, handle: Handle, offset: int, length: int) -> bytes:
        """Read ``length`` bytes at ``addr + offset`` of a live map or mirror.
        For a mirror the range may run over every copy (``times * size`` bytes)."""

    @abc.abstractmethod
    def write(self, handle: Handle, offset: int, data: bytes) -> None:
        """Write ``data`` at ``addr + offset`` of a live map or mirror. Writing to
        memory mapped without write access is expected to kill the process."""

    # -- process and lifetime ------------------------------------------------

    @property
    @abc.abstractmethod
    def pid(self) -> int:
        """The process whose address space holds the maps (for ``/proc/PID/maps``)."""

    spec: AdapterSpec | None = None
    """What this instance was loaded from (set by ``mmapspec.adapters.load``), so that
    the same implementation can be started in another process."""

    def close(self) -> None:  # noqa: B027 - optional: an adapter holding nothing needs no close
        """Free everything still mapped and release the implementation."""
