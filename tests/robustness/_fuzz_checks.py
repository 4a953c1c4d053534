"""The contract a fuzzed call must keep, as checks of its result and its exception:
what each function may raise, naming which parameters, and what a returned map,
mirror, size or address must satisfy. Each returns a list of violations."""

from __future__ import annotations

import ctypes
import os
import re
from typing import Any

import _resources  # noqa: I001  (imported by path: the worker runs as a script)
from _fuzz_objects import PAGE, Call, FakeFile
from mmapspec import reference as mm

# Parameter names a ValueError/TypeError may name, per function. The doc's name and
# the Python spelling are both accepted where they differ (aligned_size's `bytes`).
PARAMS: dict[str, tuple[str, ...]] = {
    "map": ("file", "access", "size", "offset", "addr", "tagname"),
    "mirror": ("file", "size", "times", "addr"),
    "unlink": ("tagname", "file", "name"),
    "pagesize": (),
    "aligned_size": ("bytes", "n", "size", "dir"),
    "aligned_addr": ("ptr", "addr", "dir"),
    "filesize": ("file", "size"),
    "flush": ("async", "async_", "addr", "size"),
    "free": (),
    "unlink_map": ("tagname",),
}
MAP_ERRCODES = {"no_file", "file_too_short", "disk_full", "out_of_mem"}
ERRCODES: dict[str, set[str]] = {
    "map": MAP_ERRCODES,
    "mirror": MAP_ERRCODES,
    "filesize": {"not_found", "disk_full"},
    "unlink": {"not_found", "no_file"},
    "unlink_map": {"not_found", "no_file"},
    "flush": set(),
}


def _names_param(message: str, func: str) -> bool:
    return any(
        re.search(rf"(?<![A-Za-z_]){re.escape(p)}(?![A-Za-z_])", message) for p in PARAMS[func]
    )


def check_exception(func: str, exc: BaseException) -> list[str]:
    if isinstance(exc, mm.MmapError):
        code = getattr(exc, "errcode", None)
        if isinstance(code, bool) or not (
            (isinstance(code, int) and code > 0) or code in ERRCODES[func]
        ):
            return [f"{func}: MmapError with errcode {code!r} (not documented, not an errno)"]
        return []
    if isinstance(exc, (ValueError, TypeError)):
        if not _names_param(str(exc), func):
            return [
                f"{func}: {type(exc).__name__} not naming a parameter of {PARAMS[func]}: {exc!r}"
            ]
        return []
    return [f"{func}: undocumented exception {type(exc).__module__}.{type(exc).__name__}: {exc!r}"]


def read(addr: int, n: int) -> bytes:
    return ctypes.string_at(addr, n)


def unlinks(recipe: dict[str, Any]) -> bool:
    """Whether the recipe removes a tagname's shared memory on purpose."""
    return recipe["func"] == "unlink" or any(m == "unlink" for m, _ in recipe.get("then", ()))


def has_write(recipe: dict[str, Any]) -> bool:
    access = recipe["kwargs"].get("access") or (
        recipe["args"][1] if len(recipe["args"]) > 1 else None
    )
    return (
        isinstance(access, tuple)
        and access[0] == "lit"
        and isinstance(access[1], str)
        and "w" in access[1]
    )


def bind_args(func: str, args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    names = {
        "map": ("file", "access", "size", "offset", "addr", "tagname"),
        "mirror": ("file", "size", "times", "addr"),
        "unlink": ("tagname",),
        "pagesize": (),
        "aligned_size": ("n", "dir"),
        "aligned_addr": ("ptr", "dir"),
        "filesize": ("file", "size"),
    }[func]
    bound = dict(zip(names, args, strict=False))  # fewer args than names is normal
    bound.update(kwargs)
    return bound


def aligned_ok(func: str, n: Any, direction: Any, result: Any) -> list[str]:
    if not isinstance(n, int) or not isinstance(result, int):
        return [f"{func}({n!r}, {direction!r}) returned {result!r}"]
    if result % PAGE:
        return [f"{func}({n!r}, {direction!r}) = {result} is not page-aligned"]
    if direction == "left":
        good = n - PAGE < result <= n
    elif direction in ("right", None):
        good = n <= result < n + PAGE
    else:
        return [f"{func}({n!r}, dir={direction!r}) accepted an unknown direction"]
    return [] if good else [f"{func}({n!r}, {direction!r}) = {result}: wrong page"]


def actual_size(file: Any) -> int | None:
    try:
        if isinstance(file, int) and not isinstance(file, bool):
            st = os.fstat(file)
        elif hasattr(file, "fileno") and not isinstance(file, FakeFile):
            st = os.fstat(file.fileno())
        elif isinstance(file, (str, bytes, os.PathLike)):
            st = os.stat(file)
        else:
            return None
    except (OSError, ValueError):
        return None
    return st.st_size if (st.st_mode & 0o170000) == 0o100000 else None


def source_contents(file: Any, call: Call, tagname: Any) -> bytes | None:
    try:
        if isinstance(tagname, str) and file is None:
            return call.contents.get("/dev/shm/" + tagname)
        if isinstance(file, (str, bytes, os.PathLike)):
            return call.contents.get(os.fsdecode(file))
        fd = file if isinstance(file, int) and not isinstance(file, bool) else file.fileno()
        return call.contents.get(os.readlink(f"/proc/self/fd/{fd}"))
    except (OSError, ValueError, AttributeError, TypeError):
        return None


def unmapped_within(addr: int, size: int, what: str) -> list[str]:
    """Whether [addr, addr+size) is really mapped, range by range from /proc/self/maps
    (a size the OS never saw, e.g. one truncated to 64 bits on its way, shows here)."""
    at, end = addr, addr + size
    for m in sorted(_resources.mappings()):
        if m.start <= at < m.end:
            at = m.end
        if at >= end:
            return []
    return [f"{what} claims [{addr:#x}, {end:#x}) but {at:#x} is not mapped"]


def mirror_invariant(addr: int, size: int, times: int) -> list[str]:
    """The reading of ``mirror.invariant``: byte i of copy o1 is byte i of copy o2, through
    writes."""
    probes = sorted({0, 1, size // 2, size - 1})
    for n, i in enumerate(probes):
        value = bytes([(n * 37 + 11) & 0xFF])
        ctypes.memmove(addr + i, value, 1)  # write through copy 0
        for o in range(times):
            if read(addr + o * size + i, 1) != value:
                return [f"mirror invariant broken: copy {o} byte {i}"]
        ctypes.memmove(addr + (times - 1) * size + i, b"\x5a", 1)  # and through the last copy
        if read(addr + i, 1) != b"\x5a":
            return [
                f"mirror invariant broken: write to copy {times - 1} not seen at copy 0, byte {i}"
            ]
    return []
