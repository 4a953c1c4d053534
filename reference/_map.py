"""``map()``: its arguments checked, then one path per kind of memory: the pagefile
(anonymous memory), a tagname's shared memory, or a file."""

from __future__ import annotations

import ctypes
from typing import Any

from ._align import PAGESIZE, check_addr
from ._args import U64, as_int, check_aligned, check_range, check_tagname
from ._errors import MmapError, at_address, failure, os_failure
from ._files import Opened, discard, open_file, open_tag, release
from ._grow import MAPS_PAST_END, check_growable, grow, put_back, size_of
from ._map_object import READONLY_MODES, LiveMap, Map, new_map
from ._platform import OsCallError, backend

ACCESS_MODES = ("", "w", "c", "x", "wx", "cx")
_WRITE = frozenset({"w", "wx"})
"""Write access: may create and extend files. 'c' never writes the file, so it
neither creates nor extends one (the reading of ``map.errcode.no-file-copy-on-write``)."""
_mmap_anon, _anon_prot, _anon_flags = backend.mmap_anon, backend.anon_prot, backend.anon_flags
_MAP_FAILED = backend.MAP_FAILED


def map(
    file: Any = None,
    access: str | None = "",
    size: int | None = None,
    offset: int | None = 0,
    addr: int | None = None,
    tagname: str | None = None,
    *,
    shared_with_others: bool = False,
) -> Map:
    """Create a memory map (``mmap.map(file, access, size, offset, addr, tagname)``).

    * ``file``: None for the pagefile (anonymous memory), else a filename (str,
      bytes, os.PathLike; UTF-8), an int file descriptor, a file object (its
      write buffer is flushed first), or on Windows a HANDLE (``ctypes.c_void_p``).
    * ``access``: ``''`` read-only (default), ``'w'`` read+write, ``'c'``
      copy-on-write, ``'x'`` executable, ``'wx'``, ``'cx'``.
    * ``size``: > 0; default: the file size minus ``offset`` (with a tagname, the
      size of the existing shared memory object). Required for the pagefile.
    * ``offset``: >= 0, page-aligned; ignored (not even checked) for the pagefile.
    * ``addr``: map exactly there (page-aligned, nonzero) or fail with
      ``'out_of_mem'``: an existing mapping is never replaced.
    * ``tagname``: shared memory name (not with ``file``; no '/', '\\\\', NUL).
      The object is created owner-only (0600). An existing one is used only if it is
      this user's and grants nothing to group or others (0600 or less), else fails
      with ``EACCES``: otherwise another user could plant an object under the name
      and read what we write, or feed us data. A FIFO, directory or device under
      the name fails too, at once.
    * ``shared_with_others`` (keyword, tagname only): share the memory with other
      users: create the object readable and writable by every user (0666, whatever
      the umask), and accept an existing object whoever owns it. Linux and macOS
      (where the umask still applies); on Windows sections are per session and this
      has no effect.

    A missing file is created with write access (``'w'``, ``'wx'``), else fails
    with ``'no_file'``; a file shorter than ``offset + size`` is extended (blocks
    reserved) with write access, else fails with ``'file_too_short'``. A failing
    map leaves an existing file as it was and removes a file it created. Only
    regular files and block devices are mapped: a directory fails with ``EISDIR``,
    a FIFO, socket or character device with ``ENODEV`` (never waiting on a FIFO).
    Errors: :class:`MmapError` (documented failures), ValueError/TypeError (bad
    arguments). ``None`` for any argument means "not given".
    """
    access, size, addr = _checked(file, access, size, addr, tagname, shared_with_others)
    if tagname is not None:
        return _map_tagname(tagname, access, size, offset, addr, shared_with_others)
    if file is None:  # _checked refused the pagefile without a size: size is an int
        return _map_pagefile(access, size, addr)  # type: ignore[arg-type]
    return _map_file(file, access, size, offset, addr)


