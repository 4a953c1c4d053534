"""The protocol's two documents, as far as they describe operations, made from the table.

    python -m mmapspec.adapters.protocol_docs [--write]

renders the ``request``, ``args_<op>`` and ``response_<op>`` parts of
``protocol.schema.json``, the table of operations in ``PROTOCOL.md``, and the table as
the Lua and the C harness read it (``lua/operations.lua``, ``c/operations.h``) from
:data:`~mmapspec.adapters.operations.OPERATIONS`, and says which file is stale
(exit status 1), or with ``--write`` rewrites it. The rest of the schema and of
PROTOCOL.md is written by hand. All stay committed, so that they read as documents
and ship in the wheel.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, get_args

from mmapspec.adapters.operations import (
    OPERATIONS,
    PROTOCOL_OPS,
    Arg,
    Operation,
    Result,
    Wire,
)

HERE = Path(__file__).resolve().parent
SCHEMA = HERE / "protocol.schema.json"
PROTOCOL_MD = HERE / "PROTOCOL.md"

_WIRE_SCHEMA: dict[str, dict[str, Any]] = {
    "int": {"$ref": "#/$defs/int"},
    "addr": {"$ref": "#/$defs/int"},
    "handle": {"$ref": "#/$defs/handle"},
    "file": {"$ref": "#/$defs/fileref"},
    "bytes": {"$ref": "#/$defs/base64"},
    "str": {"type": "string"},
    "bool": {"type": "boolean"},
    "form": {"$ref": "#/$defs/form"},
}

# An address travels as an integer; every other result has a response_<result> of its own.
_RESPONSE = {"addr": "int"} | {r: r for r in get_args(Result) if r != "addr"}

# The protocol's own requests: their arguments' schemas are written by hand.
_PROTOCOL_ARGS = {"start": "args_start", "stop": "args_none"}


def _args_schema(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {"description": op.args_note} if op.args_note else {}
    out["type"] = "object"
    if op.args:
        out["properties"] = {a.request_key: _WIRE_SCHEMA[a.wire] for a in op.args}
    required = [a.request_key for a in op.args if not a.optional]
    if required:
        out["required"] = required
    out["additionalProperties"] = False
    return out


def _request_schema() -> dict[str, Any]:
    names = [*PROTOCOL_OPS, *(op.name for op in OPERATIONS)]
    args = _PROTOCOL_ARGS | {op.name: f"args_{op.name}" for op in OPERATIONS}
    return {
        "type": "object",
        "properties": {
            "id": {"type": "integer", "minimum": 0},
            "op": {"enum": names},
            "args": {"type": "object"},
        },
        "required": ["id", "op", "args"],
        "additionalProperties": False,
        "allOf": [
            {
                "if": {"properties": {"op": {"const": name}}},
                "then": {"properties": {"args": {"$ref": f"#/$defs/{args[name]}"}}},
            }
            for name in names
        ],
    }


def generated_defs() -> dict[str, Any]:
    """The ``$defs`` of the schema that the table decides."""
    defs: dict[str, Any] = {"request": _request_schema()}
    defs |= {f"args_{op.name}": _args_schema(op) for op in OPERATIONS}
    defs |= {
        f"response_{op.name}": {"$ref": f"#/$defs/response_{_RESPONSE[op.result]}"}
        for op in OPERATIONS
    }
    return defs


def render_schema(current: str) -> str:
    """``current`` (the schema's text) with its generated ``$defs`` made anew: the
    hand-written ones first, in their order, then the generated ones."""
    schema: dict[str, Any] = json.loads(current)
    made = generated_defs()
    kept = {k: v for k, v in schema["$defs"].items() if k not in made}
    schema["$defs"] = kept | made
    return _dump(schema, 0, 0) + "\n"


def _dump(value: Any, depth: int, used: int) -> str:
    """JSON indented by two spaces a level, but an array of scalars, or any object or
    array that fits on the rest of its line (120 columns; ``used`` are taken), stays
    on one line."""
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, (dict, list)) or not value or used + len(flat) <= 120:
        return flat
    if isinstance(value, list) and not any(isinstance(v, (dict, list)) for v in value):
        return flat
    pad = "  " * (depth + 1)
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            head = f"{pad}{json.dumps(k, ensure_ascii=False)}: "
            items.append(head + _dump(v, depth + 1, len(head) + 1))
    else:
        items = [pad + _dump(v, depth + 1, len(pad) + 1) for v in value]
    opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
    return opening + "\n" + ",\n".join(items) + "\n" + "  " * depth + closing


BEGIN = "<!-- operations: generated from adapters/operations.py by protocol_docs.py -->"
END = "<!-- end of operations -->"

_START_ROW = (
    '| `start` | `protocol`: 1 | `{"protocol": 1, "implementation": {"name", "version", '
    '"language"?, "harness"?}, "capabilities": {...}, "pid": int}` |'
)
_STOP_ROW = "| `stop` | – | `null`; then free everything still mapped and exit with status 0 |"


def _arg_cell(arg: Arg) -> str:
    return (
        f"`{arg.request_key}`"
        + ("?" if arg.optional else "")
        + (" (base64)" if arg.wire == "bytes" else "")
    )


def operations_table() -> str:
    """PROTOCOL.md's table of requests, between its markers."""
    head = [BEGIN, "", "| op | args | value of a successful response |", "|---|---|---|"]
    rows = [*head, _START_ROW]
    for op in OPERATIONS:
        args = ", ".join(_arg_cell(a) for a in op.args) or "–"
        rows.append(f"| `{op.name}` | {args} | {op.returns} |")
    return "\n".join([*rows, _STOP_ROW, "", END])


def render_protocol_md(current: str) -> str:
    """``current`` (PROTOCOL.md's text) with the table between the markers made anew."""
    before, found, rest = current.partition(BEGIN)
    _, found_end, after = rest.partition(END)
    if not (found and found_end):
        raise ValueError(f"PROTOCOL.md lacks the markers {BEGIN!r} ... {END!r}")
    return before + operations_table() + after


LUA_OPERATIONS = HERE / "lua" / "operations.lua"
C_OPERATIONS = HERE / "c" / "operations.h"
_MADE = "generated from adapters/operations.py by protocol_docs.py: do not edit"


def render_lua(current: str) -> str:
    """The table for the Lua harness: each operation's arguments (request key, wire
    type, whether optional, default) and result type."""
    rows = []
    for op in OPERATIONS:
        args = ", ".join(
            f"{{key = '{a.request_key}', wire = '{a.wire}'"
            + (", optional = true" if a.optional else "")
            + (f", default = '{a.default}'" if isinstance(a.default, str) else "")
            + "}"
            for a in op.args
        )
        rows.append(f"\t{{name = '{op.name}', result = '{op.result}', args = {{{args}}}}},")
    return "\n".join([f"-- {_MADE}", "return {", *rows, "}", ""])


def render_c(current: str) -> str:
    """The same table for the C harness, as a header."""
    rows = []
    for op in OPERATIONS:
        args = ", ".join(
            f'{{"{a.request_key}", W_{a.wire.upper()}, {int(a.optional)}, '
            + (f'"{a.default}"' if isinstance(a.default, str) else "NULL")
            + "}"
            for a in op.args
        )
        rows.append(
            f'\t{{"{op.name}", R_{op.result.upper()}, {len(op.args)}, {{{args or "{0}"}}}}},'
        )
    wires = ", ".join(f"W_{w.upper()}" for w in get_args(Wire))
    results = ", ".join(f"R_{r.upper()}" for r in get_args(Result))
    most = max(len(op.args) for op in OPERATIONS)
    return "\n".join(
        [
            f"/* {_MADE} */",
            "#ifndef MMAPSPEC_OPERATIONS_H",
            "#define MMAPSPEC_OPERATIONS_H",
            f"enum wire {{ {wires} }};",
            f"enum result {{ {results} }};",
            "struct op_arg { const char *key; enum wire wire; int optional; const char *dflt; };",
            f"#define OP_MAX_ARGS {most}",
            "struct op_spec { const char *name; enum result result; int nargs; "
            "struct op_arg args[OP_MAX_ARGS]; };",
            "static const struct op_spec OPERATIONS[] = {",
            *rows,
            "};",
            f"#define OP_COUNT {len(OPERATIONS)}",
            "#endif",
            "",
        ]
    )


RENDERERS = {
    SCHEMA: render_schema,
    PROTOCOL_MD: render_protocol_md,
    LUA_OPERATIONS: render_lua,
    C_OPERATIONS: render_c,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mmapspec.adapters.protocol_docs",
        description="Check (or rewrite) the parts of protocol.schema.json and PROTOCOL.md "
        "made from the table of operations.",
    )
    parser.add_argument("--write", action="store_true", help="rewrite the stale files")
    ns = parser.parse_args(argv)
    stale = 0
    for path, render in RENDERERS.items():
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        fresh = render(current)
        if fresh == current:
            continue
        if ns.write:
            path.write_text(fresh, encoding="utf-8")
            print(f"rewrote {path}")
        else:
            print(f"stale: {path} (python -m mmapspec.adapters.protocol_docs --write)")
            stale += 1
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
