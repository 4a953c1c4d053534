"""``mirror()`` and the ``Mirror`` object: one file region mapped several times back to back."""

from __future__ import annotations

from typing import Any

from ._align import PAGESIZE, check_addr
from ._args import U64, as_int, check_range
from ._buffer import Exporter, exports, lock
from ._errors import MmapError, at_address, failure, os_failure
from ._files import Opened, discard, open_file, release
from ._grow import MAPS_PAST_END, check_growable, grow, put_back, size_of
from ._map_object import Map, new_map
from ._mapped_memory import MappedMemory, claim_all, finalize, in_export
from ._platform import OsCallError, OsFile, backend


class Mirror(MappedMemory):
    """A mirrored mapping made by :func:`mirror`: ``times`` copies of the same
    ``size`` bytes of a file, back to back from ``addr``, so that
    ``addr[k*size + i]`` is the same byte for every copy ``k`` (the reading of the
    document's formula in ``mirror.invariant``).

    ``size`` is one copy (page-aligned); ``len(mirror)`` and its buffer span all
    ``size * times`` bytes. ``maps`` holds the map of each copy. Freeing the
    mirror frees every copy; it is a context manager.
    """

    __slots__ = ("_size", "_times", "_maps", "_file", "_owns_file")
    _size: int
    _times: int
    _maps: tuple[Map, ...] | None
    """The copies' maps, made when first asked for: a mirror that never hands them
    out is freed with one call and no bookkeeping per copy."""
    _file: OsFile | None
    _owns_file: bool

    @property
    def size(self) -> int:
        """The size of one copy, page-aligned."""
        self._check()
        return self._size

    @property
    def times(self) -> int:
        """How many copies."""
        self._check()
        return self._times

    @property
    def maps(self) -> tuple[Map, ...]:
        """The map of each copy, in address order."""
        self._check()
        maps = self._maps
        if maps is None:
            with lock:  # made once, and never after free() has claimed the mirror
                self._check()
                maps = self._maps
                if maps is None:
                    size, base, kept = self._size, self._addr, self._file
                    # The copies share the mirror's file (for flushing); the mirror closes it.
                    maps = self._maps = tuple(
                        [
                            new_map(base + i * size, size, "w", None, kept, False, self)
                            for i in range(self._times)
                        ]
                    )
        return maps

    def _check_exports(self) -> None:
        if self._views:
            super()._check_exports()
        if self._maps is not None:
            busy = sum([exports(m) for m in self._maps if m._addr])
            if busy:
                raise BufferError(f"cannot free the mirror: {busy} buffer(s) of its copies exist")

    def _release(self, addr: int) -> None:
        with lock:
            maps = self._maps
            if maps is not None:
                for m in maps:
                    m._mirror = None  # the mirror's own exports were checked when claimed
                # A copy whose view another thread took after that check lives on as a
                # plain map (freed with its last reference); the other copies go now.
                claimed = claim_all(maps)
        if maps is None or all(claimed):  # every copy at once (one munmap on POSIX)
            backend.unmap_copies(addr, self._size, self._times)
        else:
            for at in claimed:
                if at:
                    backend.unmap(at, self._size)
        if self._owns_file and self._file is not None:
            backend.close(self._file)
        self._file = None

    def _lose_copy(self) -> None:
        """One of the copies is being freed on its own (the caller holds the lock): the
        mirror's bytes stop being reachable through it, while ``maps``, ``addr`` and
        ``free()`` go on working. Raises BufferError, and changes nothing, while another
        thread is taking a buffer of the mirror."""
        if not self._addr:
            return
        live = self.__class__
        self.__class__ = _MirrorWithHole
        if in_export(self):
            self.__class__ = live
            raise BufferError(
                "cannot free a copy of a mirror while another thread is taking a buffer "
                "of the mirror"
            )

    def _copy_kept(self) -> None:
        """A copy's free() was refused after :meth:`_lose_copy` (another thread was
        taking a buffer of that copy; the caller holds the lock): the mirror is whole
        again unless another of its copies really was freed."""
        if self.__class__ is _MirrorWithHole and all(m._addr for m in self._maps or ()):
            self.__class__ = _LiveMirror

    def __repr__(self) -> str:
        if self._addr == 0:
            return "<mmapspec.reference.Mirror freed>"
        return (
            f"<mmapspec.reference.Mirror addr={self._addr:#x} size={self._size} "
            f"times={self._times}>"
        )


class _LiveMirror(Mirror, Exporter):  # type: ignore[misc]
    """A mirror that is not freed: exports all its copies as one buffer."""

    __slots__ = ()
    __del__ = finalize