def _checked(
    file: object,
    access: str | None,
    size: int | None,
    addr: int | None,
    tagname: str | None,
    shared_with_others: bool,
) -> tuple[str, int | None, int | None]:
    """Every argument check of :func:`map` but the offset's (which the pagefile ignores),
    in the order that decides which error a call with several wrong arguments gets.
    Returns ``access``, ``size`` and ``addr`` as ints and str."""
    if access is None:
        access = ""
    elif type(access) is not str:
        raise TypeError(f"access must be a str, got {type(access).__name__}")
    if access not in ACCESS_MODES:
        raise ValueError(f"access must be one of '', 'w', 'c', 'x', 'wx', 'cx', got {access!r}")
    if size is not None:
        if type(size) is not int:
            size = as_int("size", size)
        if size <= 0 or size >= U64:
            check_range("size", size, 1, "> 0")
    if addr is not None:
        addr = check_addr(addr)
    if type(shared_with_others) is not bool:
        raise TypeError(
            f"shared_with_others must be a bool, got {type(shared_with_others).__name__}"
        )
    if shared_with_others and tagname is None:
        raise ValueError("shared_with_others applies to a tagname's shared memory only")
    if tagname is not None:
        if file is not None:
            raise ValueError("file and tagname cannot be used together")
        check_tagname(tagname)
    elif file is None and size is None:
        raise ValueError("size expected when mapping the pagefile")
    return access, size, addr


def _checked_offset(offset: int | None) -> int:
    if offset is None:
        return 0
    offset = check_range("offset", as_int("offset", offset), 0, ">= 0")
    return check_aligned("offset", offset, PAGESIZE)


def _map_pagefile(access: str, size: int, addr: int | None) -> Map:
    """Anonymous memory. The offset is ignored, as documented, and so not validated either
    (the reading of ``map.offset.pagefile-not-validated``)."""
    if _mmap_anon is not None and addr is None:
        got = _mmap_anon(None, size, _anon_prot[access], _anon_flags, -1, 0)
        if got != _MAP_FAILED:  # new_map(got, size, access, None, None), inline: a hot path
            m: Map = LiveMap()  # no __init__: cheaper than LiveMap.__new__(LiveMap)
            m._addr = got
            m._span = m._size = size
            m._readonly = access in READONLY_MODES
            m._views = m._tagname = m._file = m._mirror = None
            m._access = access
            m._owns_file = False
            return m
        e = OsCallError(ctypes.get_errno(), "mmap")
    else:
        try:
            return new_map(backend.map(None, size, 0, access, addr, None), size, access, None, None)
        except OsCallError as err:
            e = err
    raise os_failure(
        e, "map", f"map: cannot map {size} bytes of the pagefile{at_address(addr)}"
    ) from None


def _map_tagname(
    tagname: str, access: str, size: int | None, offset: int | None, addr: int | None, shared: bool
) -> Map:
    """The shared memory of a tagname: a file in /dev/shm (POSIX), or a named section."""
    offset = _checked_offset(offset)
    if not backend.SHM_FILES:
        return _map_named(access, size, offset, addr, tagname)
    write = access in _WRITE
    opened = open_tag(tagname, write, "map", shared)
    return _map_and_keep(opened, write, access, size, offset, addr)


def _map_file(
    file: object, access: str, size: int | None, offset: int | None, addr: int | None
) -> Map:
    """A file given by name, descriptor, file object or HANDLE."""
    offset = _checked_offset(offset)
    write = access in _WRITE
    opened = open_file(file, write, "open", "map", "x" in access)
    return _map_and_keep(opened, write, access, size, offset, addr)


