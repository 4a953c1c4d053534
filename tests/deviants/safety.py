"""Deviant bindings: the reference with one planted safety defect each.

Every class here is the reference adapter with exactly one defect that a binding
written by others really had, planted for the duration of the adapter's own calls
(the reference's modules are patched around ``map``, ``free`` or ``mirror`` and put
back afterwards; ``reference/`` itself is not edited). Each must be caught by its own
safety clause, and only by it (``tests/safety/test_deviants.py``).

Select one as ``tests.deviants.safety:ClassName`` with the repository's root on
``PYTHONPATH``, in process (``mmapspec run --adapter``) or through the pipe (``python
-m mmapspec.adapters.harness --adapter tests.deviants.safety:ClassName``).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterator
from typing import Any

from mmapspec.adapters.interface import FileRef, MapInfo, MirrorInfo
from mmapspec.reference import _map, _mirror
from mmapspec.reference._errors import os_failure
from mmapspec.reference._files import Opened, discard, release
from mmapspec.reference._grow import grow
from mmapspec.reference._platform import OsCallError, backend

from .base import Deviant, MapCall, MirrorCall


@contextlib.contextmanager
def planted(owner: object, attribute: str, replacement: Any) -> Iterator[None]:
    """``owner.attribute`` is ``replacement`` inside the block."""
    original = getattr(owner, attribute)
    setattr(owner, attribute, replacement)
    try:
        yield
    finally:
        setattr(owner, attribute, original)


class _Deviant(Deviant):
    """The reference, with a defect planted around its ``map`` (``_plant``)."""

    def _plant(self) -> contextlib.AbstractContextManager[None]:
        raise NotImplementedError

    def do_map(self, call: MapCall) -> MapInfo:
        with self._plant():
            return super().do_map(call)


class WorldReadableShm(_Deviant):
    """Creates the shared memory of a tagname 0644: every user can read it. Like any
    binding that does so, it also maps such objects when it meets them again (the
    reference refuses objects others can open), so that its own maps of the same
    tagname still share memory; another user's objects it still refuses."""

    name = "deviant-world-readable-shm"

    def _plant(self) -> contextlib.AbstractContextManager[None]:
        shm_open = backend._shm_open  # type: ignore[attr-defined]

        def world_readable(name: bytes, flags: int, mode: int) -> int:
            fd: int = shm_open(name, flags, 0o644 if mode else mode)
            return fd

        def own_objects_whatever_their_mode(f: int) -> str | None:
            owner = os.fstat(f).st_uid
            return None if owner == os.geteuid() else f"it is owned by uid {owner}"

        stack = contextlib.ExitStack()
        stack.enter_context(planted(backend, "_shm_open", world_readable))
        stack.enter_context(planted(backend, "not_private", own_objects_whatever_their_mode))
        return stack


class TagnameDescriptorKept(_Deviant):
    """Keeps the descriptor of a tagname's shared memory open for good: ``free``
    never closes it."""

    name = "deviant-tagname-descriptor-kept"

    def _plant(self) -> contextlib.AbstractContextManager[None]:
        def keep_shm(opened: Opened) -> None:
            if opened.tag is None:
                release(opened)

        return planted(_map, "release", keep_shm)


class FailureLeaksDescriptor(_Deviant):
    """A failing map removes the file it created but never closes what it opened."""

    name = "deviant-failure-leaks-descriptor"

    def _plant(self) -> contextlib.AbstractContextManager[None]:
        def forget_to_close(opened: Opened) -> None:
            discard(opened._replace(owned=False))

        return planted(_map, "discard", forget_to_close)


class ShrinkingMap(_Deviant):
    """Sets an existing file or shared memory to the requested size for a 'w' map,
    truncating it when the size is smaller: an earlier, larger map then dies by
    SIGBUS past the new end."""

    name = "deviant-shrinking-map"

    def _plant(self) -> contextlib.AbstractContextManager[None]:
        map_opened = _map._map_opened

        def to_the_size(
            opened: Opened,
            write: bool,
            access: str,
            size: int | None,
            offset: int,
            addr: int | None,
        ) -> tuple[int, int]:
            if write and size is not None and backend.file_size(opened.f) > offset + size:
                backend.truncate(opened.f, offset + size)
            return map_opened(opened, write, access, size, offset, addr)

        return planted(_map, "_map_opened", to_the_size)


