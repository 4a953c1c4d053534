"""Full disks, real ones: a small tmpfs where this process may mount one, filled up;
else a file-size limit on an isolated implementation process."""

from __future__ import annotations

import contextlib
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from mmapspec.adapters.interface import Adapter
from mmapspec.spec.support.platforms import current
from mmapspec.spec.support.processes import isolated


@contextlib.contextmanager
def small_tmpfs(directory: Path, size: str = "1m") -> Iterator[Path | None]:
    """A really small filesystem mounted at a fresh directory, or None where this
    process may not mount (not root, not Linux). Unmounted afterwards."""
    mountpoint = directory / f"tmpfs-{uuid.uuid4().hex[:8]}"
    mountpoint.mkdir()
    if not current.may_mount_tmpfs():
        yield None
        return
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mountpoint)],
        capture_output=True,
    )
    if done.returncode != 0:
        yield None
        return
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True)


RecordProperty = Callable[[str, object], None]
"""pytest's ``record_property`` fixture."""
DISK_FULL_SIZE = 4 << 20
"""More than the full filesystem (or the file-size limit) lets a file grow to."""


@contextlib.contextmanager
def full_disk(
    adapter: Adapter, tmp_path: Path, record_property: RecordProperty
) -> Iterator[tuple[Adapter, Path]]:
    """An implementation and a directory where no file can grow: a real 1 MiB tmpfs,
    filled up, when this process may mount one; otherwise a file-size limit
    (RLIMIT_FSIZE, 64 KiB) set on an isolated implementation process, whose files then
    cannot grow past it. Which one is recorded as the 'disk_full_method' property."""
    with small_tmpfs(tmp_path, "1m") as mounted:
        if mounted is not None:
            record_property("disk_full_method", "tmpfs size=1m, filled")
            # Files the tests need first; then fill what is left.
            yield adapter, _filled(mounted)
            return
    why = current.file_size_limit_unavailable()
    if why is not None:
        pytest.skip(why)
    record_property("disk_full_method", "RLIMIT_FSIZE=64KiB on an isolated implementation process")
    with isolated(adapter) as other:
        limit = 64 * 1024
        current.limit_file_size(other.pid, limit)
        yield other, tmp_path


def _filled(directory: Path) -> Path:
    """A directory inside ``directory`` for the test's files, after filling the
    filesystem up to a few pages (kept for the files the test makes itself)."""
    work = directory / "work"
    work.mkdir()
    reserve = work / "reserve"
    reserve.write_bytes(b"\1" * (64 * 1024))
    with open(directory / "filler", "wb") as filler, contextlib.suppress(OSError):
        while True:
            filler.write(b"\0" * 65536)
            filler.flush()
    reserve.unlink()
    return work