def _map_and_keep(
    opened: Opened, write: bool, access: str, size: int | None, offset: int, addr: int | None
) -> Map:
    """Map an opened file (closing it and removing what this call created on failure);
    the map keeps the file where the backend needs it, else it is closed now."""
    try:
        at, size = _map_opened(opened, write, access, size, offset, addr)
    except BaseException:
        discard(opened)
        raise
    if backend.KEEPS_FILE:  # free() closes it only if map() opened it: free.keeps-caller-file-open
        return new_map(at, size, access, opened.tag, opened.f, opened.owned)
    release(opened)  # POSIX mappings outlive the descriptor: no fd held while mapped
    return new_map(at, size, access, opened.tag, None)


def _map_opened(
    opened: Opened, write: bool, access: str, size: int | None, offset: int, addr: int | None
) -> tuple[int, int]:
    """Size, map and extend an open file. Whatever can fail is checked before the file
    grows (see :mod:`._grow`): a failing map leaves it as it was. Returns (addr, size)."""
    fsize = size_of(opened, "map")
    if size is None:
        size = fsize - offset
        if size <= 0:
            what = "is empty" if fsize == 0 else f"has {fsize} bytes, not more than offset {offset}"
            raise failure("file_too_short", f"map: {opened.label} {what}", opened.path)
    end = offset + size
    if fsize >= end:
        return _mapped(opened, access, size, offset, addr), size
    if not write:
        raise failure(
            "file_too_short",
            f"map: {opened.label} has {fsize} bytes, {end} needed (offset {offset} + size {size})",
            opened.path,
        )
    check_growable(opened, end, "map")
    if not MAPS_PAST_END:  # the OS grows the file as it maps it: grow first, put back
        if addr is not None:
            _check_unused(opened, size, offset, addr)
        grow(opened, fsize, offset, end, "map")
        try:
            return _mapped(opened, access, size, offset, addr), size
        except BaseException:
            put_back(opened.f, fsize, end)
            raise
    at = _mapped(opened, access, size, offset, addr)  # the address is ours: now grow
    try:
        grow(opened, fsize, offset, end, "map")
    except BaseException:
        backend.unmap(at, size)
        raise
    return at, size


def _check_unused(opened: Opened, size: int, offset: int, addr: int) -> None:
    """Fail as the map would, before the file grows, where ``addr`` is taken."""
    try:
        backend.check_unused(addr, size)
    except OsCallError as e:
        raise _map_failure(e, opened, size, offset, addr) from None


def _mapped(opened: Opened, access: str, size: int, offset: int, addr: int | None) -> int:
    try:
        return backend.map(opened.f, size, offset, access, addr, None)
    except OsCallError as e:
        raise _map_failure(e, opened, size, offset, addr) from None


def _map_failure(
    e: OsCallError, opened: Opened, size: int, offset: int, addr: int | None
) -> MmapError:
    where = f"map: cannot map {size} bytes of {opened.label} at offset {offset}"
    return os_failure(e, "map", where + at_address(addr), opened.path)


def _map_named(access: str, size: int | None, offset: int, addr: int | None, tagname: str) -> Map:
    """Backends where a tagname names a mapping object rather than a file (Windows).
    Such memory cannot be resized, so a short one fails with 'file_too_short'."""
    label = f"map: shared memory {tagname!r}"
    try:
        existing: int | None = backend.tag_size(tagname)
    except OsCallError as e:
        if e.err not in backend.NOT_FOUND:
            raise os_failure(e, "open", label) from None
        if access not in _WRITE:
            raise os_failure(e, "open", label) from None  # 'no_file'
        existing = None
    if size is None:
        size = (existing or 0) - offset
        if size <= 0:
            raise failure("file_too_short", f"{label} is empty or missing")
    if existing is not None and offset + size > existing:
        raise failure("file_too_short", f"{label} has {existing} bytes, {offset + size} needed")
    try:
        at = backend.map(None, size, offset, access, addr, tagname)
    except OsCallError as e:
        raise os_failure(e, "map", f"{label}: cannot map {size} bytes") from None
    return new_map(at, size, access, tagname, None)


__all__ = ["ACCESS_MODES", "Map", "map"]
