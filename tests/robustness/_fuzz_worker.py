"""The fuzz worker: a child process that makes hostile calls to the reference.

Run as ``python _fuzz_worker.py SCRATCH_DIR TAG_PREFIX``. It reads pickled *recipes* from
stdin and answers each with a pickled list of contract violations (empty when the
call behaved). A recipe describes the call with plain data; the hostile objects
it names (closed descriptors, pipes, sockets, read-only file objects, addresses of
live memory...) are created here, just before the call, because they only make
sense inside the process that makes it.

Everything dangerous happens in this process, so that a crash of the interpreter
(SIGSEGV, SIGBUS, abort) kills only the worker; the parent notices the death,
reports the recipe and lets Hypothesis shrink it.

For each recipe the worker checks the whole contract (with the readings recorded in the catalogue):

* the call ends in a documented result, a ValueError/TypeError whose message names
  a parameter of the function, or an MmapError carrying a documented errcode or
  an OS error number; nothing else;
* no descriptor and no mapping is left behind (counted from /proc/self);
* descriptors and file objects handed in stay open (reading 8);
* an existing file keeps its bytes; a failed call leaves its size alone too, and a
  file that did not exist before a failed call does not exist after it (reading 9);
* a live mapping we own (the canary) is never overwritten by a hinted address;
* results are right: sizes, alignment, requested address, file contents, and the
  mirror invariant (reading 4).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import io
import mmap as pymmap
import os
import pickle
import re
import resource
import signal
import socket
import struct
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import _resources  # noqa: I001  (imported by path: this file runs as a script)
from mmapspec import reference as mm

PAGE = mm.pagesize()

# File growth is capped in this process, so a hostile size cannot fill the disk or
# /dev/shm (which other tests share): growth beyond the cap fails with EFBIG
# instead of killing us with SIGXFSZ.
FSIZE_CAP = 64 << 20

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


@dataclass
class FileWatch:
    """A regular file a call was given, and what it held before the call."""

    path: str
    existed: bool
    size: int = 0
    digest: bytes = b""


@dataclass
class Call:
    """The materialised objects of one recipe, and how to clean them up."""

    scratch: str
    tag_prefix: str
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    files: list[FileWatch] = field(default_factory=list)
    fds: list[tuple[int, int]] = field(default_factory=list)  # (fd, inode) handed in
    fobjs: list[Any] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    contents: dict[str, bytes] = field(default_factory=dict)  # path -> bytes before


def _digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _pattern(n: int, seed: int) -> bytes:
    return bytes((seed * 131 + i * 7 + (i >> 8)) & 0xFF for i in range(n))


class Materialiser:
    """Turns recipe argument specs into real objects inside this process."""

    def __init__(self, scratch: str, canary_addr: int, tag_prefix: str) -> None:
        self.scratch = scratch
        self.canary_addr = canary_addr
        self.tag_prefix = tag_prefix  # the parent's, so it can clean up after a crash

    def value(self, spec: tuple[Any, ...], call: Call, result_map: Any = None) -> Any:
        kind = spec[0]
        if kind == "lit":
            return spec[1]
        if kind == "path":
            return self._path(call, *spec[1:])
        if kind == "fd":
            return self._fd(call, *spec[1:])
        if kind == "fobj":
            return self._fobj(call, *spec[1:])
        if kind == "addr":
            return self._addr(spec[1])
        if kind == "tag":
            return self._tag(call, *spec[1:])
        if kind == "maprel":  # an address relative to the map under test (flush)
            return result_map.addr + spec[1]
        raise AssertionError(f"unknown spec {spec!r}")

    # -- files by name ------------------------------------------------------------
    def _new_path(self, suffix: str | bytes, form: str) -> str | bytes | os.PathLike[str]:
        base = os.path.join(self.scratch, uuid.uuid4().hex)
        if form == "bytes":
            suffix_b = suffix if isinstance(suffix, bytes) else os.fsencode(suffix)
            return os.fsencode(base) + suffix_b
        suffix_s = suffix if isinstance(suffix, str) else os.fsdecode(suffix)
        path = base + suffix_s
        if form == "pathlike":
            import pathlib

            return pathlib.Path(path)
        return path

    def _path(self, call: Call, state: str, size: int, suffix: str | bytes, form: str) -> Any:
        path = self._new_path(suffix, form)
        fs = os.fsencode(path)
        if state == "existing":
            data = _pattern(size, len(fs))
            with open(fs, "wb") as f:
                f.write(data)
            call.contents[os.fsdecode(fs)] = data
            call.files.append(FileWatch(os.fsdecode(fs), True, size, _digest(data)))
        elif state == "dir":
            os.mkdir(fs)
            call.cleanups.append(lambda: os.rmdir(fs))
            return path
        else:
            call.files.append(FileWatch(os.fsdecode(fs), False))
        call.cleanups.append(lambda: _remove(fs))
        return path

    def _regular(self, call: Call, size: int) -> str:
        path = os.path.join(self.scratch, uuid.uuid4().hex)
        data = _pattern(size, size)
        with open(path, "wb") as f:
            f.write(data)
        call.contents[path] = data
        call.files.append(FileWatch(path, True, size, _digest(data)))
        call.cleanups.append(lambda: _remove(path))
        return path

    # -- descriptors --------------------------------------------------------------
    def _own_fd(self, call: Call, fd: int) -> int:
        call.fds.append((fd, os.fstat(fd).st_ino))
        call.cleanups.append(lambda: _close(fd))
        return fd

    def _fd(self, call: Call, kind: str, size: int = 0) -> int:
        if kind in ("r", "r+", "w+"):
            path = self._regular(call, size)
            flags = {"r": os.O_RDONLY, "r+": os.O_RDWR, "w+": os.O_RDWR}[kind]
            return self._own_fd(call, os.open(path, flags | os.O_CLOEXEC))
        if kind == "closed":
            fd = os.open(os.devnull, os.O_RDONLY)
            os.close(fd)
            return fd
        if kind == "dir":
            return self._own_fd(call, os.open(self.scratch, os.O_RDONLY | os.O_DIRECTORY))
        if kind in ("pipe_r", "pipe_w"):
            r, w = os.pipe()
            keep, other = (r, w) if kind == "pipe_r" else (w, r)
            call.cleanups.append(lambda: _close(other))
            return self._own_fd(call, keep)
        if kind == "socket":
            a, b = socket.socketpair()
            call.cleanups.append(a.close)
            call.cleanups.append(b.close)
            call.fds.append((a.fileno(), os.fstat(a.fileno()).st_ino))
            return a.fileno()
        if kind in ("devnull_r", "devnull_rw", "devzero"):
            path = "/dev/zero" if kind == "devzero" else os.devnull
            flags = os.O_RDONLY if kind == "devnull_r" else os.O_RDWR
            return self._own_fd(call, os.open(path, flags))
        raise AssertionError(kind)

    # -- file objects -------------------------------------------------------------
    def _fobj(self, call: Call, kind: str, size: int = 0) -> Any:
        if kind in ("rb", "r+b", "wb+", "r+b-raw", "r+", "pending"):
            path = self._regular(call, size)
            mode = {"pending": "r+b", "r+b-raw": "r+b"}.get(kind, kind)
            buffering = 0 if kind == "r+b-raw" else -1
            f = open(path, mode, buffering=buffering)  # noqa: SIM115 (closed in cleanup)
            if mode.startswith("w"):  # opening truncated it: that is the "before" state
                call.contents[path] = b""
                call.files[-1] = FileWatch(path, True, 0, _digest(b""))
            if kind == "pending":
                # Bytes still sitting in the write buffer: the doc says write
                # buffers are flushed before mapping an already-opened file.
                pending = b"PENDING!"
                f.write(pending)
                # Flushing them is documented, so the file's expected state has them.
                data = pending + call.contents[path][len(pending) :]
                call.contents[path] = data
                call.files[-1] = FileWatch(path, True, len(data), _digest(data))
            call.fobjs.append(f)
            call.fds.append((f.fileno(), os.fstat(f.fileno()).st_ino))
            call.cleanups.append(f.close)
            return f
        if kind == "closed":
            f = open(self._regular(call, size), "rb")  # noqa: SIM115
            f.close()
            return f
        if kind == "bytesio":
            return io.BytesIO(b"x" * size)
        if kind == "socket":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            call.cleanups.append(s.close)
            call.fobjs.append(s)
            return s
        if kind in ("fileno_str", "fileno_raises", "fileno_neg", "fileno_huge"):
            return _FakeFile(kind)
        raise AssertionError(kind)

    # -- addresses ----------------------------------------------------------------
    def _addr(self, kind: str) -> int:
        if kind == "canary":
            return self.canary_addr
        if kind == "canary_mid":
            return self.canary_addr + PAGE
        if kind == "canary_unaligned":
            return self.canary_addr + 1
        if kind == "heap":  # inside the interpreter's own heap: live memory
            return id(self) // PAGE * PAGE
        if kind == "code":  # inside libc's code
            addr = ctypes.cast(ctypes.CDLL(None).getpid, ctypes.c_void_p).value or 0
            return addr // PAGE * PAGE
        if kind in ("free", "free_unaligned"):
            return _free_address() + (1 if kind == "free_unaligned" else 0)
        raise AssertionError(kind)

    # -- tagnames -----------------------------------------------------------------
    def _tag(self, call: Call, suffix: str, existing_size: int | None) -> str:
        name = self.tag_prefix + uuid.uuid4().hex[:8] + suffix
        shm_path = "/dev/shm/" + name
        plain = "/" not in suffix and "\0" not in suffix and len(name) < 250
        if plain:
            try:
                shm_path.encode()
            except UnicodeEncodeError:
                plain = False
        if plain:
            call.tags.append(name)
            if existing_size is not None:
                data = _pattern(existing_size, 3)
                with open(shm_path, "wb") as f:
                    f.write(data)
                call.contents[shm_path] = data
                call.files.append(FileWatch(shm_path, True, existing_size, _digest(data)))
            else:
                call.files.append(FileWatch(shm_path, False))
            call.cleanups.append(lambda: _remove(shm_path))
        return name


class _FakeFile:
    """An object that has a ``fileno`` that misbehaves."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def fileno(self) -> Any:
        if self.kind == "fileno_raises":
            raise io.UnsupportedOperation("fileno")
        return {"fileno_str": "3", "fileno_neg": -1, "fileno_huge": 2**70}[self.kind]

    def __repr__(self) -> str:
        return f"<fake file {self.kind}>"