class UnmapThenFixedMirror(Deviant):
    """Builds a mirror by finding a free range, unmapping it, and then mapping each
    copy there with MAP_FIXED: another thread's mapping made in between is replaced."""

    name = "deviant-unmap-then-fixed-mirror"

    def do_mirror(self, call: MirrorCall) -> MirrorInfo:
        with planted(backend, "mirror", _unmap_then_fixed):
            return super().do_mirror(call)


def _unmap_then_fixed(f: int, size: int, times: int, addr: int | None) -> int:
    b: Any = backend
    total = size * times
    if addr is None:
        base = b._mmap(None, total, b.PROT_NONE, b._anon_flags, -1, 0)
        if base == b.MAP_FAILED:
            raise OsCallError(ctypes.get_errno(), "mmap")
    else:  # as the reference: a requested address in use fails, nothing is replaced
        base = b._map_at(addr, total, b.PROT_NONE, b._anon_flags, -1, 0)
    b._munmap(base, total)  # the hole: until the copies are mapped, anyone may map here
    for i in range(times):
        at = base + i * size
        got = b._mmap(at, size, b.PROT_READ | b.PROT_WRITE, b.MAP_SHARED | b.MAP_FIXED, f, 0)
        if got != at:
            err = ctypes.get_errno()
            b._munmap(base, total)
            raise OsCallError(err, "mmap")
    return int(base)


class WaitsOnFifo(Deviant):
    """Opens files and shared memory without ``O_NONBLOCK``, as most bindings do: a
    read-only open of a FIFO then waits for a writer that never comes (a tagname and a
    file name with '', 'c', 'x' and 'cx', and ``filesize(f)``); a read+write open of
    one returns at once and is refused by its kind."""

    name = "deviant-waits-on-fifo"

    def _plant(self) -> contextlib.ExitStack:
        stack = contextlib.ExitStack()
        stack.enter_context(planted(backend, "O_NONBLOCK", 0))
        stack.enter_context(planted(backend, "SHM_NONBLOCK", 0))
        return stack

    def do_map(self, call: MapCall) -> MapInfo:
        with self._plant():
            return super().do_map(call)

    def do_mirror(self, call: MirrorCall) -> MirrorInfo:
        with self._plant():
            return super().do_mirror(call)

    def filesize(self, file: FileRef, size: int | None = None) -> int:
        with self._plant():
            return super().filesize(file, size)


class InheritableDescriptor(Deviant):
    """Keeps the descriptor of a file opened by name while its map lives (closed by
    ``free``), and inheritable (no ``FD_CLOEXEC``), as if opened without ``O_CLOEXEC``:
    every child the program starts with fork+exec inherits it."""

    name = "deviant-inheritable-descriptor"

    def __init__(self) -> None:
        super().__init__()
        self._kept: dict[Any, int] = {}

    def do_map(self, call: MapCall) -> MapInfo:
        kept: list[int] = []

        def keep_named(opened: Opened) -> None:
            if opened.path is not None and opened.owned:
                os.set_inheritable(opened.f, True)  # Python's os.open sets O_CLOEXEC itself
                kept.append(opened.f)
            else:
                release(opened)

        with planted(_map, "release", keep_named):
            info = super().do_map(call)
        if kept:
            self._kept[info.handle] = kept[0]
        return info

    def free(self, handle: Any) -> None:
        super().free(handle)
        fd = self._kept.pop(handle, None)
        if fd is not None:
            os.close(fd)

    def close(self) -> None:
        for fd in self._kept.values():
            os.close(fd)
        self._kept.clear()
        super().close()


