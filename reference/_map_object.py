"""The ``Map`` object: what :func:`map` returns, and each copy of a mirror."""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, Any

from ._align import PAGESIZE
from ._args import as_int, check_range
from ._buffer import Exporter, exports
from ._errors import os_failure
from ._mapped_memory import FREED, MappedMemory, finalize
from ._platform import OsCallError, OsFile, backend
from ._unlink import unlink

if TYPE_CHECKING:
    from ._mirror import Mirror

READONLY_MODES = frozenset({"", "x"})
"""Access modes whose memory cannot be written."""
_munmap = backend.munmap
_msync, _ms_flags = backend.msync, backend.ms_flags


def _flush_args(
    args: tuple[Any, ...], async_: bool | None, addr: int | None, size: int | None
) -> tuple[Any, Any, Any]:
    """``flush([async, ][addr, size])``'s positional arguments merged with its keywords."""
    n = len(args)
    if n > 3:
        raise TypeError(f"flush() takes at most 3 positional arguments, got {n}")
    names = ("addr", "size") if n == 2 else ("async_", "addr", "size")[:n]
    pos = dict(zip(names, args, strict=True))
    given = {"async_": async_, "addr": addr, "size": size}
    for k in pos:
        if given[k] is not None:
            raise TypeError(f"flush() got multiple values for {k}")
    return pos.get("async_", async_), pos.get("addr", addr), pos.get("size", size)


