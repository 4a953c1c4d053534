"""Resolving the ``file`` argument: a name, a descriptor, a file object, or (on
Windows) a HANDLE, into an open OS file plus what it takes to clean up after it."""

from __future__ import annotations

import contextlib
import copy
import ctypes
import os
from typing import Any

from ._errors import MmapError, Step, errcode_for, os_failure
from ._platform import OsCallError, OsFile, backend


class Opened:
    """An open file and what it takes to clean up after it."""

    __slots__ = ("f", "owned", "created", "path", "tag", "source", "size")
    f: OsFile
    owned: bool
    """True when we opened it (so we close it); adopted descriptors stay open."""
    created: bool
    """True when this call created the file (a failed map removes it again)."""
    path: str | None
    """The filename, where there is one."""
    tag: str | None
    """The tagname, for shared memory."""
    source: object
    """The ``file`` argument as given (what :attr:`label` names)."""
    size: int | None
    """The size, where checking the kind found it (a regular file), else None."""

    def __init__(
        self,
        f: OsFile,
        owned: bool,
        created: bool,
        path: str | None,
        tag: str | None,
        source: object,
    ) -> None:
        self.f, self.owned, self.created, self.path, self.tag = f, owned, created, path, tag
        self.source = source
        self.size = None

    def _replace(self, **changes: Any) -> Opened:
        """A copy with some fields changed (as a NamedTuple's ``_replace``)."""
        new = copy.copy(self)
        for name, value in changes.items():
            setattr(new, name, value)
        return new

    @property
    def label(self) -> str:
        """How error messages name the file (made only when one is needed)."""
        if self.tag is not None:
            return f"shared memory {self.tag!r}"
        src = self.source
        if type(src) is int:
            return f"fd {src}"
        if isinstance(src, ctypes.c_void_p):
            return f"handle {src.value}"
        if isinstance(src, (str, bytes, os.PathLike)):
            return quoted(str(self.path))
        return f"file object {src!r}"


def quoted(path: str) -> str:
    """A path in quotes as written, for messages: repr() would double Windows's
    backslashes; it is kept for paths with quotes or unprintable characters."""
    return f"'{path}'" if path.isprintable() and "'" not in path else repr(path)


def _path_of(file: object) -> str | None:
    if isinstance(file, str):
        path = file
    elif isinstance(file, bytes):
        path = os.fsdecode(file)
    elif isinstance(file, os.PathLike):
        path = os.fsdecode(os.fspath(file))
    else:
        return None
    if "\0" in path:
        raise ValueError("file must not contain NUL characters")
    return path


def _fd_of(fd: int) -> int:
    if fd < 0:
        raise ValueError(f"file descriptor must be >= 0, got {fd}")
    if fd > 0x7FFFFFFF:
        raise ValueError(f"file descriptor must be < 2**31, got {fd}")
    return fd


def _from_fileobj(file: object) -> OsFile:
    # The doc: "write buffers are flushed before mapping an already-opened file".
    # Only the user-space buffer: an fsync is not needed for the map to see the data.
    flush = getattr(file, "flush", None)
    try:
        if flush is not None:
            flush()
        fd = file.fileno()  # type: ignore[attr-defined]
    except OSError as e:  # includes io.UnsupportedOperation (no descriptor)
        if e.errno is None:
            raise ValueError(f"file object has no usable file descriptor: {e}") from None
        raise MmapError(
            errcode_for(e.errno, "reserve"),
            f"flushing the file object's buffer failed: {e.strerror}",
            e.errno,
            getattr(file, "name", None),
        ) from None
    except ValueError as e:  # closed file
        raise ValueError(f"file object is not usable: {e}") from None
    if type(fd) is not int:
        raise TypeError(f"file.fileno() must return an int, got {type(fd).__name__}")
    return backend.from_fd(_fd_of(fd))


def open_file(file: object, write: bool, step: Step, func: str, execute: bool = False) -> Opened:
    """Open or adopt ``file`` (a filename: str, bytes or os.PathLike, as UTF-8; an int file
    descriptor; a file object, anything with ``fileno()``; or on Windows a HANDLE given
    as ``ctypes.c_void_p``), which must be a regular file or a block device. With
    ``write`` a named file is opened read+write and created if missing. OS failures raise
    :class:`MmapError` with errcodes for ``step``; so does a file of another kind (see
    :func:`_check_kind`)."""
    opened = _open_file(file, write, step, func, execute)
    try:
        _check_kind(opened, func)
    except BaseException:
        release(opened)
        raise
    return opened


