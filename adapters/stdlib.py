"""``stdlib``: CPython's ``mmap`` module judged against the documented API.

The adapter is deliberately thin glue, so that the report judges the module and
not the glue:

* It never does what the module does not: it does not create or extend files,
  align addresses, flush buffers or translate errors into documented meanings
  they do not have. Where CPython behaves differently from the doc (an empty file
  raises ValueError instead of failing with 'file_too_short'; a short file is a
  ValueError instead of being extended; an unaligned flush is EINVAL instead of
  being aligned), the report shows failures.
* What the module cannot do at all is undeclared, and raises :class:`Unsupported`
  if asked anyway: tagname, unlink, mirror, async flush, filesize, OS handles,
  requesting an address (``addr_request``), and ``aligned_size``/``aligned_addr``
  (``alignment``: the module has only the ``PAGESIZE``/``ALLOCATIONGRANULARITY``
  constants, which ``pagesize`` reports).
* Errors: ``OSError`` becomes a documented failure, its errno translated to a
  documented errcode only where the meaning is the same (ENOENT for a missing
  file, ENOSPC, ENOMEM), otherwise the errno int. ``ValueError``/``TypeError``/
  ``OverflowError``, CPython's way of refusing arguments, become argument errors.

Bytes are read and written through the mmap object (its slice protocol), never
through raw pointers. ``map.addr`` is the address of the mapping's buffer, taken
through the buffer protocol (ctypes), or None where that is impossible.

Option ``module``: any importable module with CPython ``mmap``'s API (``mmap.mmap``
with ``prot``/``flags`` on Unix, ``access`` on Windows, ``PAGESIZE``...).
Windows: untested here; only the access modes CPython offers there ('', 'w', 'c')
are declared.
"""

from __future__ import annotations

import ctypes
import dataclasses
import errno
import importlib
import os
import sys
from types import ModuleType
from typing import Any, NoReturn

from mmapspec.adapters.filerefs import Opened, close_all, open_handed_over
from mmapspec.adapters.handles import Handles
from mmapspec.adapters.interface import (
    ACCESS_MODES,
    Adapter,
    ArgumentError,
    CallForm,
    Capabilities,
    Direction,
    DocumentedFailure,
    FileRef,
    Handle,
    MapInfo,
    MirrorInfo,
    Unsupported,
)

# Errnos whose meaning is exactly a documented errcode; everything else is
# surfaced as the number.
_MAP_ERRNOS = {errno.ENOENT: "no_file", errno.ENOSPC: "disk_full", errno.ENOMEM: "out_of_mem"}


class _PyBuffer(ctypes.Structure):
    """CPython's ``Py_buffer``, to read the address behind a (read-only) buffer."""

    _fields_ = [
        ("buf", ctypes.c_void_p),
        ("obj", ctypes.c_void_p),
        ("len", ctypes.c_ssize_t),
        ("itemsize", ctypes.c_ssize_t),
        ("readonly", ctypes.c_int),
        ("ndim", ctypes.c_int),
        ("format", ctypes.c_char_p),
        ("shape", ctypes.c_void_p),
        ("strides", ctypes.c_void_p),
        ("suboffsets", ctypes.c_void_p),
        ("internal", ctypes.c_void_p),
    ]


def buffer_address(obj: object) -> int | None:
    """The address of ``obj``'s buffer, or None if it cannot be had (not CPython,
    or an object without the buffer protocol)."""
    api = getattr(ctypes, "pythonapi", None)
    if api is None or sys.implementation.name != "cpython":
        return None
    get, release = api.PyObject_GetBuffer, api.PyBuffer_Release
    get.argtypes = [ctypes.py_object, ctypes.POINTER(_PyBuffer), ctypes.c_int]
    get.restype = ctypes.c_int
    release.argtypes = [ctypes.POINTER(_PyBuffer)]
    release.restype = None
    view = _PyBuffer()
    try:
        if get(obj, ctypes.byref(view), 0) != 0:  # PyBUF_SIMPLE
            return None
    except (TypeError, BufferError, ValueError):
        return None
    try:
        return int(view.buf) if view.buf else None
    finally:
        release(ctypes.byref(view))


