"""Every operation of the adapter interface, once: what it takes, returns and needs.

Each abstract method of :class:`~mmapspec.adapters.interface.Adapter` (but ``pid``,
a property) is one operation, and each operation is one request of the pipe protocol
(``PROTOCOL.md``). Everything else that spells an operation out is made from or
checked against :data:`OPERATIONS`:

* generated from it: the ``request``, ``args_<op>`` and ``response_<op>`` parts of
  ``protocol.schema.json`` and the table of operations in ``PROTOCOL.md``
  (``python -m mmapspec.adapters.protocol_docs --write`` rewrites both;
  ``tests/adapters/test_protocol_docs.py`` fails while they are stale);
* generated from it too: ``lua/operations.lua`` and ``c/operations.h``, the table as
  the Lua and the C harness read it;
* checked against it (``tests/adapters/test_operations_agree.py``): the methods of
  ``Adapter`` and of every adapter shipped or tested here, the Python harness's
  encoders and decoders, and the binding calls of the Lua and the C harness.

Both ends of the pipe are driven by the table: the client builds each request
from the method's arguments by their wire types and decodes the value by the
result type, and the harnesses decode each argument by its wire type, call the
operation by name and encode its result by its type. Adding an operation means a
row here, the adapters' methods (``interface.py``, each adapter, the client's
one-line method), the binding calls in the harnesses (one function each), and
regenerating the generated files.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Literal

Wire = Literal["int", "addr", "handle", "file", "bytes", "str", "bool", "form"]
"""How an argument travels in a request: ``int`` an integer (decimal digits beyond
2^53), ``addr`` an integer that the harness turns into its language's pointer,
``handle`` a harness's handle, ``file`` a FileRef object, ``bytes`` base64, ``str``
and ``bool`` as in JSON, ``form`` ``"table"`` or ``"positional"``. Both ends decode
and encode each argument by its wire type alone (``pipe/client.py``, ``harness.py``,
``lua/harness.lua``, ``c/harness.c``)."""

Result = Literal["int", "addr", "null", "mapinfo", "mirrorinfo", "base64", "success"]
"""What a successful response's ``value`` is; the schema's ``response_<result>``
describes each: an integer, an address (a pointer made an integer), ``null``, a
map's or a mirror's fields (a new handle), bytes as base64,
or the implementation's success value as a JSON boolean, ``null`` when it returned
nothing (``flush``)."""

NO_DEFAULT = inspect.Parameter.empty
"""The default of a parameter that has none (what ``inspect`` reports for it)."""


@dataclasses.dataclass(frozen=True)
class Arg:
    """One argument of an operation, both as a Python parameter and a request key."""

    name: str
    """The parameter's name in the adapter's method."""
    wire: Wire
    optional: bool = False
    """``None`` means "not given": the key is left out of the request (Lua's ``nil``)."""
    default: object = NO_DEFAULT
    """The parameter's default in the adapter's method."""
    keyword_only: bool = False
    key: str = ""
    """The request key, where it differs from ``name`` (``async_`` is ``async``)."""

    @property
    def request_key(self) -> str:
        return self.key or self.name


@dataclasses.dataclass(frozen=True)
class Operation:
    """One operation: an adapter method, and a request with its response."""

    name: str
    args: tuple[Arg, ...]
    result: Result
    returns: str
    """What a successful response's value is, in PROTOCOL.md's words (Markdown)."""
    capability: str | None = None
    """The capability (``Capabilities.names()``) an implementation must claim to
    perform it at all; None where every implementation can (some arguments may
    still need one, such as ``map``'s ``tagname``)."""
    args_note: str = ""
    """How the arguments are read, where the schema says it (its description)."""


def _given(name: str, wire: Wire, key: str = "") -> Arg:
    """An argument that may be left out: ``None`` by default, and then not sent."""
    return Arg(name, wire, optional=True, default=None, key=key)


def _needed(name: str, wire: Wire) -> Arg:
    return Arg(name, wire)


_FORM = Arg("form", "form", default="table", keyword_only=True)
_HANDLE = _needed("handle", "handle")

OPERATIONS: tuple[Operation, ...] = (
    Operation("pagesize", (), "int", "int: `mmap.pagesize()`", "pagesize"),
    Operation(
        "aligned_size",
        (_needed("size", "int"), _given("dir", "str")),
        "int",
        "int: `mmap.aligned_size(size[, dir])`",
        "alignment",
    ),
    Operation(
        "aligned_addr",
        (_needed("addr", "addr"), _given("dir", "str")),
        "addr",
        "int: `mmap.aligned_addr(ptr[, dir])`",
        "alignment",
    ),
    Operation(
        "map",
        (
            _given("file", "file"),
            _given("access", "str"),
            _given("size", "int"),
            _given("offset", "int"),
            _given("addr", "addr"),
            _given("tagname", "str"),
            _FORM,
        ),
        "mapinfo",
        '`{"handle", "addr", "size"}`: the map\'s `addr` and `size` fields',
        args_note="A key left out is an argument not given (Lua nil).",
    ),
    Operation(
        "flush",
        (
            _HANDLE,
            _given("async_", "bool", key="async"),
            _given("addr", "addr"),
            _given("size", "int"),
        ),
        "success",
        "what `map:flush` returned, as a JSON boolean (`true` per the doc; `null` if nothing)",
        args_note="The documented form is chosen from the keys present: none -> flush(); "
        "async -> flush(async); addr and size -> flush(addr, size); "
        "all three -> flush(async, addr, size).",
    ),
    Operation(
        "free", (_HANDLE,), "null", "`null`: `map:free()`, or freeing a mirror (and all its maps)"
    ),
    Operation("unlink_map", (_HANDLE,), "null", "`null`: `map:unlink()`", "unlink"),
    Operation(
        "unlink", (_needed("tagname", "str"),), "null", "`null`: `mmap.unlink(tagname)`", "unlink"
    ),
    Operation(
        "mirror",
        (
            Arg("file", "file", optional=True),
            Arg("size", "int", optional=True),
            _given("times", "int"),
            _given("addr", "addr"),
            _FORM,
        ),
        "mirrorinfo",
        '`{"handle", "addr", "size", "maps": [{"handle", "addr", "size"}, ...]}`: '
        "the mirror's fields and the maps in its array part, in order",
        "mirror",
    ),
    Operation(
        "filesize",
        (_needed("file", "file"), _given("size", "int")),
        "int",
        "int: `mmap.filesize(file[, size])`",
        "filesize",
    ),
    Operation(
        "read",
        (_HANDLE, _needed("offset", "int"), _needed("length", "int")),
        "base64",
        "base64 of the `length` bytes at `addr + offset`",
    ),
    Operation(
        "write",
        (_HANDLE, _needed("offset", "int"), _needed("data", "bytes")),
        "null",
        "`null`: the bytes copied to `addr + offset`",
    ),
)


OPERATION: dict[str, Operation] = {op.name: op for op in OPERATIONS}
"""Each operation by name."""

PROTOCOL_OPS: tuple[str, ...] = ("start", "stop")
"""Requests of the protocol itself, not of the interface: the handshake and the end."""