def _check_kind(opened: Opened, func: str) -> None:
    """Refuse what has no size and cannot be mapped: a directory, a FIFO, a socket, a
    character device. Such a name is opened without blocking (a FIFO's open would wait
    for a writer), then refused here with the error number of the backend's table."""
    try:
        kind, opened.size = backend.file_kind_size(opened.f)
    except OsCallError as e:
        raise os_failure(e, "open", f"{func}: cannot stat {opened.label}", opened.path) from None
    if kind in ("regular", "block"):
        return
    table = backend.UNSIZED if func == "filesize" else backend.UNMAPPABLE
    err = table[kind]
    what = "has no size" if func == "filesize" else "cannot be mapped"
    raise MmapError(
        err,
        f"{func}: {opened.label} is a {_KIND_NAMES[kind]}, which {what}: only regular "
        f"files and block devices can be {'sized' if func == 'filesize' else 'mapped'} "
        f"[{backend.strerror(err)}]",
        err,
        opened.path,
    )


_KIND_NAMES = {
    "directory": "directory",
    "fifo": "FIFO (named pipe)",
    "socket": "socket",
    "char": "character device",
    "other": "special file",
}


def _open_file(file: object, write: bool, step: Step, func: str, execute: bool) -> Opened:
    if isinstance(file, bool):
        raise TypeError("file must be a filename, a file descriptor or a file object, not bool")
    if type(file) is int:
        return Opened(backend.from_fd(_fd_of(file)), False, False, None, None, file)
    path = _path_of(file)
    if path is not None:
        try:
            f, created = backend.open_path(path, write, execute)
        except OsCallError as e:
            raise os_failure(e, step, f"{func}: cannot open {quoted(path)}", path) from None
        return Opened(f, True, created, path, None, file)
    if isinstance(file, ctypes.c_void_p):
        if backend.name != "windows":
            raise TypeError("file: a HANDLE (c_void_p) is accepted on Windows only")
        return Opened(file.value or 0, False, False, None, None, file)
    if hasattr(file, "fileno"):
        name = getattr(file, "name", None)
        return Opened(
            _from_fileobj(file),
            False,
            False,
            name if isinstance(name, str) else None,
            None,
            file,
        )
    raise TypeError(
        "file must be a filename (str, bytes, os.PathLike), a file descriptor (int) or a "
        f"file object (with fileno()), got {type(file).__name__}"
    )


def open_tag(tagname: str, write: bool, func: str, shared: bool) -> Opened:
    """Open (with ``write``: create) the shared memory file of a tagname.

    Created owner-only, or with ``shared`` open to every user. An existing object is
    adopted only if it is a regular file (anyone can plant a FIFO or a directory in
    /dev/shm) and, unless ``shared``, owned by this user with no permission for
    anyone else: otherwise another user could feed us their data, or read ours."""
    try:
        f, created = backend.open_tag(tagname, write, shared)
    except OsCallError as e:
        raise os_failure(e, "open", f"{func}: cannot open shared memory {tagname!r}") from None
    opened = Opened(f, True, created, None, tagname, tagname)
    try:
        _check_kind(opened, func)
        why = None if created or shared else _owner_problem(opened, func)
    except BaseException:
        release(opened)
        raise
    if why is not None:
        release(opened)
        err = backend.FOREIGN
        raise MmapError(
            err,
            f"{func}: refusing to use the existing {opened.label}: {why}. Only objects of this "
            "user that no other user can open are used, unless shared_with_others=True "
            f"[{backend.strerror(err)}]",
            err,
        )
    return opened


def _owner_problem(opened: Opened, func: str) -> str | None:
    try:
        return backend.not_private(opened.f)
    except OsCallError as e:
        raise os_failure(e, "open", f"{func}: cannot stat {opened.label}") from None


def release(opened: Opened) -> None:
    """Close what we opened; adopted descriptors and file objects stay open: they are the
    caller's (the reading of ``free.keeps-caller-file-open`` in ``spec/catalogue.py``)."""
    if opened.owned:
        backend.close(opened.f)


def discard(opened: Opened) -> None:
    """After a failure: close what we opened and remove what this call created
    (no debris; a file that existed before the call is never removed: the readings of
    ``map.fails.removes-created-file`` and ``map.fails.leaves-files-alone``)."""
    release(opened)
    if opened.created:
        if opened.tag is not None:
            with contextlib.suppress(OsCallError):  # best effort: report the original failure
                backend.unlink_tag(opened.tag)
        elif opened.path is not None:
            backend.remove_path(opened.path)
