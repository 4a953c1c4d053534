"""The protocol's messages: how values travel (integers, files, capabilities,
bytes), how long a response line may be, and what a response means.

Both ends use it: the runner's :class:`~mmapspec.adapters.pipe.client.PipeAdapter`
and the Python harness (``harness.py``). See ``PROTOCOL.md`` for the format.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from functools import cache, lru_cache
from importlib import resources
from json.encoder import encode_basestring_ascii
from typing import Any

from mmapspec.adapters.interface import (
    INT_RANGES,
    ArgumentError,
    Capabilities,
    DocumentedFailure,
    FileRef,
    Unsupported,
)
from mmapspec.adapters.pipe.errors import (
    UNCONVERTED_PREFIX,
    HarnessError,
    ProtocolError,
    UnconvertedError,
)
from mmapspec.adapters.pipe.jsonline import dumps_line, loads_line

PROTOCOL_VERSION = 1
SAFE_INT = 2**53 - 1
"""Integers beyond +-SAFE_INT travel as decimal strings (I-JSON), see PROTOCOL.md."""
LINE_LIMIT = 1 << 20
"""Bytes one response line may hold besides the bytes a request asks for: the
base64 of a ``read``, and :data:`MAP_ENTRY_LIMIT` per map of a ``mirror``."""
MAP_ENTRY_LIMIT = 256
"""Bytes one ``{"handle", "addr", "size"}`` of a mirror's maps may take."""
SHOWN = 500
"""Characters of a broken message quoted in the error."""


# -- values ------------------------------------------------------------------------


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


_BOOL_CAPABILITIES = tuple(
    name for name, value in vars(Capabilities()).items() if isinstance(value, bool)
)


def encode_capabilities(caps: Capabilities) -> dict[str, Any]:
    return {
        "file_kinds": sorted(caps.file_kinds),
        "access_modes": sorted(caps.access_modes),
        "call_forms": sorted(caps.call_forms),
        **{name: getattr(caps, name) for name in _BOOL_CAPABILITIES},
        "int_range": caps.int_range,
    }


MAX_DEPTH = 64
"""Levels of nesting a message may have; none needs more than a few."""


def too_deep(raw: bytes, msg: Any) -> bool:
    """Whether a message nests deeper than :data:`MAX_DEPTH` (looked at only when the
    line holds that many brackets, so a plain message costs two counts)."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return False
    stack = [(msg, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            if level > MAX_DEPTH:
                return True
            stack.extend((v, level + 1) for v in value)
    return False


def _names(obj: dict[str, Any], field: str) -> frozenset[str]:
    value = obj.get(field, [])
    if type(value) is not list or not all(type(v) is str for v in value):
        raise ProtocolError(f"capabilities: {field} must be a list of strings, got {value!r:.80}")
    return frozenset(value)


def decode_capabilities(obj: dict[str, Any]) -> Capabilities:
    """A field the harness leaves out is not claimed: silence never promises support.

    A harness written before ``addr`` and ``alignment_helpers`` were split is known by
    its ``alignment_helpers`` field, and read as it meant: ``alignment_helpers`` claims
    ``pagesize`` and ``alignment``, and ``addr`` claims ``addr_request`` too. A new
    field it also sends wins."""
    if type(obj) is not dict:
        raise ProtocolError(f"capabilities must be an object, got {type(obj).__name__}")
    flags = {name: obj.get(name) is True for name in _BOOL_CAPABILITIES}
    if "alignment_helpers" in obj:
        old = {
            "pagesize": obj["alignment_helpers"] is True,
            "alignment": obj["alignment_helpers"] is True,
            "addr_request": flags["addr"],
        }
        flags |= {name: claimed for name, claimed in old.items() if name not in obj}
    int_range = obj.get("int_range", "u64")
    if int_range not in INT_RANGES:
        raise ProtocolError(
            f"capabilities: int_range must be one of {', '.join(INT_RANGES)}, got {int_range!r}"
        )
    return Capabilities(
        int_range=int_range,
        file_kinds=_names(obj, "file_kinds"),
        access_modes=_names(obj, "access_modes"),
        call_forms=_names(obj, "call_forms"),
        **flags,
    )


def decode_bytes(value: Any) -> bytes:
    if type(value) is not str:
        raise ProtocolError(f"expected base64 text, got {type(value).__name__}")
    return base64.b64decode(value, validate=True)


def encode_bytes(value: Any) -> Any:
    """Bytes as base64 text; anything else passed through for the harness to judge."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(value).decode("ascii")
    return value


def _as_is(value: Any) -> Any:
    return value


WIRE_ENCODERS: dict[str, Callable[[Any], Any]] = {
    "int": encode_int,
    "addr": encode_int,
    "handle": _as_is,
    "file": lambda f: encode_file(f) if isinstance(f, FileRef) else f,
    "bytes": encode_bytes,
    "str": _as_is,
    "bool": _as_is,
    "form": _as_is,
}
"""How the runner sends an argument of each wire type (``operations.py``); a handle
is first made the harness's own (the client does that)."""

