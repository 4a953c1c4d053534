"""libc's mapping calls through ctypes, prototypes declared once: the one definition
the bench's floors and the project's tests share, with this OS's values for the flags.

``libc()`` gives ``mmap``/``munmap``/``msync`` with ``argtypes`` and ``restype`` set,
the cheapest a ctypes caller can get, on function objects of their own.
"""

from __future__ import annotations

import ctypes
import dataclasses
import mmap
import sys
from collections.abc import Callable
from typing import Any

MAP_FAILED = ctypes.c_void_p(-1).value
# The stdlib's mmap module knows the flags of this OS (macOS's MAP_ANONYMOUS is 0x1000,
# Linux's 0x20). Windows has neither them nor libc's mapping calls: the fallbacks only
# keep this module importable there, for the commands that load the bench.
PROT_NONE = 0x0
PROT_READ = getattr(mmap, "PROT_READ", 0x1)
PROT_WRITE = getattr(mmap, "PROT_WRITE", 0x2)
MAP_SHARED = getattr(mmap, "MAP_SHARED", 0x01)
MAP_PRIVATE = getattr(mmap, "MAP_PRIVATE", 0x02)
MAP_ANONYMOUS = getattr(mmap, "MAP_ANONYMOUS", 0x20)
MS_ASYNC = 0x1  # msync's flags are not in the mmap module: <sys/mman.h>'s values
MS_SYNC = 0x10 if sys.platform == "darwin" else 0x4

Fn = Callable[..., Any]
"""A ctypes foreign function with its prototype declared."""


@dataclasses.dataclass(frozen=True)
class Libc:
    """libc's mapping calls, prototypes declared once."""

    mmap: Fn
    munmap: Fn
    msync: Fn


def libc() -> Libc:
    lib = ctypes.CDLL(None, use_errno=True)
    # Fresh function objects, so declaring prototypes here never changes the ones
    # another module (the reference) obtained from the same CDLL.
    mmap = lib["mmap"]
    mmap.argtypes = (
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_long,
    )
    mmap.restype = ctypes.c_void_p
    munmap = lib["munmap"]
    munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
    munmap.restype = ctypes.c_int
    msync = lib["msync"]
    msync.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    msync.restype = ctypes.c_int
    return Libc(mmap, munmap, msync)
