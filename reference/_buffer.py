"""The buffer protocol for maps and mirrors on Python 3.11, where a Python class
cannot export a buffer (``__buffer__`` arrived in 3.12).

How: :data:`Exporter` is a tiny heap type created with ``PyType_FromSpec`` whose
only slots are ``bf_getbuffer`` and ``bf_releasebuffer``, implemented as ctypes
callbacks. Live maps and mirrors are instances of a class deriving from it, so
``memoryview(m)``, ``numpy.frombuffer(m)`` and friends work, and each export and
release is counted exactly (a memoryview and all its slices share one export).
``free()`` refuses to unmap while the count is non-zero (BufferError, as
CPython's ``mmap.close()`` does), so no view ever points at unmapped memory.

Limits (honest ones):

* A ctypes callback cannot raise: an exception in it is printed and swallowed.
  So ``bf_getbuffer`` never has to fail: a freed map stops being an instance of
  the exporting class (its ``__class__`` is switched to the plain base class),
  and ``memoryview(freed_map)`` raises TypeError, not ValueError.
* Asking a read-only map for a *writable* buffer must fail, and the callback can
  only return -1 without an exception set. Consumers that then retry read-only
  (numpy does) work; others raise SystemError ("error return without exception
  set"). ``m[a:b] = data`` on a read-only map raises TypeError as usual.
"""

from __future__ import annotations

import ctypes
from typing import Protocol

PyBUF_WRITABLE = 0x0001
Py_bf_getbuffer = 1
Py_bf_releasebuffer = 2
Py_TPFLAGS_BASETYPE = 1 << 10
Py_TPFLAGS_DEFAULT = 1 << 18  # Py_TPFLAGS_HAVE_VERSION_TAG, what DEFAULT means since 3.8


class _Slot(ctypes.Structure):
    _fields_ = [("slot", ctypes.c_int), ("pfunc", ctypes.c_void_p)]


class _Spec(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("basicsize", ctypes.c_int),
                ("itemsize", ctypes.c_int), ("flags", ctypes.c_uint),
                ("slots", ctypes.POINTER(_Slot))]


class Exported(Protocol):
    """What the callbacks read from an exporting object (slots of the region classes)."""

    _addr: int
    _span: int
    _readonly: bool
    _exports: int


_GETBUF = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.py_object, ctypes.c_void_p, ctypes.c_int)
_RELBUF = ctypes.CFUNCTYPE(None, ctypes.py_object, ctypes.c_void_p)

_fill_info = ctypes.pythonapi.PyBuffer_FillInfo
_fill_info.argtypes = [ctypes.c_void_p, ctypes.py_object, ctypes.c_void_p, ctypes.c_ssize_t,
                       ctypes.c_int, ctypes.c_int]
_fill_info.restype = ctypes.c_int
_from_spec = ctypes.pythonapi.PyType_FromSpec
_from_spec.argtypes = [ctypes.POINTER(_Spec)]
_from_spec.restype = ctypes.py_object


def _getbuffer(obj: Exported, view: int, flags: int) -> int:
    try:
        if obj._readonly and flags & PyBUF_WRITABLE:
            return -1  # see the module docstring: no exception can be set from here
        # PyBuffer_FillInfo takes its own reference to obj (released with the view).
        if _fill_info(view, obj, obj._addr, obj._span, obj._readonly, flags) != 0:
            return -1  # pragma: no cover - only fails for writable+readonly, excluded above
        obj._exports += 1
        return 0
    except BaseException:  # pragma: no cover - a bug; never let it unwind through C
        return -1


def _releasebuffer(obj: Exported, view: int) -> None:
    obj._exports -= 1


# Module-level references keep the callbacks and the spec alive for the process.
_getbuffer_c = _GETBUF(_getbuffer)
_releasebuffer_c = _RELBUF(_releasebuffer)
_slots = (_Slot * 3)(
    _Slot(Py_bf_getbuffer, ctypes.cast(_getbuffer_c, ctypes.c_void_p)),
    _Slot(Py_bf_releasebuffer, ctypes.cast(_releasebuffer_c, ctypes.c_void_p)),
    _Slot(0, None),
)
_spec = _Spec(b"mmapspec.reference._buffer.Exporter", 0, 0,
              Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, _slots)

Exporter: type = _from_spec(ctypes.byref(_spec))
"""A base class whose instances export ``_span`` bytes at ``_addr`` as a buffer."""