WIRE_DECODERS: dict[str, Callable[[Any], Any]] = {
    "int": decode_int,
    "addr": decode_int,
    "handle": _as_is,
    "file": decode_file,
    "bytes": lambda v: base64.b64decode(v, validate=True),
    "str": _as_is,
    "bool": _as_is,
    "form": _as_is,
}
"""How a harness reads an argument of each wire type."""

RESULT_DECODERS: dict[str, Callable[[Any], Any]] = {
    "int": decode_int,
    "addr": decode_int,
    "null": lambda v: None,
    "base64": decode_bytes,
    "success": _as_is,
}
"""How the runner reads a value of each result type (a map's and a mirror's fields
make handles: the client decodes those)."""


# -- lines -------------------------------------------------------------------------


def request_line(rid: int, op: str, args: dict[str, Any]) -> bytes:
    """One request, compact, as the bytes of one line: those of
    ``dumps_line({"id": rid, "op": op, "args": args})``, without building the dict
    or encoding an empty ``args``."""
    encoded = dumps_line(args)[:-1] if args else b"{}"
    return b'{"id":%d,"op":%s,"args":%s}\n' % (rid, encode_basestring_ascii(op).encode(), encoded)


def line_limit(op: str, args: dict[str, Any]) -> int:
    """The longest response line a request may get: :data:`LINE_LIMIT`, plus the
    base64 of the bytes a ``read`` asks for, plus room for each map of a ``mirror``."""
    if op == "read":
        count = decode_count(args.get("length"))
        return LINE_LIMIT + 4 * ((count + 2) // 3)
    if op == "mirror":
        return LINE_LIMIT + MAP_ENTRY_LIMIT * decode_count(args.get("times"))
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


def malformed(op: str, why: str, raw: bytes) -> ProtocolError:
    """The error for a response that breaks the protocol, quoting its start."""
    shown = raw[:SHOWN].decode("utf-8", "replace") + ("..." if len(raw) > SHOWN else "")
    return ProtocolError(f"harness answer to {op!r} {why}; the message was: {shown}")


def response_value(op: str, rid: int, raw: bytes, validate: bool) -> Any:
    """The value a response line carries, or the outcome it carries raised.

    A line that breaks the protocol raises :class:`ProtocolError`; the documented
    outcomes raise :class:`DocumentedFailure`, :class:`ArgumentError`,
    :class:`Unsupported` or :class:`HarnessError`. The schema is consulted only in
    validating mode: the checks here are what the runner relies on."""
    try:
        msg = loads_line(raw)
    except ValueError as exc:
        raise malformed(op, f"not JSON ({exc})", raw) from None
    except RecursionError:
        raise malformed(op, f"nests deeper than {MAX_DEPTH} levels", raw) from None
    if too_deep(raw, msg):
        raise malformed(op, f"nests deeper than {MAX_DEPTH} levels", raw)
    if validate:
        why = schema_violation(op, msg)
        if why is not None:
            raise malformed(op, f"breaks the protocol schema {why}", raw)
    if type(msg) is not dict or type(msg.get("id")) is not int or msg["id"] != rid:
        raise malformed(op, f"expected an object with id {rid}", raw)
    outcome = msg.get("outcome")
    if outcome == "value":
        return msg.get("value")
    if outcome == "errcode":
        errcode = msg.get("errcode")
        if not isinstance(errcode, (str, int)) or isinstance(errcode, bool):
            raise malformed(op, "has an errcode that is neither a string nor an int", raw)
        raise DocumentedFailure(errcode, str(msg.get("message", "")))
    if outcome == "raised":
        raise ArgumentError(str(msg.get("message", "")))
    if outcome == "unsupported":
        raise Unsupported(str(msg.get("capability", op)))
    if outcome == "harness_error":
        message = str(msg.get("message", ""))
        if message.startswith(UNCONVERTED_PREFIX):  # the binding's, not the harness's
            raise UnconvertedError(message[len(UNCONVERTED_PREFIX) :])
        raise HarnessError(f"harness failed in {op!r}: {message}")
    raise malformed(op, f"unknown outcome {outcome!r}", raw)


# -- validating mode ---------------------------------------------------------------


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
    return f"at {where}: {_why(error)} (schema rule {rule})"


def _why(error: Any) -> str:
    """The rule broken, in words: the pattern of a big integer is unreadable, and a
    small one sent as a string is the mistake it is there to catch."""
    value = error.instance
    if error.validator == "pattern" and type(value) is str and value.lstrip("-").isdigit():
        if -SAFE_INT <= int(value) <= SAFE_INT:
            return (
                f"{value!r} is an integer within +-(2^53-1) sent as a string: "
                "such integers are JSON numbers"
            )
        return f"{value!r} has a leading zero: an integer beyond +-(2^53-1) is its decimal digits"
    return str(error.message)
