"""Deviants of ``mmap.map`` and ``mmap.mirror``: one defect each in a call form, the
file, the access, the size, the offset, the address, the tagname or an errcode."""

from __future__ import annotations

import ctypes
import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mmapspec.adapters.filerefs import Opened
from mmapspec.adapters.interface import (
    DocumentedFailure,
    FileRef,
    Handle,
    MapInfo,
    MirrorInfo,
)
from mmapspec.bench.libc import MAP_FAILED, MAP_SHARED, PROT_READ
from mmapspec.reference import _map as reference_map
from mmapspec.reference._platform import backend as real_backend

from .base import Deviant, MapCall, MirrorCall, libc, os_failure

# ------------------------------------------------------------------ mmap.map: call forms


class PositionalDropsTagname(Deviant):
    """The positional form ``map(file, access, size, offset, addr, tagname)`` drops its
    sixth argument: a positional map with a tagname maps private pagefile memory."""

    INTENDED = "map.form.positional"

    def do_map(self, call: MapCall) -> MapInfo:
        if call.form == "positional":
            call = call.but(tagname=None)  # the defect: five arguments forwarded, not six
        return super().do_map(call)


# ------------------------------------------------------------------ mmap.map: file


class NumericFdRefused(Deviant):
    """A file descriptor (a number) is refused with EBADF: the binding looks numbers up
    among the handles it opened itself, and a caller's descriptor is not one of them."""

    INTENDED = "map.file.fd"

    def _open(self, ref: FileRef | None) -> tuple[Any, list[Opened]]:
        if ref is not None and ref.kind == "fd":
            raise os_failure(errno.EBADF, "map")
        return super()._open(ref)


class FileobjBufferNotFlushed(Deviant):
    """A ``FILE*`` is mapped through its descriptor without flushing its write buffer
    first, so bytes still in the buffer are not in the map."""

    INTENDED = "map.note.write-buffers-flushed"

    def _open(self, ref: FileRef | None) -> tuple[Any, list[Opened]]:
        f, opened = super()._open(ref)
        if ref is not None and ref.kind == "fileobj":
            return f.fileno(), opened  # the defect: no f.flush() before taking fileno()
        return f, opened


# ------------------------------------------------------------------ mmap.map: access


class ExecDropped(Deviant):
    """Access ``'x'`` maps read-only without execute permission: the binding's table of
    protections gives ``'x'`` PROT_READ alone (``'wx'`` and ``'cx'`` are right)."""

    INTENDED = "map.access.x"

    def do_map(self, call: MapCall) -> MapInfo:
        if call.access == "x":
            call = call.but(access="")  # the defect: PROT_READ for 'x'
        return super().do_map(call)


class AccessCaseFolded(Deviant):
    """The access string is lower-cased before it is checked, so ``'W'`` maps read +
    write instead of raising an error."""

    INTENDED = "map.access.others-raise"

    def do_map(self, call: MapCall) -> MapInfo:
        if call.access is not None:
            call = call.but(access=call.access.lower())  # the defect
        return super().do_map(call)


class CowWritesBackOnFree(Deviant):
    """``free()`` writes a copy-on-write map's bytes back into its file.

    The binding writes a map's bytes back through the file before unmapping it when
    the map has write access, and its test of write access reads
    ``access in ("w", "c")`` where ``("w", "wx")`` was meant. A ``'c'`` map's private
    writes reach the file, but only once it is freed: until then the file, and every
    other map of it, are as the document says.
    """

    INTENDED = "map.access.c"

    def __init__(self) -> None:
        super().__init__()
        self._write_back: dict[Handle, tuple[str, int, int]] = {}
        """Handle -> (path, offset, size) of the maps whose bytes free() writes back."""

    def do_map(self, call: MapCall) -> MapInfo:
        info = super().do_map(call)
        if call.file is not None and call.access in ("w", "c"):  # the defect: "c" meant "wx"
            self._write_back[info.handle] = (call.file.path, call.offset or 0, info.size)
        return info

    def free(self, handle: Handle) -> None:
        back = self._write_back.pop(handle, None)
        if back is not None:
            path, offset, size = back
            data = self.read(handle, 0, size)
            fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
            try:
                os.pwrite(fd, data, offset)
            finally:
                os.close(fd)
        super().free(handle)


# ------------------------------------------------------------------ mmap.map: size


