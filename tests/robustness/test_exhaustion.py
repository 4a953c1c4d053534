"""Exhaustion: address space, descriptors, disk space and file size.

Each case runs in a child process with the limit lowered, so that the limit (and
a crash, should the reference die) stays there. The child reports what every
call returned; the test then checks it against the doc: large maps fail with
'out_of_mem', descriptor exhaustion gives the OS error (EMFILE), a full
filesystem or the file size limit gives 'disk_full', nothing leaks, nothing is
left behind, and the process keeps working afterwards.
"""

from __future__ import annotations

import errno
import os
import subprocess
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ._children import describe_exit, remove_shm, run_child

PAGE = os.sysconf("SC_PAGESIZE")

# Shared by every child: run one call and describe its outcome as JSON-able data.
PRELUDE = """
import ctypes, hashlib, os, resource, signal, sys
import _resources
from mmapspec import reference as mm
PAGE = mm.pagesize()

def outcome(fn, *args, **kwargs):
    try:
        r = fn(*args, **kwargs)
    except mm.MmapError as e:
        return {"error": "MmapError", "errcode": e.errcode}
    except Exception as e:
        return {"error": type(e).__name__, "message": str(e)}
    if hasattr(r, "free"):
        r.free()
        return {"ok": "object"}
    return {"ok": r}

def digest(path):
    h, n = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            n += len(chunk)
    return [n, h.hexdigest()]

def small_map_works():
    m = mm.map(None, "w", PAGE)
    ctypes.memmove(m.addr, b"still alive", 11)
    ok = ctypes.string_at(m.addr, 11) == b"still alive"
    m.free()
    return ok
"""


def child(tag: str | None, body: str, tmp_path: Path) -> dict:
    """Run ``body`` after PRELUDE in a child; ``tag`` is the tagname it may create,
    removed afterwards whatever happened."""
    try:
        result = run_child(PRELUDE + textwrap.dedent(body), cwd=tmp_path, timeout=120)
    finally:
        if tag is not None:
            remove_shm(tag)
    assert result.returncode == 0 and result.data is not None, (
        f"the child {describe_exit(result.returncode)}:\n{result.stderr[-3000:]}"
    )
    print(result.data)  # the figures for the report (pytest -s shows them)
    return result.data


def test_low_address_space_limit_gives_out_of_mem_and_the_process_goes_on(tmp_path: Path) -> None:
    tag = f"mmapspec-robust-as-{uuid.uuid4().hex}"
    data = child(
        tag,
        f"""
        big = 512 << 20
        sparse = "sparse"
        with open(sparse, "wb") as f:
            f.truncate(big)
        existing = "existing"
        with open(existing, "wb") as f:
            f.write(b"k" * PAGE)
        keep = digest(existing)
        vm = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status")
                  if l.startswith("VmSize"))
        # 128 MiB of address space left: enough to keep working, not for `big`.
        resource.setrlimit(resource.RLIMIT_AS, (vm + (128 << 20), resource.RLIM_INFINITY))
        before = _resources.snapshot()
        got = {{
            "pagefile": outcome(mm.map, None, "w", big),
            "file read-only": outcome(mm.map, sparse, "", big),
            "file copy-on-write": outcome(mm.map, sparse, "c", big),
            "new file, w": outcome(mm.map, "new", "w", big),
            "existing file grown, w": outcome(mm.map, existing, "w", big),
            "tagname, w": outcome(mm.map, None, "w", big, 0, None, {tag!r}),
            "mirror": outcome(mm.mirror, "mirrored", big // 2),
        }}
        report({{
            "got": got,
            "leaks": _resources.leaks(before),
            "new file left": os.path.exists("new"),
            "mirror file left": os.path.exists("mirrored"),
            "existing unchanged": digest(existing) == keep,
            "shm left": os.path.exists("/dev/shm/" + {tag!r}),
            "small map works after": small_map_works(),
        }})
    """,
        tmp_path,
    )
    assert all(v == {"error": "MmapError", "errcode": "out_of_mem"} for v in data["got"].values())
    assert data["leaks"] == []
    assert not data["new file left"] and not data["mirror file left"] and not data["shm left"]
    assert data["existing unchanged"]
    assert data["small map works after"]


