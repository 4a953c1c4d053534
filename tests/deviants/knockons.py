"""Deviants whose defect other clauses' tests used to observe without declaring it.

Each breaks one promise that some other test relies on to set up or to observe: the
sharing of a mirror's copies or of a tagname's memory, a probe map that changes its
file, an access mode used in another clause's setup, a failure at an address in use
that the safety tests provoke, a freed mirror whose address is asked for again, and a
default size that every reading rejects. Each must fail its own clause alone: the
tests that rely on it are blocked, or observe through the OS.
"""

from __future__ import annotations

import ctypes
import dataclasses
import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mmapspec.adapters.interface import (
    DocumentedFailure,
    Handle,
    MapInfo,
    MirrorInfo,
)
from mmapspec.reference import _map as reference_map
from mmapspec.reference import _mirror as reference_mirror
from mmapspec.reference._platform import OsCallError
from mmapspec.reference._platform import backend as real_backend

from .base import Deviant, MapCall, MirrorCall, os_failure


@contextmanager
def _mirror_backend(**overrides: Any) -> Iterator[None]:
    """The reference's mirror code, with some of its OS layer's calls replaced."""
    with _planted(reference_mirror, **overrides):
        yield


@contextmanager
def _planted(module: Any, **overrides: Any) -> Iterator[None]:
    """``module``'s OS layer, with some of its calls replaced."""
    namespace = vars(module)

    class Backend:
        def __getattr__(self, name: str) -> Any:
            return overrides.get(name) or getattr(real_backend, name)

    namespace["backend"] = Backend()
    try:
        yield
    finally:
        namespace["backend"] = real_backend


# ------------------------------------------------------------------ sharing


class MirrorCopiesPrivate(Deviant):
    """A mirror maps its file MAP_PRIVATE (the binding took the flags of a 'c' map):
    the copies are mappings of the file, but a write through one reaches neither the
    file nor the other copies."""

    INTENDED = "mirror.access-w"

    def do_mirror(self, call: MirrorCall) -> MirrorInfo:
        b = real_backend

        def private_mirror(f: Any, size: int, times: int, addr: int | None) -> int:
            prot = b.PROT_READ | b.PROT_WRITE
            if addr is not None:
                base = b._map_at(addr, size * times, prot, b.MAP_PRIVATE, f, 0)  # the defect
            else:
                base = b._mmap(None, size * times, prot, b.MAP_PRIVATE, f, 0)  # the defect
                if base == b.MAP_FAILED:
                    raise OsCallError(ctypes.get_errno(), "mmap")
            for i in range(1, times):
                b._mmap(base + i * size, size, prot, b.MAP_PRIVATE | b.MAP_FIXED, f, 0)
            return int(base)

        with _mirror_backend(mirror=private_mirror):
            return super().do_mirror(call)


class TagnameMapsPrivate(Deviant):
    """A tagname's ``'w'`` map is mapped MAP_PRIVATE, as ``'c'``: the shared memory is
    created and sized, but writes stay in the map that made them."""

    INTENDED = "map.tagname.same-process"

    def do_map(self, call: MapCall) -> MapInfo:
        if call.tagname is None:
            return super().do_map(call)
        b = real_backend

        def private_map(
            f: Any, size: int, offset: int, access: str, addr: int | None, tag: Any
        ) -> int:
            prot, _shared = b._access[access]
            if addr is not None:
                return int(b._map_at(addr, size, prot, b.MAP_PRIVATE, f, offset))
            got = b._mmap(None, size, prot, b.MAP_PRIVATE, f, offset)  # the defect
            if got == b.MAP_FAILED:
                raise OsCallError(ctypes.get_errno(), "mmap")
            return int(got)

        with _planted(reference_map, map=private_map):
            return super().do_map(call)


# ------------------------------------------------------------------ a probe that changes state


class SmallerWriteMapTruncates(Deviant):
    """A ``'w'`` map of a file by name with a size smaller than the file truncates the
    file to that size (``ftruncate(fd, size)`` where only growing was meant)."""

    INTENDED = "safety.size.never-shrinks"

    def do_map(self, call: MapCall) -> MapInfo:
        f = call.file
        if (
            f is not None
            and f.kind == "name"
            and call.access == "w"
            and call.size is not None
            and call.size > 0
            and os.path.isfile(f.path)
        ):
            end = (call.offset or 0) + call.size
            if os.path.getsize(f.path) > end:
                os.truncate(f.path, end)  # the defect
        return super().do_map(call)


# ------------------------------------------------------------------ one access mode in a setup


