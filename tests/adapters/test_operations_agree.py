"""Every place that spells out the operations agrees with the table (operations.py).

The interface, each adapter shipped or tested here, and both harnesses are read
as they are (signatures through ``inspect``, the Lua harness's source), so an
operation added, renamed or given another parameter in one place and not in the
table fails here, naming the place.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
from pathlib import Path
from typing import Any, get_args

import pytest
from mmapspec.adapters import harness
from mmapspec.adapters.interface import Adapter, Capabilities, FileRef, Unsupported
from mmapspec.adapters.operations import OPERATIONS, PROTOCOL_OPS, Operation, Result, Wire
from mmapspec.adapters.pipe import LUA_HARNESS, PipeAdapter
from mmapspec.adapters.pipe.codec import RESULT_DECODERS, WIRE_DECODERS, WIRE_ENCODERS
from mmapspec.adapters.reference_adapter import ReferenceAdapter
from mmapspec.adapters.stdlib import StdlibAdapter

TESTS = Path(__file__).resolve().parents[1]
NAMES = {op.name for op in OPERATIONS}


def _tiny_adapter() -> type[Adapter]:
    """``tests/pipe/tiny_adapter.py``'s adapter, loaded from its file."""
    spec = importlib.util.spec_from_file_location("tiny_adapter", TESTS / "pipe/tiny_adapter.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tiny: type[Adapter] = module.TinyAdapter
    return tiny


TINY = _tiny_adapter()
IMPLEMENTATIONS: list[type[Adapter]] = [Adapter, ReferenceAdapter, StdlibAdapter, PipeAdapter, TINY]


def _expected(op: Operation) -> list[tuple[str, Any, object]]:
    plain, keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY
    rows = [(a.name, keyword if a.keyword_only else plain, a.default) for a in op.args]
    return [("self", plain, inspect.Parameter.empty), *rows]


def _actual(method: Any) -> list[tuple[str, Any, object]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(method).parameters.values()]


def _shown(params: list[tuple[str, Any, object]]) -> str:
    """Parameters as a signature reads: ``(self, size, dir=None, *, form='table')``."""
    out, star = [], False
    for name, kind, default in params:
        if kind is inspect.Parameter.KEYWORD_ONLY and not star:
            out.append("*")
            star = True
        out.append(name if default is inspect.Parameter.empty else f"{name}={default!r}")
    return f"({', '.join(out)})"


@pytest.mark.parametrize("cls", IMPLEMENTATIONS, ids=lambda cls: cls.__name__)
def test_each_adapter_has_each_operation_with_the_table_s_parameters(cls: type[Adapter]) -> None:
    wrong = []
    for op in OPERATIONS:
        method = getattr(cls, op.name, None)
        if not callable(method):
            wrong.append(f"{op.name}: missing")
        elif _actual(method) != _expected(op):
            wrong.append(
                f"{op.name}{_shown(_actual(method))}, the table says {_shown(_expected(op))}"
            )
    assert not wrong, f"{cls.__module__}.{cls.__name__} disagrees with operations.py: {wrong}"


def test_the_interface_s_abstract_methods_are_the_operations_and_pid() -> None:
    abstract = set(Adapter.__abstractmethods__)
    assert abstract == NAMES | {"pid"}, f"abstract methods: {sorted(abstract)}"


@pytest.mark.parametrize("cls", [ReferenceAdapter, StdlibAdapter, TINY], ids=lambda c: c.__name__)
def test_an_in_process_adapter_has_no_public_method_beyond_them(cls: type[Adapter]) -> None:
    public = {
        name
        for name, value in vars(cls).items()
        if not name.startswith("_") and (callable(value) or isinstance(value, property))
    }
    assert public - NAMES - {"pid", "close"} == set()


def test_both_python_ends_code_every_wire_and_result_type_of_the_table() -> None:
    """The client and the Python harness work from the table alone: each wire type
    has an encoder and a decoder, and each result type an encoder and a decoder."""
    wires = set(get_args(Wire))
    results = set(get_args(Result))
    assert set(WIRE_ENCODERS) == wires and set(WIRE_DECODERS) == wires
    assert set(harness.RESULT_ENCODERS) == results
    assert set(RESULT_DECODERS) | {"mapinfo", "mirrorinfo"} == results


def test_the_lua_harness_handles_exactly_the_operations_and_start_and_stop() -> None:
    source = "\n".join(
        p.read_text(encoding="utf-8") for p in Path(LUA_HARNESS).parent.glob("*.lua")
    )
    handlers = set(re.findall(r"^function ops\.(\w+)\(", source, re.MULTILINE))
    expected = NAMES | set(PROTOCOL_OPS)
    assert handlers == expected, (
        f"only in the Lua harness: {sorted(handlers - expected)}; "
        f"only in the table: {sorted(expected - handlers)}"
    )


def test_the_c_harness_calls_the_binding_for_exactly_the_operations() -> None:
    source = (Path(LUA_HARNESS).parent.parent / "c" / "harness.c").read_text(encoding="utf-8")
    table = source[
        source.index("BINDING[] = {") : source.index("};", source.index("BINDING[] = {"))
    ]
    calls = set(re.findall(r'\{"(\w+)", c_\1\}', table))
    assert calls == NAMES, (
        f"only in the C harness: {sorted(calls - NAMES)}; "
        f"only in the table: {sorted(NAMES - calls)}"
    )


def _sample(wire: str, tmp_path: Path) -> Any:
    return {
        "int": 4096,
        "addr": 4096,
        "handle": 1,
        "file": FileRef(str(tmp_path / "f")),
        "bytes": b"x",
        "str": "x",
        "bool": False,
        "form": "table",
    }[wire]


@pytest.mark.parametrize("cls", [StdlibAdapter, TINY], ids=lambda c: c.__name__)
def test_an_operation_whose_capability_is_not_claimed_is_unsupported(
    cls: type[Adapter], tmp_path: Path
) -> None:
    adapter = cls()
    claimed = adapter.capabilities.names()
    unclaimed = [op for op in OPERATIONS if op.capability and op.capability not in claimed]
    assert unclaimed, "nothing to check"
    try:
        for op in unclaimed:
            args = {a.name: _sample(a.wire, tmp_path) for a in op.args}
            with pytest.raises(Unsupported) as refused:
                getattr(adapter, op.name)(**args)
            assert refused.value.capability == op.capability, op.name
    finally:
        adapter.close()


def test_every_capability_the_table_names_is_one_an_adapter_can_claim() -> None:
    named = {op.capability for op in OPERATIONS if op.capability}
    assert named <= Capabilities().names()


# What the interface's annotations say for each wire encoding and result.
_WIRE_TYPES = {
    "int": {"int"},
    "addr": {"int"},
    "handle": {"Handle"},
    "file": {"FileRef"},
    "bytes": {"bytes"},
    "str": {"str", "Direction"},
    "bool": {"bool"},
    "form": {"CallForm"},
}
_RESULT_TYPES = {
    "int": "int",
    "addr": "int",
    "null": "None",
    "mapinfo": "MapInfo",
    "mirrorinfo": "MirrorInfo",
    "base64": "bytes",
    "success": "bool",
}


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_the_interface_s_types_are_the_table_s(op: Operation) -> None:
    signature = inspect.signature(getattr(Adapter, op.name))
    assert signature.return_annotation == _RESULT_TYPES[op.result]
    for arg in op.args:
        annotation = str(signature.parameters[arg.name].annotation)
        base, _, none = annotation.partition(" | ")
        assert base in _WIRE_TYPES[arg.wire], f"{arg.name}: {annotation}"
        assert (none == "None") == arg.optional, (
            f"{arg.name}: {annotation}, optional={arg.optional}"
        )
