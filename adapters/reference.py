"""The reference implementation (``mmapspec.reference``) behind the adapter interface.

Everything goes through the public API, so the spec judges exactly what users get.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import os
from typing import Any

from mmapspec import reference as mm
from mmapspec.adapters.filerefs import Opened, close_all, open_handed_over
from mmapspec.adapters.interface import (
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
)


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run an API call, normalising its failures into the adapter outcomes."""
    try:
        return fn(*args, **kwargs)
    except mm.MmapError as e:
        raise DocumentedFailure(e.errcode, str(e)) from e
    except (ValueError, TypeError) as e:
        raise ArgumentError(f"{type(e).__name__}: {e}") from e


class ReferenceAdapter(Adapter):
    name = "reference"
    version = "0.1"
    capabilities = Capabilities(
        file_kinds=frozenset({"name", "fd", "fileobj"}),  # "handle" is Windows-only
    )

    def __init__(self) -> None:
        self._objects: dict[Handle, Any] = {}
        self._opened: dict[Handle, list[Opened]] = {}
        """What the adapter opened for a handle's file (fds, file objects), closed after free."""
        self._ids = itertools.count(1)
        self._copies: dict[Handle, list[Handle]] = {}
        """A mirror's handle -> the handles of its copies' maps (freed with it)."""

    # -- files ---------------------------------------------------------------

    def _open(self, ref: FileRef | None) -> tuple[Any, list[Opened]]:
        """The ``file`` argument for a FileRef, and what to close afterwards."""
        if ref is None:
            return None, []
        if ref.kind == "name":
            return ref.path, []
        f = open_handed_over(ref)
        return f, [f]

    def _register(self, obj: Any, opened: list[Opened]) -> Handle:
        h = next(self._ids)
        self._objects[h] = obj
        self._opened[h] = opened
        return h

    def _get(self, handle: Handle) -> Any:
        try:
            return self._objects[handle]
        except KeyError:
            raise ArgumentError(f"no live map or mirror with handle {handle}") from None

    # -- the documented API ----------------------------------------------------

    def pagesize(self) -> int:
        return int(_call(mm.pagesize))

    def aligned_size(self, size: int, dir: Direction | None = None) -> int:
        args = (size,) if dir is None else (size, dir)
        return int(_call(mm.aligned_size, *args))

    def aligned_addr(self, addr: int, dir: Direction | None = None) -> int:
        args = (addr,) if dir is None else (addr, dir)
        return int(_call(mm.aligned_addr, *args))

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
        f, opened = self._open(file)
        try:
            if form == "positional":
                m = _call(mm.map, f, access, size, offset, addr, tagname)
            else:
                given = {
                    "file": f,
                    "access": access,
                    "size": size,
                    "offset": offset,
                    "addr": addr,
                    "tagname": tagname,
                }
                m = _call(mm.map, **{k: v for k, v in given.items() if v is not None})
        except BaseException:
            close_all(opened)
            raise
        return MapInfo(self._register(m, opened), m.addr, m.size)

    def flush(
        self,
        handle: Handle,
        async_: bool | None = None,
        addr: int | None = None,
        size: int | None = None,
    ) -> bool:
        m = self._get(handle)
        if addr is None and size is None:
            args: tuple[Any, ...] = () if async_ is None else (async_,)
            return bool(_call(m.flush, *args))
        if async_ is None and addr is not None and size is not None:
            return bool(_call(m.flush, addr, size))
        if addr is not None and size is not None:
            return bool(_call(m.flush, async_, addr, size))
        return bool(_call(m.flush, async_=async_, addr=addr, size=size))

    def free(self, handle: Handle) -> None:
        obj = self._get(handle)
        _call(obj.free)
        del self._objects[handle]
        close_all(self._opened.pop(handle))
        for copy in self._copies.pop(handle, ()):
            self._objects.pop(copy, None)
            self._opened.pop(copy, None)

    def unlink_map(self, handle: Handle) -> None:
        _call(self._get(handle).unlink)

    def unlink(self, tagname: str) -> None:
        _call(mm.unlink, tagname)

    def mirror(
        self,
        file: FileRef | None,
        size: int | None,
        times: int | None = None,
        addr: int | None = None,
        *,
        form: CallForm = "table",
    ) -> MirrorInfo:
        f, opened = self._open(file)
        try:
            if form == "positional":
                args = [f, size, times, addr]
                while len(args) > 2 and args[-1] is None:  # mirror(file, size[, times[, addr]])
                    args.pop()
                mi = _call(mm.mirror, *args)
            else:
                given = {"file": f, "size": size, "times": times, "addr": addr}
                mi = _call(mm.mirror, **{k: v for k, v in given.items() if v is not None})
        except BaseException:
            close_all(opened)
            raise
        maps = tuple(MapInfo(self._register(m, []), m.addr, m.size) for m in mi.maps)
        handle = self._register(mi, opened)
        self._copies[handle] = [m.handle for m in maps]
        return MirrorInfo(handle, mi.addr, mi.size, maps)

    def filesize(self, file: FileRef, size: int | None = None) -> int:
        f, opened = self._open(file)
        try:
            args = (f,) if size is None else (f, size)
            return int(_call(mm.filesize, *args))
        finally:
            close_all(opened)

    # -- memory ------------------------------------------------------------------

    def _span(self, handle: Handle, offset: int, length: int) -> int:
        obj = self._get(handle)
        span = len(obj)
        if offset < 0 or length < 0 or offset + length > span:
            raise ArgumentError(
                f"range [{offset}, {offset + length}) is outside the "
                f"{span} bytes of handle {handle}"
            )
        return int(obj.addr) + offset

    def read(self, handle: Handle, offset: int, length: int) -> bytes:
        return ctypes.string_at(self._span(handle, offset, length), length)

    def write(self, handle: Handle, offset: int, data: bytes) -> None:
        # Deliberately not m[a:b] = data: writing to a read-only map must do what the
        # doc says it does (crash), which the spec provokes in an isolated process.
        ctypes.memmove(self._span(handle, offset, len(data)), data, len(data))

    @property
    def pid(self) -> int:
        return os.getpid()

    def close(self) -> None:
        for handle in sorted(self._objects, reverse=True):  # a mirror before its copies
            obj = self._objects.pop(handle)
            # BufferError: a test still holds a view; the process ends soon anyway.
            with contextlib.suppress(BufferError):
                obj.free()
            close_all(self._opened.pop(handle, []))
