"""Files a test makes (fresh names, known contents), how it hands them over, and
their bytes read back through the OS rather than through the binding."""

from __future__ import annotations

import os
import random
import uuid
from pathlib import Path

from mmapspec.adapters.interface import FileRef


def new_path(directory: Path) -> Path:
    """A fresh, not yet existing file name (unique even across Hypothesis examples)."""
    return directory / f"f-{uuid.uuid4().hex}.bin"


def new_file(directory: Path, content: bytes) -> Path:
    """A real file holding ``content``."""
    path = new_path(directory)
    path.write_bytes(content)
    return path


def new_paged_file(directory: Path, content: bytes, page: int) -> Path:
    """A real file holding ``content``, written one page per ``write`` and then synced:
    its page cache is made of single clean pages, so :func:`dirty_pages` tells each
    page apart (one large write may be cached as one large folio, dirty as a whole)."""
    path = new_path(directory)
    with path.open("wb", buffering=0) as f:
        for at in range(0, len(content), page):
            f.write(content[at : at + page])
        os.fsync(f.fileno())
    return path


def ref(path: Path, kind: str = "name", mode: str = "r+", pending: bytes = b"") -> FileRef:
    return FileRef(str(path), kind=kind, mode=mode, pending=pending)  # type: ignore[arg-type]


def pattern(n: int, seed: int) -> bytes:
    """``n`` bytes that differ from zeros, from their neighbours and from other seeds."""
    return random.Random(seed).randbytes(n)


def pread(path: Path, offset: int, length: int) -> bytes:
    """The file's bytes as ``read`` sees them. A shared map's writes are in the OS's
    cache at once (Linux's page cache, Windows' cache manager), so tests observe them
    here without asking the binding to flush. Opened, sought and read: no ``pread``,
    which Windows lacks."""
    with path.open("rb") as f:
        f.seek(offset)
        return f.read(length)


def pwrite(path: Path, data: bytes, offset: int) -> None:
    """Write ``data`` at ``offset`` of an existing file through the OS, as another
    program would (opened, sought and written: no ``pwrite``, which Windows lacks)."""
    with path.open("r+b") as f:
        f.seek(offset)
        f.write(data)
