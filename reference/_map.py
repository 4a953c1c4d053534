"""``map()`` and the ``Map`` object."""

from __future__ import annotations

import ctypes
from typing import Any

from ._align import PAGESIZE
from ._args import OFF_MAX, U64, as_int, check_aligned, check_range, check_tagname
from ._buffer import Exporter, exports
from ._errors import MmapError, failure, os_failure
from ._files import Opened, discard, open_file, open_tag, release
from ._platform import OsCallError, OsFile, backend
from ._region import FREED, Region, finalize

ACCESS_MODES = ("", "w", "c", "x", "wx", "cx")
_WRITE = frozenset({"w", "wx"})
"""Write access: may create and extend files. 'c' never writes the file (COORD reading 5)."""
_READONLY = frozenset({"", "x"})
_mmap_anon, _anon_prot, _anon_flags = backend.mmap_anon, backend.anon_prot, backend.anon_flags
_MAP_FAILED, _munmap = backend.MAP_FAILED, backend.munmap
_msync, _ms_flags = backend.msync, backend.ms_flags


def _flush_args(
    args: tuple[Any, ...], async_: bool | None, addr: int | None, size: int | None
) -> tuple[Any, Any, Any]:
    """``flush([async, ][addr, size])``'s positional arguments merged with its keywords."""
    n = len(args)
    if n > 3:
        raise TypeError(f"flush() takes at most 3 positional arguments, got {n}")
    names = ("addr", "size") if n == 2 else ("async_", "addr", "size")[:n]
    pos = dict(zip(names, args, strict=True))
    given = {"async_": async_, "addr": addr, "size": size}
    for k in pos:
        if given[k] is not None:
            raise TypeError(f"flush() got multiple values for {k}")
    return pos.get("async_", async_), pos.get("addr", addr), pos.get("size", size)


