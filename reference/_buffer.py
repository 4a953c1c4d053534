"""The buffer protocol for maps and mirrors on Python 3.11, where a Python class
cannot export a buffer (``__buffer__`` arrived in 3.12).

How: :data:`Exporter` is a tiny heap type created with ``PyType_FromSpec`` whose
only slot is ``bf_getbuffer``, implemented as a ctypes callback. Live maps and
mirrors are instances of a class deriving from it, so ``memoryview(m)``,
``numpy.frombuffer(m)`` and friends work without copying.

Counting exports exactly: each successful ``bf_getbuffer`` fills the view with
a fresh :class:`_Export` token as ``view.obj`` (the token holds the map alive)
and records the token in the map's ``WeakSet``. Releasing the view drops the
token, so the set holds exactly the live exports (a memoryview and all its
slices share one). ``free()`` refuses while the set is non-empty (BufferError,
as CPython's ``mmap.close()`` does), so no view ever points at unmapped memory.
Counting does not rely on ``bf_releasebuffer``: CPython often releases a buffer
while an exception is pending, and a ctypes callback run in that state turns
the pending exception into a SystemError, whereas weakref bookkeeping saves and
restores the pending exception. The exporter still has a ``bf_releasebuffer``
slot, a no-op that is never called (``PyBuffer_Release`` calls the slot of
``view.obj``, always a token), because consumers look for it to decide whether
an export must be held: numpy wraps the object in a memoryview only then.

Limits (honest ones):

* A ctypes callback cannot raise: an exception in it is printed and swallowed,
  and returning -1 without one makes the consumer raise SystemError. So
  ``bf_getbuffer`` is never asked to fail for a freed map: a freed object stops
  being an instance of the exporting class (its ``__class__`` switches to the
  plain base class), and ``memoryview(freed_map)`` raises TypeError, not
  ValueError. A view racing ``free()`` in another thread must not slip between
  the consumer's type check (in C) and the callback either: ``free()`` switches
  the class first, then asks :func:`being_exported` whether a thread is inside
  the callback for the object; if so it switches back and raises BufferError,
  and that view succeeds. No thread can be between the type check and the
  callback's first bytecode while ``free()`` runs: that stretch is C code that
  holds the GIL. (The walk over the threads' frames is dear, so ``free()`` first
  looks at the callback function's reference count, which each frame running it
  raises by one: see :data:`CALLBACK`.)
* Asking a read-only map for a *writable* buffer must fail, and the callback can
  only return -1 without an exception set. Consumers that then retry read-only
  (numpy does) work; others raise SystemError ("returned NULL without setting an
  exception"), e.g. ``ctypes.c_char.from_buffer(read_only_map)``.
  ``m[a:b] = data`` on a read-only map raises TypeError as usual.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time
import weakref
from types import FrameType
from typing import Protocol

lock = threading.RLock()
"""Serialises the two things that must not interleave between threads: handing
out a buffer and claiming a map or mirror for ``free()``. Reentrant because the
garbage collector may run a finalizer (a ``free()``) inside either.

