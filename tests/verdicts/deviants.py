"""Deviant bindings: the reference adapter with exactly one planted defect each.

The instrument for "a failure names the promise that is broken, and only that one":
``test_one_defect_one_clause.py`` runs the whole spec against each class, as a
binding author would (``mmapspec run --adapter tests.verdicts.deviants:NAME``), and
checks that the clause in its ``INTENDED`` fails and no other clause does.

Each defect is one a binding author could plausibly make, small, and on real OS
calls: the rest of each class is the reference implementation. ``INTENDED`` names the
catalogue clause whose promise the defect breaks (a tuple for the binding with two
defects). Each docstring's first line names the defect. The one the stateful model
runs into under the CI profile lives with the benchmark, which times a failing run
against it (``mmapspec.bench.deviant``).
"""

from __future__ import annotations

import ctypes
import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mmapspec.adapters.filerefs import Opened
from mmapspec.adapters.interface import (
    CallForm,
    Direction,
    DocumentedFailure,
    FileRef,
    Handle,
    MapInfo,
    MirrorInfo,
)
from mmapspec.adapters.reference_adapter import ReferenceAdapter
from mmapspec.bench.deviant import FilesizeNeverShrinks  # stateful: the bench times it too
from mmapspec.reference import _map as reference_map
from mmapspec.reference._platform import backend as real_backend

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_long,
]
_libc.msync.restype = ctypes.c_int
_libc.msync.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_PROT_READ, _MAP_SHARED, _MS_ASYNC, _MS_SYNC = 0x1, 0x01, 1, 4
"""Linux's values; the verdict tests run on Linux (they read /dev/shm too)."""


def _os_failure(err: int, call: str) -> DocumentedFailure:
    """What a binding returns for an OS error it does not translate: the number."""
    return DocumentedFailure(err, f"{call}: {os.strerror(err)}")


class _Deviant(ReferenceAdapter):
    """The reference under its own name, so a report says which deviant it judged."""

    INTENDED: str | tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__()
        self.name = f"deviant:{type(self).__name__}"


# ------------------------------------------------------------------ mmap.map: call forms


class PositionalDropsTagname(_Deviant):
    """The positional form ``map(file, access, size, offset, addr, tagname)`` drops its
    sixth argument: a positional map with a tagname maps private pagefile memory."""

    INTENDED = "map.form.positional"

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
        if form == "positional":
            tagname = None  # the defect: five arguments forwarded, not six
        return super().map(file, access, size, offset, addr, tagname, form=form)


# ------------------------------------------------------------------ mmap.map: file


class NumericFdRefused(_Deviant):
    """A file descriptor (a number) is refused with EBADF: the binding looks numbers up
    among the handles it opened itself, and a caller's descriptor is not one of them."""

    INTENDED = "map.file.fd"

    def _open(self, ref: FileRef | None) -> tuple[Any, list[Opened]]:
        if ref is not None and ref.kind == "fd":
            raise _os_failure(errno.EBADF, "map")
        return super()._open(ref)


class FileobjBufferNotFlushed(_Deviant):
    """A ``FILE*`` is mapped through its descriptor without flushing its write buffer
    first, so bytes still in the buffer are not in the map."""

    INTENDED = "map.note.write-buffers-flushed"

    def _open(self, ref: FileRef | None) -> tuple[Any, list[Opened]]:
        f, opened = super()._open(ref)
        if ref is not None and ref.kind == "fileobj":
            return f.fileno(), opened  # the defect: no f.flush() before taking fileno()
        return f, opened


# ------------------------------------------------------------------ mmap.map: access


class ExecDropped(_Deviant):
    """Access ``'x'`` maps read-only without execute permission: the binding's table of
    protections gives ``'x'`` PROT_READ alone (``'wx'`` and ``'cx'`` are right)."""

    INTENDED = "map.access.x"

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
        if access == "x":
            access = ""  # the defect: PROT_READ for 'x'
        return super().map(file, access, size, offset, addr, tagname, form=form)


