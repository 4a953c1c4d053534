"""The verdict tests' deviant bindings: the reference adapter with exactly one planted
defect each.

The instrument for "a failure names the promise that is broken, and only that one":
``tests/verdicts/test_one_defect_one_clause.py`` runs the whole spec against each
class, as a binding author would (``mmapspec run --adapter
tests.deviants.verdicts:NAME``), and checks that the clause in its ``INTENDED`` fails
and no other clause does. They live by what they break: ``mapping`` (``mmap.map``,
``mmap.mirror``), ``lifecycle`` (``map:free``, ``map:flush``, ``mmap.unlink``) and
``sizes`` (the alignment helpers, ``pagesize``, ``filesize``), over the shared
``base``; ``knockons`` holds each pattern of knock-on once seen, ``crashes`` the
bindings whose process dies later or only sometimes; ``ranges`` holds bindings whose
integers are narrower than 64 unsigned bits and say so (``Capabilities.int_range``):
two with no defect, judged conformant within their range, and one that wraps at 2^31
inside it.

Each defect is one a binding author could plausibly make, small, and on real OS
calls: the rest of each class is the reference implementation. ``INTENDED`` names the
catalogue clause whose promise the defect breaks (a tuple for the binding with two
defects). Each docstring's first line names the defect. The one the stateful model
runs into under the CI profile ships with the benchmark, which times a failing run
against it (``mmapspec.bench.deviant``, beside the base every deviant builds on).
"""

from __future__ import annotations

from mmapspec.bench.deviant import Deviant, FilesizeNeverShrinks  # the bench times it too

from .crashes import AddrMapCorruptsFilesizeCrashes as AddrMapCorruptsFilesizeCrashes
from .crashes import FilesizeCrashesOnce
from .knockons import (
    AddrInUseMapsElsewhere,
    CopyOnWriteOpensWithNoAccess,
    DefaultSizeWithOffsetIsFileSize,
    MirrorAddrInUseMapsElsewhere,
    MirrorCopiesPrivate,
    MirrorFreeKeepsLastCopy,
    MirrorPositionalDropsTimes,
    MirrorTimesDefaultsToThree,
    SmallerWriteMapTruncates,
    TagnameDefaultSizeOnePage,
    TagnameMapsPrivate,
    TagnameShortMapsItsOwnSize,
)
from .lifecycle import (
    FlushReturnsFalse,
    FreedFlushSaysTrue,
    FreedMapStillReadable,
    FreeLeaksDescriptor,
    UnalignedFlushEinval,
    UnlinkDoesNothing,
)
from .mapping import (
    AccessCaseFolded,
    AddrInUseEexist,
    AddrZeroMeansAnywhere,
    CowWritesBackOnFree,
    EmptyFileEinval,
    ExecDropped,
    FileobjBufferNotFlushed,
    MirrorTimesDefaultsToOne,
    NumericFdRefused,
    OffsetIgnored,
    PositionalDropsTagname,
    TagnameWithFileIgnored,
    ZeroSizeMeansDefault,
)
from .ranges import DoubleBinding, Int64Binding, Int64WrapsAt2p31
from .sizes import (
    AlignedAddrLowWordCarry,
    AlignedAddrOffByOnePage,
    AlignedAddrUnsigned,
    AlignedSizeIgnoresLeft,
    AlignedSizeInt32,
    AlignedSizeUnsigned,
    FilesizeGetCreates,
    FilesizeSetNoCreate,
    PagesizeAllocationGranularity,
)

# ------------------------------------------------------------------ two defects


class FlushFalseAndFdRefused(FlushReturnsFalse, NumericFdRefused):
    """Two defects: ``flush`` returns false, and file descriptors are refused with EBADF."""

    INTENDED = ("flush.forms", "map.file.fd")  # type: ignore[assignment]  # one per parent


KNOCK_ONS: tuple[type[Deviant], ...] = (
    MirrorCopiesPrivate,
    TagnameMapsPrivate,
    SmallerWriteMapTruncates,
    CopyOnWriteOpensWithNoAccess,
    AddrInUseMapsElsewhere,
    MirrorAddrInUseMapsElsewhere,
    TagnameShortMapsItsOwnSize,
    MirrorFreeKeepsLastCopy,
    DefaultSizeWithOffsetIsFileSize,
    MirrorPositionalDropsTimes,
    MirrorTimesDefaultsToThree,
    TagnameDefaultSizeOnePage,
)
"""Deviants whose defect other clauses' tests once observed without declaring it
(``knockons``): each pattern of knock-on, planted."""

DEVIANTS: tuple[type[Deviant], ...] = (
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
    FreedMapStillReadable,
    FlushReturnsFalse,
    UnalignedFlushEinval,
    FreedFlushSaysTrue,
    UnlinkDoesNothing,
    MirrorTimesDefaultsToOne,
    AlignedSizeIgnoresLeft,
    AlignedSizeInt32,
    AlignedSizeUnsigned,
    AlignedAddrLowWordCarry,
    AlignedAddrOffByOnePage,
    AlignedAddrUnsigned,
    PagesizeAllocationGranularity,
    FilesizeGetCreates,
    FilesizeSetNoCreate,
    FilesizeNeverShrinks,
    FlushFalseAndFdRefused,
    Int64Binding,
    DoubleBinding,
    Int64WrapsAt2p31,
    *KNOCK_ONS,
    FilesizeCrashesOnce,
)
"""Every deviant binding: the document's order of what it breaks, then the knock-ons."""


def intended(cls: type[Deviant]) -> tuple[str, ...]:
    """The clause IDs a deviant's defects break."""
    value: str | tuple[str, ...] = getattr(cls, "INTENDED", ())
    return (value,) if isinstance(value, str) else tuple(value)
