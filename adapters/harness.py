"""The Python harness of the pipe protocol: serves any in-process adapter.

    python -m mmapspec.adapters.harness --adapter NAME [--adapter-option KEY=VALUE]...

``NAME`` and the options are what ``--mmap-adapter`` takes (a built-in name,
``module:attribute`` or an entry point), loaded with :func:`mmapspec.adapters.load`.
The harness reads requests from stdin and writes responses to stdout, one JSON
object per line (``PROTOCOL.md``). Logs and tracebacks go to stderr.

It is the model for harnesses in other languages: each request is one call of
the adapter, made from the table of operations (``operations.py``): each argument
decoded by its wire type, the method called by the operation's name, the result
encoded by its type; and the adapter's normalised outcomes map one-to-one onto the
protocol's (value, errcode, raised, unsupported). Anything else the adapter
raises is answered as ``harness_error``, never allowed to kill the process: an
exception out of the adapter's call (the binding raised something its adapter did
not convert) with a message beginning ``implementation raised ``, which the runner
turns back into the binding's failure, as in process; any other is the harness's
own error.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import traceback
from collections.abc import Callable
from typing import IO, Any

from mmapspec.adapters import AdapterLoadError, AdapterSpec, load
from mmapspec.adapters.call_origin import mark_escapes, raised_by_implementation
from mmapspec.adapters.interface import (
    Adapter,
    ArgumentError,
    DocumentedFailure,
    MapInfo,
    MirrorInfo,
    Unsupported,
)
from mmapspec.adapters.operations import NO_DEFAULT, OPERATION, Operation
from mmapspec.adapters.pipe.codec import (
    PROTOCOL_VERSION,
    WIRE_DECODERS,
    encode_capabilities,
    encode_int,
)
from mmapspec.adapters.pipe.errors import UNCONVERTED_PREFIX
from mmapspec.adapters.pipe.jsonline import dumps_line, loads_line


class _NotLoaded(Exception):
    """The adapter failed to load; every request is answered with why."""


def _map_info(info: MapInfo) -> dict[str, Any]:
    return {"handle": info.handle, "addr": encode_int(info.addr), "size": encode_int(info.size)}


def _mirror_info(info: MirrorInfo) -> dict[str, Any]:
    return {
        "handle": info.handle,
        "addr": encode_int(info.addr),
        "size": encode_int(info.size),
        "maps": [_map_info(m) for m in info.maps],
    }


RESULT_ENCODERS: dict[str, Callable[[Any], Any]] = {
    "int": encode_int,
    "addr": encode_int,
    "null": lambda value: None,
    "mapinfo": _map_info,
    "mirrorinfo": _mirror_info,
    "base64": lambda data: base64.b64encode(data).decode("ascii"),
    "success": lambda value: value,
}
"""How the harness sends a result of each type (``operations.py``)."""


def perform(adapter: Adapter, op: Operation, args: dict[str, Any]) -> Any:
    """One request of the table: each argument decoded by its wire type (a key left
    out is None, "not given"), the adapter's method called by the operation's name,
    the result encoded by its type. A needed key that is missing is a KeyError (the
    harness's error, not the implementation's)."""
    positional, keywords = [], {}
    for arg in op.args:
        if arg.request_key in args:
            value = WIRE_DECODERS[arg.wire](args[arg.request_key])
        elif arg.optional or arg.default is not NO_DEFAULT:
            value = None if arg.optional else arg.default
        else:
            raise KeyError(arg.request_key)
        if arg.keyword_only:
            keywords[arg.name] = value
        else:
            positional.append(value)
    result = getattr(adapter, op.name)(*positional, **keywords)
    return RESULT_ENCODERS[op.result](result)


class Harness:
    """Answers requests for one adapter (or for the reason it failed to load)."""

    def __init__(self, spec: AdapterSpec) -> None:
        self.spec = spec
        self.adapter: Adapter | None = None
        self.load_error: str | None = None
        try:
            self.adapter = mark_escapes(load(spec))
        except AdapterLoadError as exc:
            self.load_error = str(exc)
        except Exception as exc:  # a broken adapter: report it at start, in one line
            self.load_error = f"{spec}: {type(exc).__name__}: {exc}"

    def start(self) -> dict[str, Any]:
        if self.adapter is None:
            raise _NotLoaded(self.load_error)
        a = self.adapter
        return {
            "protocol": PROTOCOL_VERSION,
            "implementation": {
                "name": a.name,
                "version": a.version,
                "language": f"python {sys.version.split()[0]}",
                "harness": "mmapspec.adapters.harness",
            },
            "capabilities": encode_capabilities(a.capabilities),
            "pid": a.pid,
        }

    def answer(self, line: bytes) -> tuple[dict[str, Any], bool]:
        """The response to one request line, and whether to stop afterwards."""
        rid: Any = None
        try:
            msg = loads_line(line.rstrip(b"\n"))
            rid, op, args = msg["id"], msg["op"], msg["args"]
            if op == "start":
                return {"id": rid, "outcome": "value", "value": self.start()}, False
            if op == "stop":
                self.close()
                return {"id": rid, "outcome": "value", "value": None}, True
            if self.adapter is None:
                raise _NotLoaded(self.load_error)
            if op not in OPERATION:
                raise ValueError(f"unknown op {op!r}")
            value = perform(self.adapter, OPERATION[op], args)
            return {"id": rid, "outcome": "value", "value": value}, False
        except DocumentedFailure as exc:
            return {
                "id": rid,
                "outcome": "errcode",
                "errcode": exc.errcode,
                "message": exc.message,
            }, False
        except ArgumentError as exc:
            return {"id": rid, "outcome": "raised", "message": exc.message}, False
        except Unsupported as exc:
            return {"id": rid, "outcome": "unsupported", "capability": exc.capability}, False
        except _NotLoaded as exc:
            return {"id": rid, "outcome": "harness_error", "message": str(exc)}, False
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            message = f"{type(exc).__name__}: {exc}"
            if raised_by_implementation(exc):
                message = UNCONVERTED_PREFIX + message
            return {
                "id": rid if type(rid) is int else 0,
                "outcome": "harness_error",
                "message": message,
            }, False

    def close(self) -> None:
        if self.adapter is not None:
            adapter, self.adapter = self.adapter, None
            adapter.close()

    def serve(self, requests: IO[bytes], responses: IO[bytes]) -> None:
        try:
            for line in requests:
                response, done = self.answer(line)
                responses.write(dumps_line(response))
                responses.flush()
                if done:
                    return
        finally:
            self.close()  # stdin closed (the runner went away) or stop


def _protocol_stdout() -> IO[bytes]:
    """Keep stdout for the protocol alone: anything else that writes to fd 1 or
    ``sys.stdout`` (a print in an adapter, a C library's message) goes to stderr
    instead of corrupting the conversation."""
    protocol = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return protocol


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mmapspec.adapters.harness",
        description="Serve an in-process mmapspec adapter over the pipe protocol (PROTOCOL.md).",
    )
    parser.add_argument(
        "--adapter", required=True, help="as --mmap-adapter: a name or module:attribute"
    )
    parser.add_argument(
        "--adapter-option", action="append", default=[], metavar="KEY=VALUE", help="repeatable"
    )
    ns = parser.parse_args(argv)
    options = []
    for item in ns.adapter_option:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--adapter-option takes KEY=VALUE, got {item!r}")
        options.append((key, value))
    responses = _protocol_stdout()
    Harness(AdapterSpec(ns.adapter, tuple(options))).serve(sys.stdin.buffer, responses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
