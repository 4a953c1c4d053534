"""The reference implementation (``mmapspec.reference``) behind the adapter interface.

Everything goes through the public API, so the spec judges exactly what users get.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import dataclasses
import os
import sys
from typing import Any

from mmapspec import __version__
from mmapspec import reference as mm
from mmapspec.adapters.filerefs import Opened, close_all, open_handed_over, os_handle
from mmapspec.adapters.handles import Handles
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
    Unsupported,
)


def _normalise_errors(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn``, raising its failures as the adapter outcomes: a documented
    failure for ``MmapError``, an argument error for ``ValueError``/``TypeError``."""
    try:
        return fn(*args, **kwargs)
    except mm.MmapError as e:
        raise DocumentedFailure(e.errcode, str(e)) from e
    except (ValueError, TypeError) as e:
        raise ArgumentError(f"{type(e).__name__}: {e}") from e


FREED_KEPT = 16
"""How many freed maps the adapter keeps to hand flush, read and write to (a few:
10,000 map + free cycles must not make the process grow)."""


@dataclasses.dataclass(frozen=True)
class _Held:
    """A live map or mirror of the reference, and what the adapter opened for it."""

    obj: Any
    opened: list[Opened]
    """Descriptors and file objects opened for its file, closed once it is freed."""
    copies: tuple[Handle, ...] = ()
    """A mirror's maps' handles, forgotten with it."""


WINDOWS = sys.platform == "win32"