class AccessCaseFolded(_Deviant):
    """The access string is lower-cased before it is checked, so ``'W'`` maps read +
    write instead of raising an error."""

    INTENDED = "map.access.others-raise"

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
        if access is not None:
            access = access.lower()  # the defect
        return super().map(file, access, size, offset, addr, tagname, form=form)


class CowWritesBackOnFree(_Deviant):
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
        info = super().map(file, access, size, offset, addr, tagname, form=form)
        if file is not None and access in ("w", "c"):  # the defect: "c" meant "wx"
            self._write_back[info.handle] = (file.path, offset or 0, info.size)
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


class ZeroSizeMeansDefault(_Deviant):
    """``size=0`` is taken as "not given" (C's ``if (!size)``), so it maps the whole file
    instead of raising an error."""

    INTENDED = "map.size.must-be-positive"

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
        if size == 0 and file is not None:
            size = None  # the defect
        return super().map(file, access, size, offset, addr, tagname, form=form)


class EmptyFileEinval(_Deviant):
    """An empty file with no size is mapped with length 0, which the OS refuses with
    EINVAL: the binding returns that number instead of ``'file_too_short'``."""

    INTENDED = "map.size.default-empty-file-fails"

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
        if (
            file is not None
            and file.kind == "name"
            and size is None
            and not offset
            and os.path.isfile(file.path)
            and os.path.getsize(file.path) == 0
        ):
            fd = os.open(file.path, os.O_RDONLY | os.O_CLOEXEC)
            try:  # the defect: the file size, 0, goes to mmap unchecked
                got = _libc.mmap(None, 0, _PROT_READ, _MAP_SHARED, fd, 0)
                err = ctypes.get_errno()
            finally:
                os.close(fd)
            if got not in (None, ctypes.c_void_p(-1).value):
                raise AssertionError("mmap of 0 bytes succeeded: this deviant needs Linux")
            raise _os_failure(err, "mmap")
        return super().map(file, access, size, offset, addr, tagname, form=form)


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


class OffsetIgnored(_Deviant):
    """The offset is checked and the file extended to offset + size, but the mmap call
    gets 0: the map shows the file from its start."""

    INTENDED = "map.offset.maps-from-offset"

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
        with _offset_not_passed_to_mmap():
            return super().map(file, access, size, offset, addr, tagname, form=form)


# ------------------------------------------------------------------ mmap.map: addr


class AddrZeroMeansAnywhere(_Deviant):
    """``addr=0`` goes to mmap as the NULL hint ("anywhere") instead of raising."""

    INTENDED = "map.addr.zero-raises"

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
        if addr == 0:
            addr = None  # the defect
        return super().map(file, access, size, offset, addr, tagname, form=form)


# ------------------------------------------------------------------ mmap.map: tagname


class TagnameWithFileIgnored(_Deviant):
    """A tagname given with a file is ignored (the file wins) instead of raising."""

    INTENDED = "map.tagname.not-with-file"

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
        if file is not None:
            tagname = None  # the defect
        return super().map(file, access, size, offset, addr, tagname, form=form)


# ------------------------------------------------------------------ mmap.map: errcodes


class AddrInUseEexist(_Deviant):
    """An address in use fails with the OS's EEXIST (from MAP_FIXED_NOREPLACE),
    untranslated, instead of ``'out_of_mem'``."""

    INTENDED = "map.errcode.out-of-mem-addr-in-use"

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
        try:
            return super().map(file, access, size, offset, addr, tagname, form=form)
        except DocumentedFailure as exc:
            cause = exc.__cause__
            if isinstance(cause, OSError) and cause.errno == errno.EEXIST:
                raise _os_failure(errno.EEXIST, "mmap") from exc  # the defect
            raise


# ------------------------------------------------------------------ map:free


