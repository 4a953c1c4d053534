"""Where reports go: a path is checked before the run, an old report is taken away
when the run starts, and a new one is written atomically (to a temporary file in the
same folder, then renamed over the path), so that a reader sees the whole old report,
the whole new one, or none, and never an old one that looks current.

A report is a regular file: a FIFO (which would block the writer), a device (such as
``/dev/full``) or a folder is refused before anything runs. The one exception is
standard output, asked for as ``-`` (``mmapspec run`` hands pytest its saved stdout as
``/dev/fd/N``, so that the run's own output goes to stderr): written as it is.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from pathlib import Path


def _is_stdout(path: str | Path) -> bool:
    return str(path) == "-" or str(path).startswith("/dev/fd/")


def shown(path: str | Path) -> str:
    """How a report's destination is named to the user: standard output as ``-``,
    the way it was asked for, not the descriptor ``mmapspec run`` handed pytest."""
    return "-" if _is_stdout(path) else os.fspath(path)


class ReportWriteError(Exception):
    """A report could not be written: one line, naming the path and the OS's reason."""


def check_writable(path: str | Path) -> str | None:
    """Why a report cannot be written at ``path`` (None when it can), found before
    the run starts: its folder must exist and be writable, and the path must be a
    regular file or nothing (or ``-``, standard output)."""
    if _is_stdout(path):
        return None
    p = Path(path)
    parent = p.parent
    if not parent.is_dir():
        return f"cannot write {str(path)!r}: {str(parent)!r} is not an existing folder"
    try:
        mode = os.stat(p).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        return f"cannot write {str(path)!r}: {exc.strerror or exc}"
    if mode is not None and not stat.S_ISREG(mode):
        return f"cannot write {str(path)!r}: not a regular file (a report is written as a file)"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot write {str(path)!r}: the folder {str(parent)!r} is not writable"
    if mode is not None and not os.access(p, os.W_OK):
        return f"cannot write {str(path)!r}: the file is not writable"
    return None


def retire(path: str | Path) -> None:
    """Take away the report an earlier run left at ``path``, so that a run that ends
    without writing one leaves nothing that looks current."""
    with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
        if stat.S_ISREG(os.lstat(path).st_mode):
            os.unlink(path)


def write(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically; :class:`ReportWriteError` (one line) if
    the folder, the disk or the OS refuses. Nothing is left behind on failure."""
    p = Path(path)
    data = text.encode("utf-8", "replace")  # a lone surrogate left anywhere becomes "?"
    if _is_stdout(path):
        _write_stream(path, data)
        return
    try:
        if p.parent != Path("."):
            p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent or ".")
    except OSError as exc:
        raise ReportWriteError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, p)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ReportWriteError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None


def _write_stream(path: str | Path, data: bytes) -> None:
    """Standard output (``-``) or a descriptor the caller holds (``/dev/fd/N``)."""
    try:
        if str(path) == "-":
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            with open(path, "wb") as out:
                out.write(data)
    except OSError as exc:
        raise ReportWriteError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