def _remove(path: str | bytes) -> None:
    with contextlib.suppress(OSError, ValueError):  # ValueError: a NUL in a hostile name
        os.remove(path)


def _close(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_long,
]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]


def _free_address() -> int:
    """An address that is free right now: map 16 pages anywhere, then unmap them."""
    prot_none, private_anon = 0, pymmap.MAP_PRIVATE | pymmap.MAP_ANONYMOUS
    addr = _libc.mmap(None, 16 * PAGE, prot_none, private_anon, -1, 0)
    _libc.munmap(addr, 16 * PAGE)
    return int(addr)


def _names_param(message: str, func: str) -> bool:
    return any(
        re.search(rf"(?<![A-Za-z_]){re.escape(p)}(?![A-Za-z_])", message) for p in PARAMS[func]
    )


def _check_exception(func: str, exc: BaseException) -> list[str]:
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


def _read(addr: int, n: int) -> bytes:
    return ctypes.string_at(addr, n)


class Worker:
    def __init__(self, scratch: str, tag_prefix: str) -> None:
        self.scratch = scratch
        # A live mapping of ours, with a known pattern, that hinted maps must not replace.
        self.canary = pymmap.mmap(-1, 3 * PAGE)
        self.canary_data = _pattern(3 * PAGE, 77)
        self.canary[:] = self.canary_data
        self.canary_addr = ctypes.addressof(ctypes.c_char.from_buffer(self.canary))
        self.mat = Materialiser(scratch, self.canary_addr, tag_prefix)

    def run(self, recipe: dict[str, Any]) -> list[str]:
        if recipe["func"] == "_crash":  # lets the parent's tests prove crash detection works
            ctypes.memset(0, 0, 1)
        call = Call(self.scratch, self.mat.tag_prefix)
        try:
            args = [self.mat.value(s, call) for s in recipe["args"]]
            kwargs = {k: self.mat.value(s, call) for k, s in recipe["kwargs"].items()}
            before = _resources.snapshot(collect=False)
            problems = self._call(recipe, call, args, kwargs)
            problems += [f"leak: {p}" for p in _resources.leaks(before)]
            problems += self._check_files(recipe, call)
            problems += self._check_handed_in(call)
            if _read(self.canary_addr, len(self.canary_data)) != self.canary_data:
                problems.append("the canary mapping was overwritten")
                self.canary[:] = self.canary_data
            return problems
        finally:
            for clean in reversed(call.cleanups):
                clean()

    # -- the call and its result -------------------------------------------------
    def _call(
        self, recipe: dict[str, Any], call: Call, args: list[Any], kwargs: dict[str, Any]
    ) -> list[str]:
        func = recipe["func"]
        try:
            result = getattr(mm, func)(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 (classifying is the point)
            recipe["_outcome"] = "error"
            return _check_exception(func, exc)
        recipe["_outcome"] = "ok"
        bound = _bind(func, args, kwargs)
        checker = getattr(self, f"_ok_{func}")
        return checker(recipe, call, bound, result)

    def _ok_pagesize(
        self, recipe: Any, call: Call, bound: dict[str, Any], result: Any
    ) -> list[str]:
        ok = isinstance(result, int) and result > 0 and result & (result - 1) == 0
        return [] if ok else [f"pagesize() returned {result!r}"]

    def _ok_aligned_size(
        self, recipe: Any, call: Call, bound: dict[str, Any], result: Any
    ) -> list[str]:
        n = bound.get("n", bound.get("bytes"))
        return _aligned_ok("aligned_size", n, bound.get("dir", "right"), result)

    def _ok_aligned_addr(
        self, recipe: Any, call: Call, bound: dict[str, Any], result: Any
    ) -> list[str]:
        return _aligned_ok("aligned_addr", bound.get("ptr"), bound.get("dir", "right"), result)

    def _ok_unlink(self, recipe: Any, call: Call, bound: dict[str, Any], result: Any) -> list[str]:
        name = bound.get("tagname", bound.get("file", bound.get("name")))
        if isinstance(name, str) and os.path.exists("/dev/shm/" + name.lstrip("/")):
            return [f"unlink({name!r}) succeeded but the shared memory file is still there"]
        return []

    def _ok_filesize(
        self, recipe: Any, call: Call, bound: dict[str, Any], result: Any
    ) -> list[str]:
        size = bound.get("size")
        actual = _actual_size(bound.get("file"))
        if not isinstance(result, int) or isinstance(result, bool):
            return [f"filesize returned {result!r}"]
        if size is None:
            if actual is not None and result != actual:
                return [f"filesize returned {result}, the file has {actual} bytes"]
            return []
        problems = []
        if result != size:
            problems.append(f"filesize(file, {size!r}) returned {result!r}")
        if actual is not None and actual != size:
            problems.append(f"filesize(file, {size!r}) left the file at {actual} bytes")
        recipe["_resized"] = True
        return problems

    def _ok_map(self, recipe: Any, call: Call, bound: dict[str, Any], m: Any) -> list[str]:
        problems: list[str] = []
        try:
            problems += self._check_map(recipe, call, bound, m)
            for method, specs in recipe.get("then", ()):
                problems += self._method(m, method, [self.mat.value(s, call, m) for s in specs])
        finally:
            problems += self._free_twice(m, "map")
        return problems

    def _check_map(self, recipe: Any, call: Call, bound: dict[str, Any], m: Any) -> list[str]:
        problems = []
        addr, size = getattr(m, "addr", None), getattr(m, "size", None)
        if not isinstance(addr, int) or addr <= 0 or addr % PAGE:
            return [f"map returned addr {addr!r}: not a page-aligned address"]
        if not isinstance(size, int) or size <= 0:
            return [f"map returned size {size!r}"]
        if bound.get("size") is not None and size != bound["size"]:
            problems.append(f"map(size={bound['size']!r}) returned size {size}")
        if bound.get("addr") is not None and addr != bound["addr"]:
            problems.append(f"map(addr={bound['addr']:#x}) mapped at {addr:#x} instead")
        unmapped = _unmapped_within(addr, size, "map")
        if unmapped:
            return problems + unmapped  # touching it would crash: report the lie instead
        # Touch both ends: a map larger than its file would die of SIGBUS here.
        _read(addr, 1)
        _read(addr + size - 1, 1)
        offset = bound.get("offset") or 0
        src = _source_contents(bound.get("file"), call, bound.get("tagname"))
        if src is not None and isinstance(offset, int):
            expect = src[offset : offset + min(size, 4 * PAGE)]
            got = _read(addr, len(expect))
            if got != expect:
                problems.append(f"mapped bytes differ from the file at offset {offset}")
        access = bound.get("access") or ""
        if access in ("w", "c", "wx", "cx"):
            data = _pattern(min(size, 64), 5)
            ctypes.memmove(addr, data, len(data))
            if _read(addr, len(data)) != data:
                problems.append("writing to a writable map did not stick")
            if "c" in access:
                recipe["_wrote_cow"] = True
            else:
                recipe["_wrote"] = True
        return problems

    def _method(self, m: Any, method: str, args: list[Any]) -> list[str]:
        func = "unlink_map" if method == "unlink" else method
        try:
            getattr(m, method)(*args)
        except Exception as exc:  # noqa: BLE001
            return _check_exception(func, exc)
        return []

    def _free_twice(self, obj: Any, what: str) -> list[str]:
        problems = []
        try:
            obj.free()
            obj.free()  # idempotent
        except Exception as exc:  # noqa: BLE001
            problems.append(f"{what}.free() raised {exc!r}")
        if what == "map":
            try:
                obj.flush()
                problems.append("flush() after free() did not raise")
            except ValueError:
                pass
            except Exception as exc:  # noqa: BLE001
                problems.append(f"flush() after free() raised {exc!r}, not ValueError")
        return problems

    def _ok_mirror(self, recipe: Any, call: Call, bound: dict[str, Any], mr: Any) -> list[str]:
        problems: list[str] = []
        try:
            addr, size, maps = mr.addr, mr.size, list(mr.maps)
            times = 2 if bound.get("times") is None else bound["times"]  # None: not given
            want = -(-bound["size"] // PAGE) * PAGE
            if size != want:
                problems.append(f"mirror(size={bound['size']!r}).size is {size}, want {want}")
            if len(maps) != times:
                problems.append(f"mirror(times={times!r}) has {len(maps)} maps")
            if bound.get("addr") is not None and addr != bound["addr"]:
                problems.append(f"mirror(addr={bound['addr']:#x}) is at {addr:#x}")
            if not problems:
                problems += _unmapped_within(addr, size * times, "mirror")
            if not problems:
                problems += _mirror_invariant(addr, size, times)
            recipe["_wrote"] = True
        finally:
            problems += self._free_twice(mr, "mirror")
        return problems

    # -- side effects ---------------------------------------------------------------
    def _check_files(self, recipe: dict[str, Any], call: Call) -> list[str]:
        problems = []
        ok = recipe["_outcome"] == "ok"
        wrote = recipe.get("_wrote", False)
        resized = recipe.get("_resized", False)
        grows = ok and (recipe["func"] in ("mirror", "filesize") or _has_write(recipe))
        for f in call.fobjs:  # a call that failed early need not have flushed them
            with contextlib.suppress(Exception):
                f.flush()
        for w in call.files:
            exists = os.path.exists(w.path)
            if not w.existed:
                if exists and not ok:
                    problems.append(
                        f"a failed {recipe['func']} left behind the file it created: {w.path}"
                    )
                if exists and ok and recipe["func"] == "map" and not _has_write(recipe):
                    problems.append(f"a map without write access created {w.path}")
                continue
            if not exists:
                if not (ok and _unlinks(recipe)):
                    problems.append(f"{recipe['func']} removed an existing file {w.path}")
                continue
            with open(w.path, "rb") as f:
                now = f.read()
            if len(now) != w.size and not grows:
                what = f"{recipe['func']} ({recipe['_outcome']})"
                problems.append(f"{what} resized {w.path}: {w.size} -> {len(now)}")
            keep = min(w.size, len(now)) if resized else w.size
            if wrote:
                continue  # our own writes through a shared map legitimately change it
            if _digest(now[:keep]) != _digest(call.contents[w.path][:keep]):
                problems.append(f"{recipe['func']} changed the bytes of existing file {w.path}")
        return problems

    def _check_handed_in(self, call: Call) -> list[str]:
        problems = []
        for fd, ino in call.fds:
            try:
                if os.fstat(fd).st_ino != ino:
                    problems.append(f"descriptor {fd} handed in now refers to another file")
            except OSError:
                problems.append(f"descriptor {fd} handed in was closed")
        for f in call.fobjs:
            if getattr(f, "closed", False) or (hasattr(f, "_closed") and f._closed):
                problems.append(f"file object {f!r} handed in was closed")
        return problems


def _unlinks(recipe: dict[str, Any]) -> bool:
    """Whether the recipe removes a tagname's shared memory on purpose."""
    return recipe["func"] == "unlink" or any(m == "unlink" for m, _ in recipe.get("then", ()))


def _has_write(recipe: dict[str, Any]) -> bool:
    access = recipe["kwargs"].get("access") or (
        recipe["args"][1] if len(recipe["args"]) > 1 else None
    )
    return (
        isinstance(access, tuple)
        and access[0] == "lit"
        and isinstance(access[1], str)
        and "w" in access[1]
    )


def _bind(func: str, args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
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


def _aligned_ok(func: str, n: Any, direction: Any, result: Any) -> list[str]:
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


def _actual_size(file: Any) -> int | None:
    try:
        if isinstance(file, int) and not isinstance(file, bool):
            st = os.fstat(file)
        elif hasattr(file, "fileno") and not isinstance(file, _FakeFile):
            st = os.fstat(file.fileno())
        elif isinstance(file, (str, bytes, os.PathLike)):
            st = os.stat(file)
        else:
            return None
    except (OSError, ValueError):
        return None
    return st.st_size if (st.st_mode & 0o170000) == 0o100000 else None


def _source_contents(file: Any, call: Call, tagname: Any) -> bytes | None:
    try:
        if isinstance(tagname, str) and file is None:
            return call.contents.get("/dev/shm/" + tagname)
        if isinstance(file, (str, bytes, os.PathLike)):
            return call.contents.get(os.fsdecode(file))
        fd = file if isinstance(file, int) and not isinstance(file, bool) else file.fileno()
        return call.contents.get(os.readlink(f"/proc/self/fd/{fd}"))
    except (OSError, ValueError, AttributeError, TypeError):
        return None


def _unmapped_within(addr: int, size: int, what: str) -> list[str]:
    """Whether [addr, addr+size) is really mapped, range by range from /proc/self/maps
    (a size the OS never saw, e.g. one truncated to 64 bits on its way, shows here)."""
    at, end = addr, addr + size
    for m in sorted(_resources.mappings()):
        if m.start <= at < m.end:
            at = m.end
        if at >= end:
            return []
    return [f"{what} claims [{addr:#x}, {end:#x}) but {at:#x} is not mapped"]


def _mirror_invariant(addr: int, size: int, times: int) -> list[str]:
    """Reading 4: byte i of copy o1 is byte i of copy o2, through writes."""
    probes = sorted({0, 1, size // 2, size - 1})
    for n, i in enumerate(probes):
        value = bytes([(n * 37 + 11) & 0xFF])
        ctypes.memmove(addr + i, value, 1)  # write through copy 0
        for o in range(times):
            if _read(addr + o * size + i, 1) != value:
                return [f"mirror invariant broken: copy {o} byte {i}"]
        ctypes.memmove(addr + (times - 1) * size + i, b"\x5a", 1)  # and through the last copy
        if _read(addr + i, 1) != b"\x5a":
            return [
                f"mirror invariant broken: write to copy {times - 1} not seen at copy 0, byte {i}"
            ]
    return []


def _serve() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (FSIZE_CAP, resource.RLIM_INFINITY))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    # The protocol moves to descriptors of its own; 0 and 1 become /dev/null, so a
    # fuzzed small integer used as a descriptor cannot hit the protocol pipes.
    inp = os.fdopen(os.dup(0), "rb", buffering=0)
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    import faulthandler

    faulthandler.enable()  # a crash prints the Python stack to stderr for the parent
    os.chdir(sys.argv[1])  # fuzzed relative names ("4096", "object") land in the scratch dir
    worker = Worker(sys.argv[1], sys.argv[2])
    while True:
        head = inp.read(4)
        if len(head) < 4:
            return
        (n,) = struct.unpack("<I", head)
        buf = b""
        while len(buf) < n:
            chunk = inp.read(n - len(buf))
            if not chunk:
                return
            buf += chunk
        recipe = pickle.loads(buf)
        try:
            reply: Any = worker.run(recipe)
        except Exception as exc:  # noqa: BLE001 (a harness bug, reported as such)
            import traceback

            reply = [f"worker error (harness): {exc!r}\n{traceback.format_exc()}"]
        data = pickle.dumps(reply)
        out.write(struct.pack("<I", len(data)) + data)


if __name__ == "__main__":
    _serve()