class ReferenceAdapter(Adapter):
    name = "reference"
    version = __version__  # the reference is mmapspec's: one version
    capabilities = Capabilities(
        # A HANDLE is Windows' own kind of file: the reference takes one there only.
        file_kinds=frozenset({"name", "fd", "fileobj"} | ({"handle"} if WINDOWS else set())),
    )

    def __init__(self) -> None:
        self._handles: Handles[_Held] = Handles()
        self._freed: collections.OrderedDict[Handle, Any] = collections.OrderedDict()
        """The last maps freed, by handle: flush, read and write on a freed map are
        the binding's to answer (they must raise), not this bookkeeping's."""

    # -- files ---------------------------------------------------------------

    def _open(self, ref: FileRef | None) -> tuple[Any, list[Opened]]:
        """The ``file`` argument for a FileRef, and what to close afterwards."""
        if ref is None:
            return None, []
        if ref.kind == "name":
            return ref.path, []
        if ref.kind == "handle":
            if not WINDOWS:
                raise Unsupported("file:handle")
            fd = open_handed_over(dataclasses.replace(ref, kind="fd"))
            assert isinstance(fd, int)
            return os_handle(fd), [fd]
        f = open_handed_over(ref)
        return f, [f]

    def _get(self, handle: Handle) -> Any:
        """The live map or mirror of ``handle``."""
        return self._handles.get(handle).obj

    def _map(self, handle: Handle, method: str) -> Any:
        """The map of ``handle``, live or one of the last freed (what ``flush`` does
        with a freed map is the binding's to answer): a mirror has no ``flush`` or
        ``unlink``."""
        try:
            return self._freed[handle]
        except (KeyError, TypeError):
            pass
        held = self._handles.get(handle)
        if held.copies:
            raise ArgumentError(f"handle {handle!r} is a mirror: {method} takes a map's handle")
        return held.obj

    # -- the documented API ----------------------------------------------------

    def pagesize(self) -> int:
        return int(_normalise_errors(mm.pagesize))

    def aligned_size(self, size: int, dir: Direction | None = None) -> int:
        args = (size,) if dir is None else (size, dir)
        return int(_normalise_errors(mm.aligned_size, *args))

    def aligned_addr(self, addr: int, dir: Direction | None = None) -> int:
        args = (addr,) if dir is None else (addr, dir)
        return int(_normalise_errors(mm.aligned_addr, *args))

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
                m = _normalise_errors(mm.map, f, access, size, offset, addr, tagname)
            else:
                given = {
                    "file": f,
                    "access": access,
                    "size": size,
                    "offset": offset,
                    "addr": addr,
                    "tagname": tagname,
                }
                m = _normalise_errors(mm.map, **{k: v for k, v in given.items() if v is not None})
        except BaseException:
            close_all(opened)
            raise
        return MapInfo(self._handles.issue(_Held(m, opened)), m.addr, m.size)

    def flush(
        self,
        handle: Handle,
        async_: bool | None = None,
        addr: int | None = None,
        size: int | None = None,
    ) -> bool:
        m = self._map(handle, "flush")
        if addr is None and size is None:
            args: tuple[Any, ...] = () if async_ is None else (async_,)
            return bool(_normalise_errors(m.flush, *args))
        if async_ is None and addr is not None and size is not None:
            return bool(_normalise_errors(m.flush, addr, size))
        if addr is not None and size is not None:
            return bool(_normalise_errors(m.flush, async_, addr, size))
        return bool(_normalise_errors(m.flush, async_=async_, addr=addr, size=size))

    def free(self, handle: Handle) -> None:
        held = self._handles.get(handle)
        _normalise_errors(held.obj.free)
        self._handles.forget(handle)
        self._freed[handle] = held.obj
        if len(self._freed) > FREED_KEPT:
            self._freed.popitem(last=False)
        close_all(held.opened)
        for copy in held.copies:
            self._handles.forget(copy)

    def unlink_map(self, handle: Handle) -> None:
        _normalise_errors(self._map(handle, "unlink").unlink)

    def unlink(self, tagname: str) -> None:
        _normalise_errors(mm.unlink, tagname)

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
                mi = _normalise_errors(mm.mirror, *args)
            else:
                given = {"file": f, "size": size, "times": times, "addr": addr}
                mi = _normalise_errors(
                    mm.mirror, **{k: v for k, v in given.items() if v is not None}
                )
        except BaseException:
            close_all(opened)
            raise
        maps = tuple(MapInfo(self._handles.issue(_Held(m, [])), m.addr, m.size) for m in mi.maps)
        handle = self._handles.issue(_Held(mi, opened, tuple(m.handle for m in maps)))
        return MirrorInfo(handle, mi.addr, mi.size, maps)

    def filesize(self, file: FileRef, size: int | None = None) -> int:
        f, opened = self._open(file)
        try:
            args = (f,) if size is None else (f, size)
            return int(_normalise_errors(mm.filesize, *args))
        finally:
            close_all(opened)

    # -- memory ------------------------------------------------------------------

    def _span(self, handle: Handle, offset: int, length: int) -> int:
        freed_map = self._freed.get(handle) if isinstance(handle, int) else None
        if freed_map is not None:
            obj = freed_map
        else:
            held = self._handles.get(handle)
            freed = [c for c in held.copies if c not in self._handles]
            if freed:  # the hole a copy freed on its own left may hold anyone's memory now
                raise ArgumentError(
                    f"handle {handle!r}: its copy {freed[0]!r} was freed on its own, "
                    "so the mirror's memory has a hole"
                )
            obj = held.obj
        addr = int(_normalise_errors(getattr, obj, "addr"))  # a freed map's raises
        span = len(obj)
        if offset < 0 or length < 0 or offset + length > span:
            raise ArgumentError(
                f"range [{offset}, {offset + length}) is outside the "
                f"{span} bytes of handle {handle}"
            )
        return addr + offset

    # Memory is touched by a plain copy in ctypes' own C code (an array's ``raw`` at
    # the address), never through a foreign call such as ctypes.memmove/string_at:
    # on Windows ctypes wraps foreign calls in an exception handler that turns an
    # access violation into OSError, so the documented crashes would not happen.

    def read(self, handle: Handle, offset: int, length: int) -> bytes:
        return (ctypes.c_char * length).from_address(self._span(handle, offset, length)).raw

    def write(self, handle: Handle, offset: int, data: bytes) -> None:
        # Deliberately not m[a:b] = data: writing to a read-only map must do what the
        # doc says it does (crash), which the spec provokes in an isolated process.
        at = self._span(handle, offset, len(data))
        (ctypes.c_char * len(data)).from_address(at).raw = data

    @property
    def pid(self) -> int:
        return os.getpid()

    def close(self) -> None:
        for handle, held in self._handles.newest_first():  # a mirror before its copies
            self._handles.forget(handle)
            # BufferError: a test still holds a view; the process ends soon anyway.
            with contextlib.suppress(BufferError):
                held.obj.free()
            close_all(held.opened)
