"""The protocol's messages: how values travel (integers, files, capabilities,
bytes), how long a response line may be, and what a response means.

Both ends use it: the runner's :class:`~mmapspec.adapters.pipe.client.PipeAdapter`
and the Python harness (``harness.py``). See ``PROTOCOL.md`` for the format.
"""

from __future__ import annotations

import base64
import json
from functools import cache, lru_cache
from importlib import resources
from json.encoder import encode_basestring_ascii
from typing import Any

from mmapspec.adapters.interface import (
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


def decode_bytes(value: Any) -> bytes:
    if type(value) is not str:
        raise ProtocolError(f"expected base64 text, got {type(value).__name__}")
    return base64.b64decode(value, validate=True)


def request_args(**kwargs: Any) -> dict[str, Any]:
    """Request arguments: None means "not given" and is left out of the message."""
    return {k: encode_int(v) for k, v in kwargs.items() if v is not None}


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
    if validate:
        why = schema_violation(op, msg)
        if why is not None:
            raise malformed(op, f"breaks the protocol schema {why}", raw)
    if type(msg) is not dict or msg.get("id") != rid:
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
    return f"at {where}: {error.message} (schema rule {rule})"