Fork-safe: a child forked while another thread of the parent held it would find it
held forever (that thread does not exist in the child), so it is made new and free
in the child (:func:`_reset_after_fork`). Nothing it guarded can be half done there
in a way that matters: the one thread the child has is the one that forked, which
held no part of it, and a ``free()`` the parent's other thread had begun had not yet
unmapped anything (it unmaps after it set ``_addr`` to 0, under the lock)."""


def _reset_after_fork() -> None:
    """In a forked child: the lock is new and free, in place, so that every bound
    ``lock.acquire`` taken before the fork (``_mapped_memory`` keeps two) works."""
    lock._at_fork_reinit()  # type: ignore[attr-defined]  # what threading does for its own


if hasattr(os, "register_at_fork"):  # POSIX; Windows has no fork
    os.register_at_fork(after_in_child=_reset_after_fork)

PyBUF_WRITABLE = 0x0001
Py_bf_getbuffer = 1
Py_bf_releasebuffer = 2
Py_TPFLAGS_BASETYPE = 1 << 10
Py_TPFLAGS_DEFAULT = 1 << 18  # Py_TPFLAGS_HAVE_VERSION_TAG, what DEFAULT means since 3.8


class _Slot(ctypes.Structure):
    _fields_ = [("slot", ctypes.c_int), ("pfunc", ctypes.c_void_p)]


class _Spec(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("basicsize", ctypes.c_int),
        ("itemsize", ctypes.c_int),
        ("flags", ctypes.c_uint),
        ("slots", ctypes.POINTER(_Slot)),
    ]


class _Export:
    """One live export: ``view.obj`` of a buffer handed out; dies with the view."""

    __slots__ = ("owner", "__weakref__")

    def __init__(self, owner: object) -> None:
        self.owner = owner  # keeps the exporting map alive while the view lives


class Exported(Protocol):
    """What the callback reads from an exporting object (slots of ``MappedMemory``)."""

    _addr: int
    _span: int
    _readonly: bool
    _views: weakref.WeakSet[_Export] | None


def exports(obj: Exported) -> int:
    """How many buffers of ``obj`` are alive right now."""
    return 0 if obj._views is None else len(obj._views)


_GETBUF = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.py_object, ctypes.c_void_p, ctypes.c_int)
_RELBUF = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)

_fill_info = ctypes.pythonapi.PyBuffer_FillInfo
_fill_info.argtypes = [
    ctypes.c_void_p,
    ctypes.py_object,
    ctypes.c_void_p,
    ctypes.c_ssize_t,
    ctypes.c_int,
    ctypes.c_int,
]
_fill_info.restype = ctypes.c_int
_from_spec = ctypes.pythonapi.PyType_FromSpec
_from_spec.argtypes = [ctypes.POINTER(_Spec)]
_from_spec.restype = ctypes.py_object


def _getbuffer(obj: Exported, view: int, flags: int) -> int:
    try:
        if obj._readonly and flags & PyBUF_WRITABLE:
            return -1  # see the module docstring: no exception can be set from here
        token = _Export(obj)
        with lock:
            if not obj._addr:  # never, by free()'s protocol; would export unmapped memory
                return -1
            # PyBuffer_FillInfo stores the token in view->obj with a new reference.
            if _fill_info(view, token, obj._addr, obj._span, obj._readonly, flags) != 0:
                return -1  # pragma: no cover - fails only for writable+readonly, excluded
            if obj._views is None:
                obj._views = weakref.WeakSet()
            obj._views.add(token)
        return 0
    except BaseException:  # pragma: no cover - a bug; never let it unwind through C
        return -1


def being_exported(obj: object, idle: int = -1) -> bool:
    """Whether a thread other than this one is inside the buffer callback for ``obj``.

    A thread paused there (the GIL may switch at any bytecode, the first one
    included) has passed the consumer's type check, so it will export ``obj``'s
    memory: ``free()`` must not unmap it. Since Python 3.11 a frame that has not run
    its first instruction yet is left out of :func:`sys._current_frames`, so a
    thread paused at the callback's very start is invisible there; ``idle``, the
    callback's reference count with no frame running it (each frame holds one), says
    how many threads are inside. While more are inside than frames can be seen, this
    thread lets the others run on (they wait for :data:`lock` inside, in sight)
    and looks again; if they stay out of sight, the answer is yes, which only makes
    ``free()`` refuse. Python 3.10's frames hold no reference to their function
    (``idle`` -1: the count says nothing) but are in sight from the start."""
    for _ in range(_LOOKS):
        found, seen = _callback_frames(obj)
        if found:
            return True
        if idle < 0 or sys.getrefcount(CALLBACK) - idle <= seen:
            return False
        time.sleep(0)  # lets a thread at the callback's entry run into it
    return True


_LOOKS = 1000


def _callback_frames(obj: object) -> tuple[bool, int]:
    """Whether another thread's frame runs the callback for ``obj``, and how many
    frames of other threads run it for any object."""
    # This thread alone: nobody else can be exporting. (The dict is not kept: holding
    # it would keep this call's frame object alive, which makes returning costly.)
    if len(_current_frames()) == 1:
        return False, 0
    me = threading.get_ident()
    seen = 0
    for ident, top in _current_frames().items():
        if ident == me:
            continue
        frame: FrameType | None = top
        while frame is not None:
            if frame.f_code is _GETBUFFER_CODE:
                if frame.f_locals.get("obj") is obj:
                    return True, seen + 1
                seen += 1
            frame = frame.f_back
    return False, seen


_GETBUFFER_CODE = _getbuffer.__code__
CALLBACK = _getbuffer
"""The buffer callback's function. Every frame running it holds a reference to it,
so :func:`sys.getrefcount` of it rises while any thread is inside the callback:
``free()`` walks the threads' frames (:func:`being_exported`) only then."""
_current_frames = sys._current_frames


def _releasebuffer(obj: int, view: int) -> None:
    """Never called (see the module docstring); present so that consumers hold exports."""


# Module-level references keep the callbacks and the spec alive for the process.
_getbuffer_c = _GETBUF(_getbuffer)
_releasebuffer_c = _RELBUF(_releasebuffer)
_slots = (_Slot * 3)(
    _Slot(Py_bf_getbuffer, ctypes.cast(_getbuffer_c, ctypes.c_void_p)),
    _Slot(Py_bf_releasebuffer, ctypes.cast(_releasebuffer_c, ctypes.c_void_p)),
    _Slot(0, None),
)
_spec = _Spec(
    b"mmapspec.reference._buffer.Exporter", 0, 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, _slots
)

Exporter: type = _from_spec(ctypes.byref(_spec))
"""A base class whose instances export ``_span`` bytes at ``_addr`` as a buffer."""