class Map(Region):
    """A memory mapping made by :func:`map`.

    ``addr`` (int) and ``size`` (the requested or resolved size in bytes, not
    rounded up to pages) are the documented fields. Use it as a context manager,
    index and slice it like ``bytearray``, or take ``memoryview(m)``.

    After :meth:`free` every use raises ``ValueError("map is freed")`` (except
    ``memoryview(m)``, which raises TypeError: see ``_buffer``).

    The documented limitation: I/O errors from accessing mapped memory crash the
    process. Reading a page of a file that was truncated after mapping raises
    SIGBUS, and so does writing when the disk fills up under a sparse file. Do
    not truncate files while mapped (set the size, then map); :func:`map` with
    write access reserves the blocks it adds, so a full disk fails the map with
    ``'disk_full'`` instead of killing the process later.
    """

    __slots__ = ("_size", "_access", "_tagname", "_file", "_owns_file", "_mirror")
    _size: int
    _access: str
    _tagname: str | None
    _file: OsFile | None
    """The open file where the backend keeps one (Windows, to flush it); None on POSIX."""
    _owns_file: bool
    """True when map() opened ``_file`` by name, so free() closes it."""
    _mirror: Region | None

    @property
    def size(self) -> int:
        """The byte size of the mapped memory (as requested; not rounded to pages)."""
        self._check()
        return self._size

    @property
    def access(self) -> str:
        """The access mode the map was made with."""
        self._check()
        return self._access

    @property
    def tagname(self) -> str | None:
        """The tagname of a shared memory map, else None."""
        self._check()
        return self._tagname

    def flush(
        self,
        *args: Any,
        async_: bool | None = None,
        addr: int | None = None,
        size: int | None = None,
    ) -> bool:
        """Flush (part of) the memory to disk; returns True.

        The documented forms ``flush([async, ][addr, size])`` in Python::

            m.flush()                     # the whole map, synchronously
            m.flush(True)                 # asynchronously: schedule and return
            m.flush(addr, size)           # the bytes [addr, addr+size)
            m.flush(True, addr, size)
            m.flush(async_=True, addr=a, size=n)

        ``addr`` is an absolute address inside the map. An unaligned ``addr`` is
        aligned left and the length grows to match, so the whole requested range
        is flushed. The range must lie within ``[m.addr, m.addr + m.size]``.
        """
        lo = self._addr
        if not lo:
            raise ValueError(FREED)
        if args:
            if len(args) == 1 and async_ is None:  # flush(True): the common positional form
                async_ = args[0]
            else:
                async_, addr, size = _flush_args(args, async_, addr, size)
        if async_ is None:
            async_ = False
        elif async_ is not True and async_ is not False:
            raise TypeError(f"async_ must be a bool, got {type(async_).__name__}")
        if addr is None and size is None:
            start, length = lo, self._size
        else:
            start, length = self._flush_range(lo, addr, size)
        if _msync is not None:
            if _msync(start, length, _ms_flags[async_]) == 0:
                return True
            e = OsCallError(ctypes.get_errno(), "msync")
        else:
            try:
                backend.flush(start, length, async_, self._file)
                return True
            except OsCallError as err:
                e = err
        raise os_failure(e, "map", f"flush of {length} bytes at {start:#x} failed") from None

    def _flush_range(self, lo: int, addr: int | None, size: int | None) -> tuple[int, int]:
        """The page-aligned start and the length of a flush of ``[addr, addr+size)``."""
        if addr is None or size is None:
            raise TypeError("flush(): addr and size must be given together")
        hi = lo + self._size
        a = check_range("addr", as_int("addr", addr), 0, ">= 0")
        s = check_range("size", as_int("size", size), 0, ">= 0")
        if not lo <= a <= hi:
            raise ValueError(f"addr must be within the map [{lo:#x}, {hi:#x}], got {a:#x}")
        if a + s > hi:
            raise ValueError(
                f"addr + size must not pass the end of the map ({hi:#x}), got {a:#x} + {s}"
            )
        start = a - a % PAGESIZE
        return start, a + s - start

    def unlink(self) -> None:
        """Remove the shared memory object of this map's tagname (see :func:`unlink`)."""
        self._check()
        if self._tagname is None:
            raise ValueError("map has no tagname: unlink() concerns shared memory only")
        unlink(self._tagname)

    def _check_exports(self) -> None:
        if self._views:
            super()._check_exports()
        if self._mirror is not None and exports(self._mirror):
            raise BufferError("cannot free a copy of a mirror while buffers of the mirror exist")

    def _release(self, addr: int) -> None:
        if _munmap is None:
            backend.unmap(addr, self._size)
        elif _munmap(addr, self._size) != 0:
            raise OsCallError(ctypes.get_errno(), "munmap")
        if self._file is not None:  # (POSIX maps keep none)
            if self._owns_file:
                backend.close(self._file)
            self._file = None

    def __repr__(self) -> str:
        if self._addr == 0:
            return "<mmapspec.reference.Map freed>"
        tag = f" tagname={self._tagname!r}" if self._tagname else ""
        return (
            f"<mmapspec.reference.Map addr={self._addr:#x} size={self._size} "
            f"access={self._access!r}{tag}>"
        )


class _LiveMap(Map, Exporter):  # type: ignore[misc]
    """A map that is not freed: exports its memory as a buffer (see ``_buffer``)."""

    __slots__ = ()
    __del__ = finalize


Map._freed_class = Map


def _new(
    addr: int,
    size: int,
    access: str,
    tagname: str | None,
    file: OsFile | None,
    owns_file: bool = False,
    mirror: Region | None = None,
) -> Map:
    m: Map = _LiveMap.__new__(_LiveMap)
    m._addr = addr
    m._span = m._size = size
    m._readonly = access in _READONLY
    m._views = None
    m._access = access
    m._tagname = tagname
    m._file = file
    m._owns_file = owns_file
    m._mirror = mirror
    return m


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
        addr = _check_addr(addr)
    if type(shared_with_others) is not bool:
        raise TypeError(
            f"shared_with_others must be a bool, got {type(shared_with_others).__name__}"
        )
    if shared_with_others and tagname is None:
        raise ValueError("shared_with_others applies to a tagname's shared memory only")
    if tagname is not None:
        if file is not None:
            raise ValueError("file and tagname cannot be used together")
        tagname = check_tagname(tagname)
    elif file is None:  # the pagefile; offset is ignored, as documented (COORD reading 6)
        if size is None:
            raise ValueError("size expected when mapping the pagefile")
        if _mmap_anon is not None and addr is None:
            got = _mmap_anon(None, size, _anon_prot[access], _anon_flags, -1, 0)
            if got != _MAP_FAILED:  # _new(got, size, access, None, None), inline: a hot path
                m: Map = _LiveMap()  # no __init__: cheaper than _LiveMap.__new__(_LiveMap)
                m._addr = got
                m._span = m._size = size
                m._readonly = access in _READONLY
                m._views = m._tagname = m._file = m._mirror = None
                m._access = access
                m._owns_file = False
                return m
            e = OsCallError(ctypes.get_errno(), "mmap")
        else:
            try:
                return _new(
                    backend.map(None, size, 0, access, addr, None), size, access, None, None
                )
            except OsCallError as err:
                e = err
        raise os_failure(
            e, "map", f"map: cannot map {size} bytes of the pagefile{_at(addr)}"
        ) from None
    if offset is None:
        offset = 0
    else:
        offset = check_aligned(
            "offset", check_range("offset", as_int("offset", offset), 0, ">= 0"), PAGESIZE
        )
    write = access in _WRITE
    if tagname is not None and not backend.SHM_FILES:
        return _map_named(access, size, offset, addr, tagname)
    opened = (
        open_tag(tagname, write, "map", shared_with_others)
        if tagname is not None
        else open_file(file, write, "open", "map", "x" in access)
    )
    try:
        at, size = _map_opened(opened, write, access, size, offset, addr)
    except BaseException:
        discard(opened)
        raise
    if backend.KEEPS_FILE:  # free() closes it if map() opened it (COORD reading 8)
        return _new(at, size, access, tagname, opened.f, opened.owned)
    release(opened)  # POSIX mappings outlive the descriptor: no fd held while mapped
    return _new(at, size, access, tagname, None)


