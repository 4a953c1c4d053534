"""libc's mapping calls through ctypes, prototypes declared once: the one definition
the bench's floors and the project's tests share (Linux values for the flags).

``libc()`` gives ``mmap``/``munmap``/``msync`` with ``argtypes`` and ``restype`` set,
the cheapest a ctypes caller can get, on function objects of their own.
"""

from __future__ import annotations

import ctypes
import dataclasses
from collections.abc import Callable
from typing import Any

MAP_FAILED = ctypes.c_void_p(-1).value
PROT_NONE, PROT_READ, PROT_WRITE = 0x0, 0x1, 0x2
MAP_SHARED, MAP_PRIVATE, MAP_ANONYMOUS = 0x01, 0x02, 0x20
MS_ASYNC, MS_SYNC = 0x1, 0x4

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
