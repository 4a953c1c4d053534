"""``MappedMemory``, the base class of ``Map`` and ``Mirror``: what they share (liveness,
byte access, buffer export bookkeeping, a thread-safe ``free``)."""

from __future__ import annotations

import ctypes
import os
import sys
import weakref
from collections.abc import Sequence
from typing import Any, ClassVar, SupportsIndex, TypeVar, cast, overload

from ._buffer import CALLBACK, Exporter, being_exported, exports, lock

_M = TypeVar("_M", bound="MappedMemory")

FREED = "map is freed"
_refs = sys.getrefcount
_IDLE = _refs(CALLBACK)
"""The callback's reference count while no frame runs it (see ``_buffer.CALLBACK``).
Another reference taken later only makes free() walk the frames needlessly.
On Python 3.10 frames hold no reference to their function, so the count says
nothing there: -1, and free() always walks the frames."""
if sys.version_info < (3, 11):
    _IDLE = -1


def _count_from_here_after_fork() -> None:
    """In a forked child, threads of the parent that were inside the callback are gone,
    but their frames still hold it: the count they leave is the child's idle one (else
    ``free()`` would wait for them forever and refuse)."""
    global _IDLE
    if _IDLE >= 0:
        _IDLE = _refs(CALLBACK)


if hasattr(os, "register_at_fork"):  # POSIX; Windows has no fork
    os.register_at_fork(after_in_child=_count_from_here_after_fork)
_lock, _unlock = lock.acquire, lock.release


class MappedMemory:
    """Mapped memory at ``addr`` spanning ``len(self)`` bytes, usable until freed.

    Memory that becomes garbage without ``free()`` is freed then (like
    ``mmap.mmap``): keep a reference for as long as you use its address.

    Indexing and slicing read and write the memory like ``bytearray``/``mmap``:
    ``m[i]`` is an int, ``m[a:b]`` is bytes, ``m[a:b] = data`` writes in place
    (same length). ``memoryview(m)`` shares the memory without copying; while
    such views exist the memory cannot be freed (BufferError).
    """

    __slots__ = ("_addr", "_span", "_readonly", "_views", "__weakref__")
    _addr: int
    _span: int
    _readonly: bool
    _views: weakref.WeakSet[Any] | None
    """The live buffer exports (see ``_buffer``); None until the first."""
    _freed_class: ClassVar[type[MappedMemory]]
    """The plain (non-exporting) class a freed object becomes: see ``_buffer``."""

    def _check(self) -> None:
        if self._addr == 0:
            raise ValueError(FREED)

    @property
    def addr(self) -> int:
        """The address of the first byte, as an int."""
        self._check()
        return self._addr

    @property
    def freed(self) -> bool:
        """True once :meth:`free` has run."""
        return self._addr == 0

    def __len__(self) -> int:
        self._check()
        return self._span

    @overload
    def __getitem__(self, key: SupportsIndex) -> int: ...
    @overload
    def __getitem__(self, key: slice) -> bytes: ...
    def __getitem__(self, key: SupportsIndex | slice) -> int | bytes:
        self._check()
        if isinstance(key, slice):
            start, stop, step = key.indices(self._span)
            if step == 1:  # the common case, copied straight out without a view
                with lock:  # so that no other thread frees it meanwhile
                    self._check()
                    return ctypes.string_at(self._addr + start, max(0, stop - start))
        with self._view() as view:
            item = view[key]
            return item.tobytes() if isinstance(item, memoryview) else int(item)

    def __setitem__(self, key: SupportsIndex | slice, value: Any) -> None:
        self._check()
        if self._readonly:
            raise TypeError("cannot write to a read-only map (access has no 'w' or 'c')")
        with self._view() as view:
            view[key] = value

    def _view(self) -> memoryview:
        """A view of the memory (exported by the live subclass)."""
        while True:
            try:
                return memoryview(cast(Any, self))
            except TypeError:
                # Another thread's free() switched the class: once it is over (it
                # holds the lock), either the map is freed ("map is freed") or the
                # free() was refused and the map exports again.
                with lock:
                    self._check()
                    if not isinstance(self, Exporter):
                        raise  # never exports (a mirror with a hole)

    def _check_exports(self) -> None:
        """Raise BufferError while buffers of this memory are alive."""
        if self._views:  # a non-empty WeakSet of live exports
            raise BufferError(
                f"cannot free: {exports(self)} exported buffer(s) (memoryview, numpy array, "
                "...) still use this memory; release them first"
            )

    def _release(self, addr: int) -> None:
        """Unmap; subclasses free their OS resources here."""
        raise NotImplementedError

    def _kept(self) -> None:
        """:meth:`free` was refused after :meth:`_check_exports` passed: undo what that
        check set in motion (nothing here; a mirror's copy tells its mirror)."""

    def free(self) -> None:
        """Release the memory and everything associated; a second call does nothing.

        Raises BufferError while buffers obtained from it (``memoryview(m)``,
        ``numpy.frombuffer(m)``) are alive: release them first. Thread-safe: of
        concurrent calls exactly one unmaps, so an address is never unmapped twice
        (which could destroy another thread's new mapping at the same address)."""
        _lock()  # not `with lock`: the same, minus the cost of __enter__/__exit__
        try:
            addr = self._addr
            if not addr:
                return
            self._check_exports()
            live = self.__class__
            # Not an exporter any more: a new memoryview(self) now fails in C, with
            # the freed error. One already past that check is inside the callback.
            self.__class__ = self._freed_class
            # Inside the callback, a frame holds a reference to it: no thread is
            # there while its count is _IDLE (a cheap test; the walk is not). This is
            # in_export(self), written out: free() is a hot path.
            if _refs(CALLBACK) != _IDLE and being_exported(self, _IDLE):
                self.__class__ = live
                self._kept()
                raise BufferError(
                    "cannot free: another thread is taking a buffer (memoryview, ...) of "
                    "this memory right now; release it first"
                )
            self._addr = 0  # claimed: from here on every use raises "map is freed"
        finally:
            _unlock()
        self._release(addr)

    def __enter__(self: _M) -> _M:
        self._check()
        return self

    def __exit__(self, *exc: object) -> None:
        self.free()


def finalize(memory: MappedMemory) -> None:
    """``__del__`` of the live classes: garbage is freed, like mmap.mmap, so no mapping
    outlives every reference to it. (Live buffers hold a reference, so this never runs
    while one exists.) Only live objects have it: a freed one's class has no finalizer,
    which spares every freed map a Python call when it is collected."""
    try:
        if memory._addr:
            memory.free()
    except Exception:  # noqa: S110 - nothing can be reported from a finalizer
        pass


def in_export(memory: MappedMemory) -> bool:
    """True while another thread is inside ``memory``'s buffer export (``free()``'s test,
    cheap unless some frame runs the callback at all)."""
    return _refs(CALLBACK) != _IDLE and being_exported(memory, _IDLE)


def claim_all(maps: Sequence[MappedMemory]) -> list[int]:
    """Claim each of ``maps`` as :meth:`MappedMemory.free` does, without raising: the addresses of
    those claimed, 0 for the others (freed already, or with live buffers, or being
    exported by another thread: those live on, freed with their last reference).
    The caller holds the lock and unmaps what was claimed."""
    claimed = []
    for r in maps:
        addr = r._addr
        if addr and not r._views:
            live = r.__class__
            r.__class__ = r._freed_class
            if in_export(r):
                r.__class__ = live
                addr = 0
            else:
                r._addr = 0
        else:
            addr = 0
        claimed.append(addr)
    return claimed