class _MirrorWithHole(Mirror):
    """A live mirror one of whose copies was freed on its own: reading or writing its
    bytes would touch the hole, so they are refused; not being an exporter, it gives
    no buffer either (``memoryview`` raises TypeError, as for a freed map)."""

    __slots__ = ()
    __del__ = finalize

    def _hole(self) -> ValueError:
        return ValueError(
            "a copy of this mirror was freed on its own, so the mirror's memory has a hole: "
            "use the remaining copies through mirror.maps, or free the mirror"
        )

    def __getitem__(self, key: Any) -> Any:
        self._check()
        raise self._hole()

    def __setitem__(self, key: Any, value: Any) -> None:
        self._check()
        raise self._hole()


Mirror._freed_class = Mirror


def mirror(file: Any, size: int | None, times: int | None = 2, addr: int | None = None) -> Mirror:
    """Create a mirrored mapping (``mmap.mirror(file, size[, times[, addr]])``).

    * ``file``: required; a filename, descriptor or file object, mapped read+write
      and shared (access 'w'): created if missing, extended to ``size`` if shorter.
    * ``size``: required, > 0, rounded up to the page size.
    * ``times``: how many copies (default 2, at least 1).
    * ``addr``: where to put the first copy (page-aligned, nonzero); if that range
      is in use the call fails with ``'out_of_mem'`` and nothing is replaced.

    Race-free: the whole ``size * times`` range is reserved first, then each copy
    is mapped over the reservation at a fixed address; there is no retry loop. (On
    POSIX the reservation is copy 0 itself: the file mapped over the whole range.)
    Windows without placeholders (before 10 1803; Wine 8) cannot hold a range while
    mapping into it: there a free range is found and each copy mapped at its place,
    which never replaces a mapping, so a collision is retried elsewhere (at most 64
    times, then ``'out_of_mem'``).
    """
    if file is None:
        raise ValueError("file: the file to map: required")
    if size is None:
        raise ValueError("size: the size of the memory segment: required")
    size = check_range("size", as_int("size", size), 1, "> 0")
    size = (size + PAGESIZE - 1) // PAGESIZE * PAGESIZE
    times = 2 if times is None else check_range("times", as_int("times", times), 1, ">= 1")
    if addr is not None:
        addr = check_addr(addr)
    if size * times >= U64:
        raise failure(
            "out_of_mem", f"mirror: {times} copies of {size} bytes exceed the address space"
        )
    opened = open_file(file, True, "open", "mirror")
    try:
        base = _mirror_opened(opened, size, times, addr)
    except BaseException:
        discard(opened)
        raise
    if backend.KEEPS_FILE:
        kept: OsFile | None = opened.f
    else:
        release(opened)
        kept = None
    mi: Mirror = _LiveMirror.__new__(_LiveMirror)
    mi._addr = base
    mi._span = size * times
    mi._readonly = False
    mi._views = None
    mi._size = size
    mi._file = kept
    mi._owns_file = opened.owned and kept is not None
    mi._times = times
    mi._maps = None
    return mi


def _mirror_opened(opened: Opened, size: int, times: int, addr: int | None) -> int:
    """Map the file ``times`` times and grow it to ``size`` if shorter. Whatever can
    fail is checked before the file grows (see :mod:`._grow`): a failing mirror leaves
    it as it was. Returns the base address."""
    fsize = size_of(opened, "mirror")
    if fsize >= size:
        return _mirrored(opened, size, times, addr)
    check_growable(opened, size, "mirror")
    if not MAPS_PAST_END:  # the OS grows the file as it maps it: grow first, put back
        if addr is not None:
            _check_unused(opened, size, times, addr)
        grow(opened, fsize, 0, size, "mirror")
        try:
            return _mirrored(opened, size, times, addr)
        except BaseException:
            put_back(opened.f, fsize, size)
            raise
    base = _mirrored(opened, size, times, addr)  # every copy is mapped: now grow
    try:
        grow(opened, fsize, 0, size, "mirror")
    except BaseException:
        backend.unmap_copies(base, size, times)
        raise
    return base


def _mirrored(opened: Opened, size: int, times: int, addr: int | None) -> int:
    try:
        return backend.mirror(opened.f, size, times, addr)
    except OsCallError as e:
        raise _mirror_failure(e, opened, size, times, addr) from None


def _check_unused(opened: Opened, size: int, times: int, addr: int) -> None:
    """Fail as the mirror would, before the file grows, where ``addr`` is taken."""
    try:
        backend.check_unused(addr, size * times)
    except OsCallError as e:
        raise _mirror_failure(e, opened, size, times, addr) from None


def _mirror_failure(
    e: OsCallError, opened: Opened, size: int, times: int, addr: int | None
) -> MmapError:
    where = f"mirror: cannot map {opened.label} {times} times ({size} bytes each)"
    return os_failure(e, "map", where + at_address(addr), opened.path)
