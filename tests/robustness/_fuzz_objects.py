"""The hostile objects a fuzz recipe names, made inside the worker process just before
the call (closed descriptors, pipes, sockets, read-only file objects, addresses of
live memory, tagnames...), and what each file held before it, to compare after."""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import io
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mmapspec import reference as mm
from mmapspec.bench.libc import MAP_ANONYMOUS, MAP_PRIVATE, PROT_NONE, libc

PAGE = mm.pagesize()
_libc = libc()


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


def digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def pattern(n: int, seed: int) -> bytes:
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
            data = pattern(size, len(fs))
            with open(fs, "wb") as f:
                f.write(data)
            call.contents[os.fsdecode(fs)] = data
            call.files.append(FileWatch(os.fsdecode(fs), True, size, digest(data)))
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
        data = pattern(size, size)
        with open(path, "wb") as f:
            f.write(data)
        call.contents[path] = data
        call.files.append(FileWatch(path, True, size, digest(data)))
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
                call.files[-1] = FileWatch(path, True, 0, digest(b""))
            if kind == "pending":
                # Bytes still sitting in the write buffer: the doc says write
                # buffers are flushed before mapping an already-opened file.
                pending = b"PENDING!"
                f.write(pending)
                # Flushing them is documented, so the file's expected state has them.
                data = pending + call.contents[path][len(pending) :]
                call.contents[path] = data
                call.files[-1] = FileWatch(path, True, len(data), digest(data))
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
            return FakeFile(kind)
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
                data = pattern(existing_size, 3)
                with open(shm_path, "wb") as f:
                    f.write(data)
                call.contents[shm_path] = data
                call.files.append(FileWatch(shm_path, True, existing_size, digest(data)))
            else:
                call.files.append(FileWatch(shm_path, False))
            call.cleanups.append(lambda: _remove(shm_path))
        return name


class FakeFile:
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


def _free_address() -> int:
    """An address that is free right now: map 16 pages anywhere, then unmap them."""
    addr = _libc.mmap(None, 16 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
    _libc.munmap(addr, 16 * PAGE)
    return int(addr)
