"""Mirrors on Windows: one section mapped ``times`` times back to back, two ways.

* **Placeholders** (Windows 10 1803 and later), race-free: one ``VirtualAlloc2``
  placeholder over all the copies, split per copy (``VirtualFree`` with
  ``MEM_PRESERVE_PLACEHOLDER``), each piece replaced by a view (``MapViewOfFile3``
  with ``MEM_REPLACE_PLACEHOLDER``). Nothing else can map into the range meanwhile.
* **Search and map**, where there are no placeholders (older Windows; Wine 8, whose
  ``VirtualAlloc2`` refuses ``MEM_RESERVE_PLACEHOLDER`` with ERROR_INVALID_PARAMETER:
  ``tools/win_probes.py`` shows it): ``VirtualAlloc(MEM_RESERVE)`` finds a free range
  of the whole size, ``VirtualFree`` gives it back, and ``MapViewOfFileEx`` maps each
  copy at its address. Another thread may map into the range between the free and
  the views; ``MapViewOfFileEx`` never replaces a mapping (it fails with
  ERROR_INVALID_ADDRESS), so that is a collision, never a clobber: the attempt's views
  are unmapped and the search starts again, at most :data:`ATTEMPTS` times, after which
  the mirror fails with ERROR_INVALID_ADDRESS (``'out_of_mem'``) naming the attempts.
  A requested address is not searched for: a range in use there fails at once.

Which way is chosen once per process, at the first mirror (:func:`have_placeholders`).
Run under Wine 8 by ``tests/reference/test_windows_mirror.py`` (the search-and-map way
only: Wine 8 has no placeholders); the placeholder way is NOT run here.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable

from .base import OsCallError

assert sys.platform == "win32", "the Windows backend is for Windows only"

from . import _win32 as win32  # noqa: E402  (after the platform assertion, for mypy)

ATTEMPTS = 64
"""How many free ranges the search-and-map way tries before giving up."""

Hook = Callable[[int], None]
"""Called with each candidate base address between its free and the first view (tests
occupy it there with a real mapping, to make a collision happen on purpose)."""


def have_placeholders(process: int, granularity: int) -> bool | None:
    """Whether this system makes mirrors with placeholders: True if a mirror of two
    granules of a pagefile section can be made that way (and it is released again);
    False if the functions are missing or a call refuses its placeholder flags
    (ERROR_INVALID_PARAMETER: Wine 8's ``VirtualAlloc2``); None if the probe failed
    otherwise (out of memory, say: ask again next time)."""
    if win32.VirtualAlloc2 is None or win32.MapViewOfFile3 is None:
        return False
    try:
        section = win32.create_section(
            win32.INVALID_HANDLE_VALUE, win32.PAGE_READWRITE, granularity, None
        )
    except OsCallError:
        return None
    try:
        base = with_placeholders(section, process, granularity, 2, None)
    except OsCallError as e:
        return False if e.err == win32.ERROR_INVALID_PARAMETER else None
    finally:
        win32.CloseHandle(section)
    win32.UnmapViewOfFile(base)
    win32.UnmapViewOfFile(base + granularity)
    return True


def with_placeholders(section: int, process: int, size: int, times: int, addr: int | None) -> int:
    """Reserve one placeholder over all copies (at ``addr`` if given: a range in use
    fails with ERROR_INVALID_ADDRESS), split it per copy, and replace each piece by a
    read+write view of the section's first ``size`` bytes. Returns the base address."""
    base: int | None = win32.VirtualAlloc2(
        process,
        addr,
        size * times,
        win32.MEM_RESERVE | win32.MEM_RESERVE_PLACEHOLDER,
        win32.PAGE_NOACCESS,
        None,
        0,
    )
    if not base:
        raise win32.last_error("VirtualAlloc2")
    _views_over_placeholder(section, process, base, size, times)
    return base


def _views_over_placeholder(section: int, process: int, base: int, size: int, times: int) -> None:
    """Split the placeholder at ``base`` into ``times`` pieces of ``size`` bytes and
    replace each by a view of ``section``; on failure release every piece."""
    pieces = [base]  # placeholder starts; the first `mapped` are views by now
    mapped = 0
    try:
        for i in range(1, times):  # split the rest off the last piece
            if not win32.VirtualFree(
                pieces[-1], size, win32.MEM_RELEASE | win32.MEM_PRESERVE_PLACEHOLDER
            ):
                raise win32.last_error("VirtualFree(MEM_PRESERVE_PLACEHOLDER)")
            pieces.append(base + i * size)
        for at in pieces:
            if (
                win32.MapViewOfFile3(
                    section,
                    process,
                    at,
                    0,
                    size,
                    win32.MEM_REPLACE_PLACEHOLDER,
                    win32.PAGE_READWRITE,
                    None,
                    0,
                )
                != at
            ):
                raise win32.last_error("MapViewOfFile3")
            mapped += 1
    except OsCallError:
        for i, at in enumerate(pieces):
            if i < mapped:
                win32.UnmapViewOfFile(at)
            else:
                win32.VirtualFree(at, 0, win32.MEM_RELEASE)
        raise


def by_search(section: int, size: int, times: int, addr: int | None, hook: Hook | None) -> int:
    """The search-and-map way (see the module docstring). Returns the base address."""
    if addr is not None:
        if _views_at(section, addr, size, times):
            return addr
        raise OsCallError(win32.ERROR_INVALID_ADDRESS, "MapViewOfFileEx")
    total = size * times
    for _ in range(ATTEMPTS):
        base: int | None = win32.VirtualAlloc(None, total, win32.MEM_RESERVE, win32.PAGE_NOACCESS)
        if not base:
            raise win32.last_error("VirtualAlloc(MEM_RESERVE)")
        if not win32.VirtualFree(base, 0, win32.MEM_RELEASE):
            raise win32.last_error("VirtualFree(MEM_RELEASE)")
        if hook is not None:
            hook(base)
        if _views_at(section, base, size, times):
            return base
    raise OsCallError(
        win32.ERROR_INVALID_ADDRESS,
        f"MapViewOfFileEx: in each of {ATTEMPTS} attempts another mapping took part of "
        "the free range found for the copies before they were mapped",
    )


def _views_at(section: int, base: int, size: int, times: int) -> bool:
    """Map copy ``i`` at ``base + i*size``, every ``i``: True if all are mapped; False
    if part of the range is in use (ERROR_INVALID_ADDRESS), after unmapping the views
    this call made. Any other failure raises, after the same cleanup."""
    mapped: list[int] = []
    try:
        for i in range(times):
            at = base + i * size
            got: int | None = win32.MapViewOfFileEx(section, win32.FILE_MAP_WRITE, 0, 0, size, at)
            if not got:
                err = ctypes.get_last_error()
                if err == win32.ERROR_INVALID_ADDRESS:
                    break
                raise OsCallError(err, "MapViewOfFileEx")
            mapped.append(got)
            if got != at:  # never documented to happen; treated as the range in use
                break
        else:
            mapped = []  # all mapped: the views are the mirror's now
            return True
        return False
    finally:
        for at in mapped:
            win32.UnmapViewOfFile(at)