class Map(MappedMemory):
    """A memory mapping made by :func:`map`.

    ``addr`` (int) and ``size`` (the requested or resolved size in bytes, not
    rounded up to pages) are the documented fields. Use it as a context manager,
    index and slice it like ``bytearray``, or take ``memoryview(m)``.

    After :meth:`free` every use raises ``ValueError("map is freed")`` (except
    ``memoryview(m)``, which raises TypeError: see ``_buffer``).

    The documented limitation: I/O errors from accessing mapped memory crash the
    process. Reading a page of a file that was truncated after mapping raises
    SIGBUS, and so does writing when the disk fills up under a sparse file. Do
    not truncate files while mapped (set the size, then map); :func:`map` with
    write access reserves the blocks it adds, so a full disk fails the map with
    ``'disk_full'`` instead of killing the process later.
    """

    __slots__ = ("_size", "_access", "_tagname", "_file", "_owns_file", "_mirror")
    _size: int
    _access: str
    _tagname: str | None
    _file: OsFile | None
    """The open file where the backend keeps one (Windows, to flush it); None on POSIX."""
    _owns_file: bool
    """True when map() opened ``_file`` by name, so free() closes it."""
    _mirror: Mirror | None

    @property
    def size(self) -> int:
        """The byte size of the mapped memory (as requested; not rounded to pages)."""
        self._check()
        return self._size

    @property
    def access(self) -> str:
        """The access mode the map was made with."""
        self._check()
        return self._access

    @property
    def tagname(self) -> str | None:
        """The tagname of a shared memory map, else None."""
        self._check()
        return self._tagname

    def flush(
        self,
        *args: Any,
        async_: bool | None = None,
        addr: int | None = None,
        size: int | None = None,
    ) -> bool:
        """Flush (part of) the memory to disk; returns True.

        The documented forms ``flush([async, ][addr, size])`` in Python::

            m.flush()                     # the whole map, synchronously
            m.flush(True)                 # asynchronously: schedule and return
            m.flush(addr, size)           # the bytes [addr, addr+size)
            m.flush(True, addr, size)
            m.flush(async_=True, addr=a, size=n)

        ``addr`` is an absolute address inside the map. An unaligned ``addr`` is
        aligned left and the length grows to match, so the whole requested range
        is flushed. The range must lie within ``[m.addr, m.addr + m.size]``.
        """
        lo = self._addr
        if not lo:
            raise ValueError(FREED)
        if args:
            if len(args) == 1 and async_ is None:  # flush(True): the common positional form
                async_ = args[0]
            else:
                async_, addr, size = _flush_args(args, async_, addr, size)
        if async_ is None:
            async_ = False
        elif async_ is not True and async_ is not False:
            raise TypeError(f"async_ must be a bool, got {type(async_).__name__}")
        if addr is None and size is None:
            start, length = lo, self._size
        else:
            start, length = self._flush_range(lo, addr, size)
        if _msync is not None:
            if _msync(start, length, _ms_flags[async_]) == 0:
                return True
            e = OsCallError(ctypes.get_errno(), "msync")
        else:
            try:
                backend.flush(start, length, async_, self._file)
                return True
            except OsCallError as err:
                e = err
        if not self._addr:
            # Freed by another thread while the flush ran: its "not mapped" (ENOMEM)
            # is the freed map's error. (Had a new map taken the address meanwhile,
            # the flush wrote that map's pages back: it never changes a byte, so no
            # lock is held across it.)
            raise ValueError(FREED)
        raise os_failure(e, "map", f"flush of {length} bytes at {start:#x} failed") from None

    def _flush_range(self, lo: int, addr: int | None, size: int | None) -> tuple[int, int]:
        """The page-aligned start and the length of a flush of ``[addr, addr+size)``."""
        if addr is None or size is None:
            raise TypeError("flush(): addr and size must be given together")
        hi = lo + self._size
        a = check_range("addr", as_int("addr", addr), 0, ">= 0")
        s = check_range("size", as_int("size", size), 0, ">= 0")
        if not lo <= a <= hi:
            raise ValueError(f"addr must be within the map [{lo:#x}, {hi:#x}], got {a:#x}")
        if a + s > hi:
            raise ValueError(
                f"addr + size must not pass the end of the map ({hi:#x}), got {a:#x} + {s}"
            )
        start = a - a % PAGESIZE
        return start, a + s - start

    def unlink(self) -> None:
        """Remove the shared memory object of this map's tagname (see :func:`unlink`)."""
        self._check()
        if self._tagname is None:
            raise ValueError("map has no tagname: unlink() concerns shared memory only")
        unlink(self._tagname)

    def _check_exports(self) -> None:
        if self._views:
            super()._check_exports()
        mirror = self._mirror
        if mirror is not None:
            if exports(mirror):
                raise BufferError(
                    "cannot free a copy of a mirror while buffers of the mirror exist"
                )
            # Under the lock that buffer exports take too: from here no one reaches the
            # mirror's bytes, which would now span an unmapped hole.
            mirror._lose_copy()

    def _kept(self) -> None:
        if self._mirror is not None:
            self._mirror._copy_kept()

    def _release(self, addr: int) -> None:
        if _munmap is None:
            backend.unmap(addr, self._size)
        elif _munmap(addr, self._size) != 0:
            raise OsCallError(ctypes.get_errno(), "munmap")
        if self._file is not None:  # (POSIX maps keep none)
            if self._owns_file:
                backend.close(self._file)
            self._file = None

    def __repr__(self) -> str:
        if self._addr == 0:
            return "<mmapspec.reference.Map freed>"
        tag = f" tagname={self._tagname!r}" if self._tagname else ""
        return (
            f"<mmapspec.reference.Map addr={self._addr:#x} size={self._size} "
            f"access={self._access!r}{tag}>"
        )


class LiveMap(Map, Exporter):  # type: ignore[misc]
    """A map that is not freed: exports its memory as a buffer (see ``_buffer``).
    :meth:`~MappedMemory.free` turns it into a plain :class:`Map`."""

    __slots__ = ()
    __del__ = finalize


Map._freed_class = Map


def new_map(
    addr: int,
    size: int,
    access: str,
    tagname: str | None,
    file: OsFile | None,
    owns_file: bool = False,
    mirror: Mirror | None = None,
) -> Map:
    """A live map of memory already mapped at ``addr`` (by map(), or as a mirror's copy)."""
    m: Map = LiveMap.__new__(LiveMap)
    m._addr = addr
    m._span = m._size = size
    m._readonly = access in READONLY_MODES
    m._views = None
    m._access = access
    m._tagname = tagname
    m._file = file
    m._owns_file = owns_file
    m._mirror = mirror
    return m