@dataclasses.dataclass
class _Live:
    mm: Any
    """The module's mmap object."""
    opened: list[Opened]
    """Descriptors and file objects the adapter opened for this map, closed on free."""
    addr: int | None


class StdlibAdapter(Adapter):
    """CPython's ``mmap`` (or a module with its API, ``module=NAME``) in process."""

    name = "stdlib"

    def __init__(self, module: str = "mmap") -> None:
        try:
            self.mod: ModuleType = importlib.import_module(module)
        except ImportError as exc:
            raise ValueError(f"module: cannot import {module!r}: {exc}") from exc
        if not hasattr(self.mod, "mmap"):
            raise ValueError(
                f"module: {module!r} has no mmap class, so it does not offer mmap's API"
            )
        self.module_name = module
        self.name = "stdlib" if module == "mmap" else f"stdlib:{module}"
        self.version = getattr(self.mod, "__version__", None) or (
            f"CPython {sys.version.split()[0]}" if module == "mmap" else "unknown"
        )
        self._unix = hasattr(self.mod, "PROT_READ")
        modes = set(ACCESS_MODES) if hasattr(self.mod, "PROT_EXEC") else {"", "w", "c"}
        self.capabilities = Capabilities(
            file_kinds=frozenset({"name", "fd", "fileobj"}),
            access_modes=frozenset(modes),
            anonymous=True,
            tagname=False,
            unlink=False,
            mirror=False,
            addr=True,  # the buffer's address, see buffer_address
            addr_request=False,  # mmap.mmap takes no address
            async_flush=False,  # flush() is msync(MS_SYNC) only
            range_flush=True,
            filesize=False,
            pagesize=True,  # ALLOCATIONGRANULARITY
            alignment=False,  # no aligned_size or aligned_addr
        )
        self._handles: Handles[_Live] = Handles()

    # -- helpers ------------------------------------------------------------

    def pagesize(self) -> int:
        # The doc's pagesize is the allocation granularity (offsets must be
        # aligned to it); on Windows that differs from PAGESIZE.
        return int(getattr(self.mod, "ALLOCATIONGRANULARITY", self.mod.PAGESIZE))

    def aligned_size(self, size: int, dir: Direction | None = None) -> int:
        raise Unsupported("alignment")

    def aligned_addr(self, addr: int, dir: Direction | None = None) -> int:
        raise Unsupported("alignment")

    # -- map ----------------------------------------------------------------

    def _prot_flags(self, access: str) -> dict[str, int]:
        m = self.mod
        if not self._unix:
            return {"access": {"": m.ACCESS_READ, "w": m.ACCESS_WRITE, "c": m.ACCESS_COPY}[access]}
        prot = m.PROT_READ
        if access in ("w", "c", "wx", "cx"):
            prot |= m.PROT_WRITE
        if "x" in access:
            prot |= m.PROT_EXEC
        return {"prot": prot, "flags": m.MAP_PRIVATE if "c" in access else m.MAP_SHARED}

    def _open(self, file: FileRef, access: str, opened: list[Opened]) -> int:
        """The descriptor to hand to ``mmap.mmap`` for ``file``."""
        if file.kind == "name":
            # What map() would open: read-write for write access, read-only
            # otherwise. Never O_CREAT: CPython's mmap does not create files. The open
            # is this adapter's, not CPython's (its mmap takes a descriptor), so it never
            # waits on a FIFO (O_NONBLOCK): whether mmap refuses one is what is judged.
            flags = os.O_RDWR if "w" in access else os.O_RDONLY
            fd = os.open(file.path, flags | getattr(os, "O_NONBLOCK", 0))
            opened.append(fd)
            return fd
        f = open_handed_over(file)
        opened.append(f)
        return f if isinstance(f, int) else f.fileno()

    def map(
        self,
        file: FileRef | None = None,
        access: str | None = None,
        size: int | None = None,
        offset: int | None = None,
        addr: int | None = None,
        tagname: str | None = None,
        *,
        form: CallForm = "table",
    ) -> MapInfo:
        if tagname is not None:
            raise Unsupported("tagname")
        if addr is not None:
            raise Unsupported("addr_request")
        access = "" if access is None else access
        if access not in self.capabilities.access_modes:
            raise ArgumentError(f"access: {access!r} is not one of the modes mmap offers")
        opened: list[Opened] = []
        try:
            fd = -1 if file is None else self._open(file, access, opened)
            kwargs = self._prot_flags(access)
            if offset is not None:
                kwargs["offset"] = offset
            # size None -> length 0, which is CPython's "the whole file".
            mm = self.mod.mmap(fd, 0 if size is None else size, **kwargs)
        except Exception as exc:
            close_all(opened)
            _raise_normalised(exc)
        live = _Live(mm, opened, buffer_address(mm))
        return MapInfo(handle=self._handles.issue(live), addr=live.addr, size=len(mm))

    def flush(
        self,
        handle: Handle,
        async_: bool | None = None,
        addr: int | None = None,
        size: int | None = None,
    ) -> bool:
        if async_:
            raise Unsupported("async_flush")
        live = self._handles.get(handle)
        try:
            if addr is None and size is None:
                live.mm.flush()
            elif addr is None or size is None:
                raise ArgumentError("flush: addr and size are given together or not at all")
            else:
                if live.addr is None:
                    raise Unsupported("range_flush: the map's address is unknown")
                live.mm.flush(addr - live.addr, size)
        except Exception as exc:
            _raise_normalised(exc)
        # CPython returns None and raises on failure: its spelling of `true`.
        return True

    def free(self, handle: Handle) -> None:
        live = self._handles.get(handle)
        self._handles.forget(handle)
        live.mm.close()
        close_all(live.opened)

    def unlink_map(self, handle: Handle) -> None:
        raise Unsupported("unlink")

    def unlink(self, tagname: str) -> None:
        raise Unsupported("unlink")

    def mirror(
        self,
        file: FileRef | None,
        size: int | None,
        times: int | None = None,
        addr: int | None = None,
        *,
        form: CallForm = "table",
    ) -> MirrorInfo:
        raise Unsupported("mirror")

    def filesize(self, file: FileRef, size: int | None = None) -> int:
        raise Unsupported("filesize")

    # -- bytes ----------------------------------------------------------------

    def read(self, handle: Handle, offset: int, length: int) -> bytes:
        mm = self._handles.get(handle).mm
        if offset < 0 or offset + length > len(mm):
            raise ArgumentError(
                f"offset/length: {offset}+{length} outside the map's {len(mm)} bytes"
            )
        return bytes(mm[offset : offset + length])

    def write(self, handle: Handle, offset: int, data: bytes) -> None:
        mm = self._handles.get(handle).mm
        if offset < 0 or offset + len(data) > len(mm):
            raise ArgumentError(
                f"offset/data: {offset}+{len(data)} outside the map's {len(mm)} bytes"
            )
        try:
            mm[offset : offset + len(data)] = data
        except TypeError as exc:
            # A read-only map: CPython refuses the write where the doc promises a
            # crash. Reported as what it is, a raised error.
            raise ArgumentError(f"write refused by {self.module_name}: {exc}") from exc

    @property
    def pid(self) -> int:
        return os.getpid()

    def close(self) -> None:
        for handle, _ in self._handles.newest_first():
            self.free(handle)


def _raise_normalised(exc: Exception) -> NoReturn:
    """Raise CPython's exception as one of the interface's three outcomes
    (anything unforeseen propagates unchanged, and the test reports it)."""
    if isinstance(exc, OSError) and exc.errno is not None:
        code = _MAP_ERRNOS.get(exc.errno, exc.errno)
        raise DocumentedFailure(code, exc.strerror or str(exc)) from exc
    if isinstance(exc, (ValueError, TypeError, OverflowError)):
        raise ArgumentError(f"{type(exc).__name__}: {exc}") from exc
    raise exc