class FreeLeaksDescriptor(_Deviant):
    """A file mapped by name is opened a second time (kept for flushing) and ``free()``
    never closes that descriptor."""

    INTENDED = "free.closes-file-opened-by-map"

    def __init__(self) -> None:
        super().__init__()
        self._kept: dict[Handle, int] = {}
        self._leaked: list[int] = []

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
        info = super().map(file, access, size, offset, addr, tagname, form=form)
        if file is not None and file.kind == "name":
            self._kept[info.handle] = os.open(file.path, os.O_RDONLY | os.O_CLOEXEC)
        return info

    def free(self, handle: Handle) -> None:
        super().free(handle)
        if handle in self._kept:
            self._leaked.append(self._kept.pop(handle))  # the defect: never closed

    def close(self) -> None:
        # The process's end would close them; closing here keeps a long run of the
        # spec from exhausting this worker's descriptors.
        super().close()
        for fd in [*self._leaked, *self._kept.values()]:
            os.close(fd)
        self._leaked.clear()
        self._kept.clear()


# ------------------------------------------------------------------ map:flush


class FlushReturnsFalse(_Deviant):
    """``flush`` flushes but returns false: the binding hands back msync's C result,
    0 on success, as the boolean."""

    INTENDED = "flush.forms"

    def flush(
        self,
        handle: Handle,
        async_: bool | None = None,
        addr: int | None = None,
        size: int | None = None,
    ) -> bool:
        super().flush(handle, async_, addr, size)
        return False  # the defect


class UnalignedFlushEinval(_Deviant):
    """An unaligned address goes to msync unaligned, which the OS refuses with EINVAL,
    instead of being aligned to the left."""

    INTENDED = "flush.unaligned-addr-aligned-left"

    def flush(
        self,
        handle: Handle,
        async_: bool | None = None,
        addr: int | None = None,
        size: int | None = None,
    ) -> bool:
        if addr is not None and size is not None and addr % self.pagesize():
            self._get(handle)
            flags = _MS_ASYNC if async_ else _MS_SYNC
            if _libc.msync(addr, size, flags) != 0:  # the defect: no alignment first
                raise _os_failure(ctypes.get_errno(), "msync")
            return True
        return super().flush(handle, async_, addr, size)


# ------------------------------------------------------------------ mmap.unlink


class UnlinkDoesNothing(_Deviant):
    """``mmap.unlink(tagname)`` does nothing: the shared memory stays in /dev/shm
    (``map:unlink()`` still works)."""

    INTENDED = "unlink.function-removes"

    def unlink(self, tagname: str) -> None:
        pass  # the defect


# ------------------------------------------------------------------ mmap.mirror


class MirrorTimesDefaultsToOne(_Deviant):
    """``mirror`` without ``times`` maps the segment once instead of twice."""

    INTENDED = "mirror.times.default-2"

    def mirror(
        self,
        file: FileRef | None,
        size: int | None,
        times: int | None = None,
        addr: int | None = None,
        *,
        form: CallForm = "table",
    ) -> MirrorInfo:
        if times is None:
            times = 1  # the defect
        return super().mirror(file, size, times, addr, form=form)


# ------------------------------------------------------------------ alignment helpers


class AlignedSizeIgnoresLeft(_Deviant):
    """``aligned_size(bytes, 'left')`` rounds up: the binding takes only ``bytes``."""

    INTENDED = "aligned_size.left"

    def aligned_size(self, size: int, dir: Direction | None = None) -> int:
        return super().aligned_size(size)  # the defect: dir dropped


class AlignedSizeInt32(_Deviant):
    """``aligned_size`` computes in a signed 32-bit int (C's ``int``): from 2^31 up the
    result wraps negative, and bits above 32 are lost."""

    INTENDED = "aligned_size.right-default"

    def aligned_size(self, size: int, dir: Direction | None = None) -> int:
        if dir == "left":
            return super().aligned_size(size, dir)
        p = self.pagesize()
        wide = (size + p - 1) & ~(p - 1)
        low = wide & 0xFFFFFFFF  # the defect: the sum is stored in an int32_t
        return low - (1 << 32) if low >= 1 << 31 else low


class AlignedAddrLowWordCarry(_Deviant):
    """``aligned_addr`` rounds the low 32 bits of the address on their own and glues the
    high word back on: a low word above ``0xFFFFF000`` loses its carry into the high one."""

    INTENDED = "aligned_addr.right-default"

    def aligned_addr(self, addr: int, dir: Direction | None = None) -> int:
        if dir == "left":
            return super().aligned_addr(addr, dir)
        p = self.pagesize()
        high, low = addr & ~0xFFFFFFFF, addr & 0xFFFFFFFF
        return high | (((low + p - 1) & ~(p - 1)) & 0xFFFFFFFF)  # the defect: carry lost