def _at(addr: int | None) -> str:
    """The requested address for error messages ("in use" is the usual cause)."""
    return "" if addr is None else f" at address {addr:#x} (the whole range must be free)"


def _check_addr(addr: object) -> int:
    a = as_int("addr", addr)
    if a == 0:
        raise ValueError("addr must not be zero")
    check_range("addr", a, 1, "> 0")
    return check_aligned("addr", a, PAGESIZE)


def _map_opened(
    opened: Opened, write: bool, access: str, size: int | None, offset: int, addr: int | None
) -> tuple[int, int]:
    """Size, extend and map an open file; on failure restore its size. Returns (addr, size)."""
    f = opened.f
    fsize = opened.size
    if fsize is None:
        try:
            fsize = backend.file_size(f)
        except OsCallError as e:
            raise os_failure(e, "open", f"map: cannot get the size of {opened.label}") from None
    if size is None:
        size = fsize - offset
        if size <= 0:
            what = "is empty" if fsize == 0 else f"has {fsize} bytes, not more than offset {offset}"
            raise failure("file_too_short", f"map: {opened.label} {what}", opened.path)
    end = offset + size
    extended = False
    if fsize < end:
        if not write:
            raise failure(
                "file_too_short",
                f"map: {opened.label} has {fsize} bytes, {end} needed "
                f"(offset {offset} + size {size})",
                opened.path,
            )
        if end > OFF_MAX:
            raise failure(
                "disk_full",
                f"map: {opened.label} cannot be extended to {end} bytes "
                "(larger than the largest file size)",
                opened.path,
            )
        try:
            backend.reserve(f, max(offset, fsize), end)
            extended = True
        except OsCallError as e:
            _restore(f, fsize)
            raise os_failure(
                e, "reserve", f"map: cannot extend {opened.label} to {end} bytes", opened.path
            ) from None
    try:
        return backend.map(f, size, offset, access, addr, None), size
    except OsCallError as e:
        if extended:
            _restore(f, fsize)
        raise os_failure(
            e,
            "map",
            f"map: cannot map {size} bytes of {opened.label} at offset {offset}{_at(addr)}",
            opened.path,
        ) from None


def _restore(f: OsFile, size: int) -> None:
    """Put a file back to its original size after a failed extension (best effort)."""
    try:
        if backend.file_size(f) != size:
            backend.truncate(f, size)
    except OsCallError:
        pass  # the original failure is the one to report


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
    return _new(at, size, access, tagname, None)


def unlink(tagname: str) -> None:
    """Remove the shared memory object of ``tagname`` (Linux, macOS; nothing to do on
    Windows). Existing maps are unaffected. Removing a missing object is not an error:
    afterwards it does not exist either way."""
    tagname = check_tagname(tagname)
    if not backend.SHM_FILES:
        return
    try:
        backend.unlink_tag(tagname)
    except OsCallError as e:
        raise os_failure(e, "open", f"unlink: cannot remove shared memory {tagname!r}") from None


__all__ = ["ACCESS_MODES", "Map", "MmapError", "map", "unlink"]
