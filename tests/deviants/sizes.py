"""Deviants of the size helpers: ``mmap.aligned_size``, ``mmap.aligned_addr``,
``mmap.pagesize`` and ``mmap.filesize``."""

from __future__ import annotations

import errno
import os

from mmapspec.adapters.interface import Direction, FileRef

from .base import Deviant, os_failure

# ------------------------------------------------------------------ alignment helpers


class AlignedSizeIgnoresLeft(Deviant):
    """``aligned_size(bytes, 'left')`` rounds up: the binding takes only ``bytes``."""

    INTENDED = "aligned_size.left"

    def aligned_size(self, size: int, dir: Direction | None = None) -> int:
        return super().aligned_size(size)  # the defect: dir dropped


class AlignedSizeInt32(Deviant):
    """``aligned_size`` computes in a signed 32-bit int (C's ``int``): from 2^31 up the
    result wraps negative, and bits above 32 are lost."""

    INTENDED = "aligned_size.right-default"

    def aligned_size(self, size: int, dir: Direction | None = None) -> int:
        if dir == "left" or size < 0:  # a negative size is refused, as the reference does
            return super().aligned_size(size, dir)
        p = self.pagesize()
        wide = (size + p - 1) & ~(p - 1)
        low = wide & 0xFFFFFFFF  # the defect: the sum is stored in an int32_t
        return low - (1 << 32) if low >= 1 << 31 else low


class AlignedAddrLowWordCarry(Deviant):
    """``aligned_addr`` rounds the low 32 bits of the address on their own and glues the
    high word back on: a low word above ``0xFFFFF000`` loses its carry into the high one."""

    INTENDED = "aligned_addr.right-default"

    def aligned_addr(self, addr: int, dir: Direction | None = None) -> int:
        if dir == "left" or addr < 0:  # a negative address is refused, as the reference does
            return super().aligned_addr(addr, dir)
        p = self.pagesize()
        high, low = addr & ~0xFFFFFFFF, addr & 0xFFFFFFFF
        return high | (((low + p - 1) & ~(p - 1)) & 0xFFFFFFFF)  # the defect: carry lost


class AlignedAddrOffByOnePage(Deviant):
    """``aligned_addr(ptr)`` computes ``(ptr + pagesize) & ~(pagesize - 1)``: an aligned
    address moves to the next page instead of staying. Every unaligned address comes
    out right, so this reads "the next aligned address" as strictly after ``ptr``: the
    document does not say which, and the suite's reading (an aligned address is its own
    next one) is the clause it differs from."""

    INTENDED = "aligned_addr.right.aligned-unchanged"

    def aligned_addr(self, addr: int, dir: Direction | None = None) -> int:
        if dir == "left" or addr < 0:  # a negative address is refused, as the reference does
            return super().aligned_addr(addr, dir)
        p = self.pagesize()
        return (addr + p) & ~(p - 1)  # the defect: + p where p - 1 was meant


class AlignedSizeUnsigned(Deviant):
    """``aligned_size`` takes its argument as C's ``size_t``: a negative size wraps to
    a huge one and is aligned, where an error was due."""

    INTENDED = "aligned_size.negative-raises"

    def aligned_size(self, size: int, dir: Direction | None = None) -> int:
        return super().aligned_size(size % (1 << 64), dir)  # the defect: no check


class AlignedAddrUnsigned(Deviant):
    """``aligned_addr`` takes its argument as C's ``uintptr_t``: a negative address
    wraps to the top of the address space and is aligned, where an error was due."""

    INTENDED = "aligned_addr.negative-raises"

    def aligned_addr(self, addr: int, dir: Direction | None = None) -> int:
        return super().aligned_addr(addr % (1 << 64), dir)  # the defect: no check


class PagesizeAllocationGranularity(Deviant):
    """``pagesize()`` reports 16 pages (64 KiB, Windows' allocation granularity) on
    every OS instead of the page size."""

    INTENDED = "pagesize.returns-page-size"

    def pagesize(self) -> int:
        return 16 * super().pagesize()  # the defect


# ------------------------------------------------------------------ mmap.filesize


class FilesizeGetCreates(Deviant):
    """``filesize(file)`` opens the file with O_CREAT, so a missing file is created
    and reported as 0 bytes instead of failing with ``'not_found'``."""

    INTENDED = "filesize.get.not-found"

    def filesize(self, file: FileRef, size: int | None = None) -> int:
        if size is None and file.kind == "name":
            # The defect: O_CREAT. O_NONBLOCK, as the reference: a FIFO is not waited on.
            flags = os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC | os.O_NONBLOCK
            try:
                os.close(os.open(file.path, flags, 0o666))
            except OSError as exc:
                raise os_failure(exc.errno or errno.EIO, "open") from exc
        return super().filesize(file, size)


class FilesizeSetNoCreate(Deviant):
    """``filesize(file, size)`` opens the file without O_CREAT, so a missing file fails
    with ENOENT instead of being created."""

    INTENDED = "filesize.set.creates"

    def filesize(self, file: FileRef, size: int | None = None) -> int:
        if size is not None and file.kind == "name":
            try:
                os.close(os.open(file.path, os.O_RDWR | os.O_CLOEXEC))
            except OSError as exc:
                raise os_failure(exc.errno or errno.EIO, "open") from exc  # the defect
        return super().filesize(file, size)
