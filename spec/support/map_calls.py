"""What the tests of ``mmap.map`` (the ``test_map_*`` files) share: a map call as
their messages show it, calls that must map, fail or raise, and the checks of a
map's size and span.

Each message names the call first (``map('f-1.bin', 'w', 4097, nil)``), then what
it did instead of what the document says.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mmapspec.adapters.interface import Adapter, FileRef, MapInfo
from mmapspec.spec.support.bookkeeping import Maps
from mmapspec.spec.support.outcomes import Outcome, errcode_matches
from mmapspec.spec.support.pages import system_page
from mmapspec.spec.support.proc import (
    mapped_name,
    mappings_shown,
    mappings_source,
    proc_maps_entry_at,
)

WRITABLE = ("w", "wx")
"""Write access in the document's sense."""


def caps(adapter: Adapter) -> frozenset[str]:
    return adapter.capabilities.names()


def _arg(value: Any) -> str:
    if isinstance(value, FileRef):
        name = Path(value.path).name
        return repr(name) if value.kind == "name" else f"<{value.kind} of {name} ({value.mode})>"
    return "nil" if value is None else repr(value)


def described(function: str, *args: Any, **kwargs: Any) -> str:
    """A call as the messages show it: ``map('f-1.bin', 'w', 4097, nil)``."""
    parts = [_arg(a) for a in args] + [f"{k}={_arg(v)}" for k, v in kwargs.items()]
    return f"{function}({', '.join(parts)})"


def mapped(maps: Maps, *args: Any, why: str = "", **kwargs: Any) -> MapInfo:
    """``map`` that must succeed (the map is freed with the test's others); the message
    names the call first, and ``why`` it should map, then what it did."""
    outcome = maps.try_map(*args, **kwargs)
    call = described("map", *args, **kwargs) + (f" ({why})" if why else "")
    assert outcome.kind == "value", f"{call}: expected a map, got: {outcome}"
    info: MapInfo = outcome.value
    return info


def file_after_writes(path: Path) -> bytes:
    """The file's bytes as the OS shows them while a shared map is live: with a unified
    buffer cache (Linux, macOS, the BSDs but OpenBSD) the map is the page cache, so
    ``read()`` sees its writes at once, and no flush (another clause) is needed."""
    return path.read_bytes()


def aligned(n: int, p: int) -> int:
    return -(-n // p) * p


def sized(got: int, n: int, p: int) -> bool:
    """``map.size`` is ``n``, or ``n`` rounded up to whole pages: whether it may be
    rounded is a reading of its own (map.result.size-not-rounded), not asked here."""
    return got in (n, aligned(n, p))


def check_span(adapter: Adapter, m: MapInfo, path: Path, n: int, call: str) -> None:
    """Where the OS reports mappings: ``path`` is mapped from ``m.addr`` over ``n``
    bytes rounded up to whole pages of the OS's own (:func:`system_page`: on Windows
    4 KiB inside the 64 KiB granules of ``pagesize()``), and not beyond."""
    if m.addr is None or not mappings_shown(adapter.pid):
        return
    end = m.addr + aligned(n, system_page())
    first, last = proc_maps_entry_at(adapter.pid, m.addr), proc_maps_entry_at(adapter.pid, end - 1)
    target = mapped_name(path)
    source = mappings_source(adapter.pid)
    assert first and last and first.path == last.path == target, (
        f"{call}: {source} does not map {path.name} over "
        f"[{m.addr:#x}, {end:#x}), {n} bytes rounded up to pages"
    )
    after = proc_maps_entry_at(adapter.pid, end)
    assert after is None or after.path != target, (
        f"{call}: {source} maps {path.name} beyond {end:#x}, more than {n} "
        "bytes rounded up to pages"
    )


def per_value(name: str, values: tuple[str, ...], clause: str) -> pytest.MarkDecorator:
    """Parametrize over ``values``, each case tagged with its own clause (so that a
    capability one value needs does not make the others unsupported)."""
    return pytest.mark.parametrize(
        name,
        [pytest.param(v, marks=pytest.mark.clause(clause.format(v)), id=v or "''") for v in values],
    )


def _named(args: tuple[Any, ...], why: str) -> str:
    return described("map", *args) + (f" ({why})" if why else "")


def expect_fails(maps: Maps, errcodes: tuple[str, ...], *args: Any, why: str = "") -> Outcome:
    """``map(*args)`` fails with one of ``errcodes``; the message names the call first."""
    outcome = maps.try_map(*args)
    ok = outcome.kind == "fails" and any(errcode_matches(outcome.errcode, e) for e in errcodes)
    assert ok, (
        f"{_named(args, why)}: expected a failure with errcode "
        f"{' or '.join(map(repr, errcodes))}, got: {outcome}"
    )
    return outcome


def expect_raises(maps: Maps, *args: Any, why: str = "") -> None:
    """``map(*args)`` raises an error (the document's "an error is raised")."""
    outcome = maps.try_map(*args)
    assert outcome.kind == "raises", (
        f"{_named(args, why)}: expected an error to be raised, got: {outcome}"
    )