class AlignedAddrOffByOnePage(_Deviant):
    """``aligned_addr(ptr)`` computes ``(ptr + pagesize) & ~(pagesize - 1)``: an aligned
    address moves to the next page instead of staying. Every unaligned address comes
    out right, so this reads "the next aligned address" as strictly after ``ptr``: the
    document does not say which, and the suite's reading (an aligned address is its own
    next one) is the clause it differs from."""

    INTENDED = "aligned_addr.right.aligned-unchanged"

    def aligned_addr(self, addr: int, dir: Direction | None = None) -> int:
        if dir == "left":
            return super().aligned_addr(addr, dir)
        p = self.pagesize()
        return (addr + p) & ~(p - 1)  # the defect: + p where p - 1 was meant


class PagesizeAllocationGranularity(_Deviant):
    """``pagesize()`` reports 16 pages (64 KiB, Windows' allocation granularity) on
    every OS instead of the page size."""

    INTENDED = "pagesize.returns-page-size"

    def pagesize(self) -> int:
        return 16 * super().pagesize()  # the defect


# ------------------------------------------------------------------ mmap.filesize


class FilesizeGetCreates(_Deviant):
    """``filesize(file)`` opens the file with O_CREAT, so a missing file is created
    and reported as 0 bytes instead of failing with ``'not_found'``."""

    INTENDED = "filesize.get.not-found"

    def filesize(self, file: FileRef, size: int | None = None) -> int:
        if size is None and file.kind == "name":
            try:  # the defect: O_CREAT
                os.close(os.open(file.path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o666))
            except OSError as exc:
                raise _os_failure(exc.errno or errno.EIO, "open") from exc
        return super().filesize(file, size)


class FilesizeSetNoCreate(_Deviant):
    """``filesize(file, size)`` opens the file without O_CREAT, so a missing file fails
    with ENOENT instead of being created."""

    INTENDED = "filesize.set.creates"

    def filesize(self, file: FileRef, size: int | None = None) -> int:
        if size is not None and file.kind == "name":
            try:
                os.close(os.open(file.path, os.O_RDWR | os.O_CLOEXEC))
            except OSError as exc:
                raise _os_failure(exc.errno or errno.EIO, "open") from exc  # the defect
        return super().filesize(file, size)


# ------------------------------------------------------------------ two defects


class FlushFalseAndFdRefused(FlushReturnsFalse, NumericFdRefused):
    """Two defects: ``flush`` returns false, and file descriptors are refused with EBADF."""

    INTENDED = ("flush.forms", "map.file.fd")  # type: ignore[assignment]  # one per parent


DEVIANTS: tuple[type[ReferenceAdapter], ...] = (
    PositionalDropsTagname,
    NumericFdRefused,
    FileobjBufferNotFlushed,
    ExecDropped,
    AccessCaseFolded,
    ZeroSizeMeansDefault,
    EmptyFileEinval,
    OffsetIgnored,
    AddrZeroMeansAnywhere,
    TagnameWithFileIgnored,
    AddrInUseEexist,
    CowWritesBackOnFree,
    FreeLeaksDescriptor,
    FlushReturnsFalse,
    UnalignedFlushEinval,
    UnlinkDoesNothing,
    MirrorTimesDefaultsToOne,
    AlignedSizeIgnoresLeft,
    AlignedSizeInt32,
    AlignedAddrLowWordCarry,
    AlignedAddrOffByOnePage,
    PagesizeAllocationGranularity,
    FilesizeGetCreates,
    FilesizeSetNoCreate,
    FilesizeNeverShrinks,
    FlushFalseAndFdRefused,
)
"""Every deviant binding, in the document's order of what it breaks."""


def intended(cls: type[ReferenceAdapter]) -> tuple[str, ...]:
    """The clause IDs a deviant's defects break."""
    value: str | tuple[str, ...] = getattr(cls, "INTENDED", ())
    return (value,) if isinstance(value, str) else tuple(value)