class CopyOnWriteOpensWithNoAccess(Deviant):
    """A ``'c'`` map of an existing file by name opens it with ``O_ACCMODE`` (3), which
    grants neither reading nor writing: the mmap fails with EACCES."""

    INTENDED = "map.access.c"

    def do_map(self, call: MapCall) -> MapInfo:
        f = call.file
        offset = call.offset or 0
        if (
            f is not None
            and f.kind == "name"
            and call.access == "c"
            and call.size is not None
            and call.size > 0
            and offset >= 0
            and offset % os.sysconf("SC_PAGESIZE") == 0
            and os.path.isfile(f.path)
            and os.path.getsize(f.path) >= offset + call.size
        ):  # a valid call of a file long enough: opened with O_ACCMODE, refused by mmap
            raise os_failure(errno.EACCES, "mmap")  # the defect
        return super().do_map(call)


# ------------------------------------------------------------------ provocations


def _in_use(exc: DocumentedFailure) -> bool:
    """An 'out_of_mem' from MAP_FIXED_NOREPLACE's EEXIST: the address is in use."""
    cause = exc.__cause__
    return (
        exc.errcode == "out_of_mem" and isinstance(cause, OSError) and cause.errno == errno.EEXIST
    )


class AddrInUseMapsElsewhere(Deviant):
    """A map asked for at an address in use is made elsewhere (the address taken as a
    hint) instead of failing with ``'out_of_mem'``."""

    INTENDED = "map.errcode.out-of-mem-addr-in-use"

    def do_map(self, call: MapCall) -> MapInfo:
        try:
            return super().do_map(call)
        except DocumentedFailure as exc:
            if call.addr is None or not _in_use(exc):
                raise
            return super().do_map(call.but(addr=None))  # the defect


class MirrorAddrInUseMapsElsewhere(Deviant):
    """A mirror asked for at an address in use is made elsewhere instead of failing
    with ``'out_of_mem'``."""

    INTENDED = "mirror.errcode.out-of-mem-addr-in-use"

    def do_mirror(self, call: MirrorCall) -> MirrorInfo:
        try:
            return super().do_mirror(call)
        except DocumentedFailure as exc:
            if call.addr is None or exc.errcode != "out_of_mem":
                raise
            return super().do_mirror(call.but(addr=None))  # the defect


class TagnameShortMapsItsOwnSize(Deviant):
    """A read-only map of a tagname asking for more than its shared memory holds maps
    what it holds, instead of failing with ``'file_too_short'``."""

    INTENDED = "map.tagname.short-read-only-fails"

    def do_map(self, call: MapCall) -> MapInfo:
        try:
            return super().do_map(call)
        except DocumentedFailure as exc:
            if call.tagname is None or call.access or exc.errcode != "file_too_short":
                raise
            return super().do_map(call.but(size=None))  # the defect


# ------------------------------------------------------------------ a freed probe


class MirrorFreeKeepsLastCopy(Deviant):
    """Freeing a mirror unmaps ``times - 1`` copies: the last copy stays mapped."""

    INTENDED = "mirror.free-frees-all"

    def free(self, handle: Handle) -> None:
        def unmap_copies(addr: int, size: int, times: int) -> None:
            if times > 1:
                real_backend.unmap(addr, size * (times - 1))  # the defect: one copy short

        with _mirror_backend(unmap_copies=unmap_copies):
            super().free(handle)


# ------------------------------------------------------------------ no reading excuses it


class DefaultSizeWithOffsetIsFileSize(Deviant):
    """A read-only map with an offset and no size reports the file size as its size:
    the binding computes the length as the file's size, whatever the offset."""

    INTENDED = "map.size.default-with-offset-not-past-end"

    def do_map(self, call: MapCall) -> MapInfo:
        info = super().do_map(call)
        f = call.file
        if f is not None and f.kind == "name" and call.size is None and call.offset:
            return dataclasses.replace(info, size=os.path.getsize(f.path))  # the defect
        return info


# ------------------------------------------------------------------ forms


class MirrorPositionalDropsTimes(Deviant):
    """``mirror(file, size, times)`` positionally drops ``times``: two copies, always."""

    INTENDED = "mirror.form.positional"

    def do_mirror(self, call: MirrorCall) -> MirrorInfo:
        if call.form == "positional":
            call = call.but(times=None)  # the defect
        return super().do_mirror(call)


class MirrorTimesDefaultsToThree(Deviant):
    """``mirror`` without ``times`` maps the segment three times instead of twice."""

    INTENDED = "mirror.times.default-2"

    def do_mirror(self, call: MirrorCall) -> MirrorInfo:
        return super().do_mirror(call.but(times=3 if call.times is None else call.times))


class TagnameDefaultSizeOnePage(Deviant):
    """A tagname mapped without a size maps one page, whatever its memory holds."""

    INTENDED = "map.tagname.default-size"

    def do_map(self, call: MapCall) -> MapInfo:
        if call.tagname is not None and call.size is None and call.access != "w":
            call = call.but(size=os.sysconf("SC_PAGESIZE"))  # the defect
        return super().do_map(call)