class _GrowsFirst(Deviant):
    """Grows a short file to the size asked for before it maps it,
    then undoes the growth, or not, when the map fails (``_after_failure``)."""

    def _after_failure(self, f: int, size: int) -> None:
        raise NotImplementedError

    def _plant(self) -> contextlib.ExitStack:
        stack = contextlib.ExitStack()
        undo = self._after_failure

        def map_opened(
            opened: Opened,
            write: bool,
            access: str,
            size: int | None,
            offset: int,
            addr: int | None,
        ) -> tuple[int, int]:
            fsize = backend.file_size(opened.f)
            if not write or size is None or fsize >= offset + size:
                return original_map(opened, write, access, size, offset, addr)
            grow(opened, fsize, offset, offset + size, "map")  # blocks reserved, as the reference
            try:
                return backend.map(opened.f, size, offset, access, addr, None), size
            except OsCallError as e:
                undo(opened.f, fsize)
                raise os_failure(e, "map", "map: cannot map") from None

        def mirror_opened(opened: Opened, size: int, times: int, addr: int | None) -> int:
            fsize = backend.file_size(opened.f)
            if fsize >= size:
                return original_mirror(opened, size, times, addr)
            grow(opened, fsize, 0, size, "mirror")
            try:
                return backend.mirror(opened.f, size, times, addr)
            except OsCallError as e:
                undo(opened.f, fsize)
                raise os_failure(e, "map", "mirror: cannot map") from None

        original_map, original_mirror = _map._map_opened, _mirror._mirror_opened
        stack.enter_context(planted(_map, "_map_opened", map_opened))
        stack.enter_context(planted(_mirror, "_mirror_opened", mirror_opened))
        return stack

    def do_map(self, call: MapCall) -> MapInfo:
        with self._plant():
            return super().do_map(call)

    def do_mirror(self, call: MirrorCall) -> MirrorInfo:
        with self._plant():
            return super().do_mirror(call)


class FailureLeavesFileGrown(_GrowsFirst):
    """Extends a short file to the size asked for, then fails to map it (an address in
    use) and leaves it extended."""

    name = "deviant-failure-leaves-file-grown"

    def _after_failure(self, f: int, size: int) -> None:
        pass


class FailureShrinksFileBack(_GrowsFirst):
    """Extends a short file, fails to map it, and truncates it back to the size it had
    (what the reference did once): bytes another process appended in between are lost."""

    name = "deviant-failure-shrinks-file-back"

    def _after_failure(self, f: int, size: int) -> None:
        backend.truncate(f, size)


class LeaksPerMap(Deviant):
    """Allocates a 48-byte struct with malloc for every map and mirror, and never frees
    it (a C binding's bookkeeping that ``free`` forgets)."""

    name = "deviant-leaks-per-map"
    _malloc = ctypes.CDLL(None).malloc
    _malloc.restype = ctypes.c_void_p
    _malloc.argtypes = [ctypes.c_size_t]

    def _leak(self) -> None:
        struct = self._malloc(48)
        ctypes.memset(struct, 1, 48)  # written, as a struct is: resident

    def do_map(self, call: MapCall) -> MapInfo:
        info = super().do_map(call)
        self._leak()
        return info

    def do_mirror(self, call: MirrorCall) -> MirrorInfo:
        info = super().do_mirror(call)
        self._leak()
        return info


DEVIANTS: dict[str, str] = {
    "WorldReadableShm": "safety.tagname.owner-only",
    "TagnameDescriptorKept": "safety.descriptors.no-leak-after-free",
    "FailureLeaksDescriptor": "safety.descriptors.no-leak-after-failure",
    "ShrinkingMap": "safety.size.never-shrinks",
    "UnmapThenFixedMirror": "safety.mirror.never-replaces-foreign",
    "WaitsOnFifo": "safety.fifo.no-hang",
    "InheritableDescriptor": "safety.descriptors.close-on-exec",
    "FailureLeavesFileGrown": "safety.files.untouched-after-failure",
    "FailureShrinksFileBack": "safety.files.untouched-after-failure",
    "LeaksPerMap": "safety.memory.flat",
}
"""Each deviant and the one safety clause that must catch it."""

__all__ = [*DEVIANTS, "DEVIANTS", "planted"]