class ZeroSizeMeansDefault(Deviant):
    """``size=0`` is taken as "not given" (C's ``if (!size)``), so it maps the whole file
    instead of raising an error."""

    INTENDED = "map.size.must-be-positive"

    def do_map(self, call: MapCall) -> MapInfo:
        if call.size == 0 and call.file is not None:
            call = call.but(size=None)  # the defect
        return super().do_map(call)


class EmptyFileEinval(Deviant):
    """An empty file with no size is mapped with length 0, which the OS refuses with
    EINVAL: the binding returns that number instead of ``'file_too_short'``."""

    INTENDED = "map.size.default-empty-file-fails"

    def do_map(self, call: MapCall) -> MapInfo:
        file = call.file
        if (
            file is not None
            and file.kind == "name"
            and call.size is None
            and not call.offset
            and os.path.isfile(file.path)
            and os.path.getsize(file.path) == 0
        ):
            fd = os.open(file.path, os.O_RDONLY | os.O_CLOEXEC)
            try:  # the defect: the file size, 0, goes to mmap unchecked
                got = libc.mmap(None, 0, PROT_READ, MAP_SHARED, fd, 0)
                err = ctypes.get_errno()
            finally:
                os.close(fd)
            if got not in (None, MAP_FAILED):
                raise AssertionError("mmap of 0 bytes succeeded: this deviant needs Linux")
            raise os_failure(err, "mmap")
        return super().do_map(call)


# ------------------------------------------------------------------ mmap.map: offset


@contextmanager
def _offset_not_passed_to_mmap() -> Iterator[None]:
    """The reference's OS layer, with the offset of every file mapping replaced by 0."""
    namespace = vars(reference_map)  # where the reference's map() finds its OS layer

    class Backend:
        def __getattr__(self, name: str) -> Any:
            return getattr(real_backend, name)

        def map(self, f: Any, size: int, offset: int, *rest: Any) -> int:
            return int(real_backend.map(f, size, 0, *rest))

    namespace["backend"] = Backend()
    try:
        yield
    finally:
        namespace["backend"] = real_backend


class OffsetIgnored(Deviant):
    """The offset is checked and the file extended to offset + size, but the mmap call
    gets 0: the map shows the file from its start."""

    INTENDED = "map.offset.maps-from-offset"

    def do_map(self, call: MapCall) -> MapInfo:
        with _offset_not_passed_to_mmap():
            return super().do_map(call)


# ------------------------------------------------------------------ mmap.map: addr


class AddrZeroMeansAnywhere(Deviant):
    """``addr=0`` goes to mmap as the NULL hint ("anywhere") instead of raising."""

    INTENDED = "map.addr.zero-raises"

    def do_map(self, call: MapCall) -> MapInfo:
        if call.addr == 0:
            call = call.but(addr=None)  # the defect
        return super().do_map(call)


# ------------------------------------------------------------------ mmap.map: tagname


class TagnameWithFileIgnored(Deviant):
    """A tagname given with a file is ignored (the file wins) instead of raising."""

    INTENDED = "map.tagname.not-with-file"

    def do_map(self, call: MapCall) -> MapInfo:
        if call.file is not None:
            call = call.but(tagname=None)  # the defect
        return super().do_map(call)


# ------------------------------------------------------------------ mmap.map: errcodes


class AddrInUseEexist(Deviant):
    """An address in use fails with the OS's EEXIST (from MAP_FIXED_NOREPLACE),
    untranslated, instead of ``'out_of_mem'``."""

    INTENDED = "map.errcode.out-of-mem-addr-in-use"

    def do_map(self, call: MapCall) -> MapInfo:
        try:
            return super().do_map(call)
        except DocumentedFailure as exc:
            cause = exc.__cause__
            if isinstance(cause, OSError) and cause.errno == errno.EEXIST:
                raise os_failure(errno.EEXIST, "mmap") from exc  # the defect
            raise


# ------------------------------------------------------------------ mmap.mirror


class MirrorTimesDefaultsToOne(Deviant):
    """``mirror`` without ``times`` maps the segment once instead of twice."""

    INTENDED = "mirror.times.default-2"

    def do_mirror(self, call: MirrorCall) -> MirrorInfo:
        if call.times is None:
            call = call.but(times=1)  # the defect
        return super().do_mirror(call)