def test_low_descriptor_limit_gives_emfile_and_leaks_nothing(tmp_path: Path) -> None:
    tag = f"mmapspec-robust-fd-{uuid.uuid4().hex}"
    data = child(
        tag,
        f"""
        with open("existing", "wb") as f:
            f.write(b"e" * PAGE)
        held = os.open("existing", os.O_RDWR)  # opened before the limit: still usable
        _resources.hold_maps_fd()
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(_resources.open_fds()) + 1, hard))
        fillers = []
        while True:  # take every free slot below the limit
            try:
                fillers.append(os.open(os.devnull, os.O_RDONLY))
            except OSError:
                break
        before = _resources.snapshot()
        got = {{
            "existing by name": outcome(mm.map, "existing", ""),
            "new by name, w": outcome(mm.map, "new", "w", PAGE),
            "tagname, w": outcome(mm.map, None, "w", PAGE, 0, None, {tag!r}),
            "mirror by name": outcome(mm.mirror, "mirrored", PAGE),
            "filesize(name, size)": outcome(mm.filesize, "grown", PAGE),
        }}
        also = {{
            "pagefile": outcome(mm.map, None, "w", PAGE),
            "descriptor opened before": outcome(mm.map, held, "w", PAGE),
            "filesize(name)": outcome(mm.filesize, "existing"),
        }}
        leaks = _resources.leaks(before)
        for fd in fillers:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))  # room again: works again?
        report({{
            "got": got, "also": also, "leaks": leaks,
            "new file left": os.path.exists("new"),
            "shm left": os.path.exists("/dev/shm/" + {tag!r}),
            "by name works after": outcome(mm.map, "existing", ""),
        }})
    """,
        tmp_path,
    )
    emfile = {"error": "MmapError", "errcode": errno.EMFILE}
    assert data["got"] == {k: emfile for k in data["got"]}
    # No descriptor needed: these keep working (or, for filesize by name, fail the same way).
    assert data["also"]["pagefile"] == {"ok": "object"}
    assert data["also"]["descriptor opened before"] == {"ok": "object"}
    assert data["also"]["filesize(name)"] in ({"ok": PAGE}, emfile)
    assert data["leaks"] == []
    assert not data["new file left"] and not data["shm left"]
    assert data["by name works after"] == {"ok": "object"}


@pytest.fixture
def full_fs(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs mounted on a fresh directory (needs root and mount rights)."""
    mnt = tmp_path / "small-tmpfs"
    mnt.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill up (needs root): {proc.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=True)


def test_full_filesystem_gives_disk_full(full_fs: Path, tmp_path: Path) -> None:
    """Method: a 1 MiB tmpfs mounted for this test (tmpfs supports fallocate, so
    reserving blocks fails with ENOSPC up front)."""
    data = child(
        None,
        f"""
        os.chdir({str(full_fs)!r})
        with open("existing", "wb") as f:
            f.write(b"x" * PAGE)
        keep = digest("existing")
        before = _resources.snapshot()
        bigger_than_fs = 2 << 20
        got = {{
            "new file, w": outcome(mm.map, "new", "w", bigger_than_fs),
            "existing file grown, w": outcome(mm.map, "existing", "w", bigger_than_fs),
            "mirror": outcome(mm.mirror, "mirrored", bigger_than_fs),
        }}
        # Now fill the filesystem to the last block, and ask for one more page.
        filler = os.open("filler", os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(filler, b"f" * PAGE)
        except OSError:
            pass
        os.close(filler)
        got["fs already full, one page"] = outcome(mm.map, "new2", "w", PAGE)
        sparse = outcome(mm.filesize, "sized", bigger_than_fs)
        leaks = _resources.leaks(before)
        left = sorted(n for n in os.listdir(".") if n not in ("existing", "filler", "sized"))
        unchanged = digest("existing") == keep
        os.remove("filler")
        report({{"got": got, "filesize": sparse, "leaks": leaks, "left": left,
                 "existing unchanged": unchanged, "works after": small_map_works()
                 and outcome(mm.map, "after", "w", PAGE) == {{"ok": "object"}}}})
    """,
        tmp_path,
    )
    assert data["got"] == {k: {"error": "MmapError", "errcode": "disk_full"} for k in data["got"]}
    # filesize(file, size) only sets the size: on tmpfs that is sparse and may succeed.
    assert data["filesize"] in ({"ok": 2 << 20}, {"error": "MmapError", "errcode": "disk_full"})
    assert data["leaks"] == []
    assert data["left"] == []
    assert data["existing unchanged"]
    assert data["works after"]


def test_file_size_limit_gives_disk_full(tmp_path: Path) -> None:
    """RLIMIT_FSIZE in a child that ignores SIGXFSZ: growing past it is EFBIG."""
    data = child(
        None,
        """
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        with open("existing", "wb") as f:
            f.write(b"y" * PAGE)
        keep = digest("existing")
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, resource.RLIM_INFINITY))
        before = _resources.snapshot()
        over = 2 << 20
        got = {
            "new file, w": outcome(mm.map, "new", "w", over),
            "existing file grown, w": outcome(mm.map, "existing", "w", over),
            "mirror": outcome(mm.mirror, "mirrored", over),
            "filesize(name, size)": outcome(mm.filesize, "existing", over),
        }
        report({"got": got, "leaks": _resources.leaks(before),
                "left": sorted(n for n in os.listdir(".") if n != "existing"),
                "existing unchanged": digest("existing") == keep,
                "works after": outcome(mm.map, "after", "w", PAGE) == {"ok": "object"}})
    """,
        tmp_path,
    )
    assert data["got"] == {k: {"error": "MmapError", "errcode": "disk_full"} for k in data["got"]}
    assert data["leaks"] == []
    assert data["left"] == []  # listed before the "works after" map creates its file
    assert data["existing unchanged"]
    assert data["works after"]
