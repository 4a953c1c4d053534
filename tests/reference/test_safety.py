"""Full disks, the documented crash, nothing leaked, nothing lost."""

from __future__ import annotations

import hashlib
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
from mmapspec import reference as mm

PS = mm.pagesize()
linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="Linux /proc, /dev/shm"
)


@linux_only
def test_full_shm_filesystem_is_disk_full_and_leaves_nothing(tagname: str) -> None:
    st = os.statvfs("/dev/shm")
    too_big = st.f_blocks * st.f_frsize + PS  # more than the whole filesystem
    with pytest.raises(mm.MmapError) as ei:
        mm.map(tagname=tagname, access="w", size=too_big)
    assert ei.value.errcode == "disk_full"
    assert not os.path.exists(f"/dev/shm/{tagname}")


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE (the resource module) is POSIX")
def test_file_size_limit_is_disk_full_and_restores_the_file(tmp_path: Path, run_child: Any) -> None:
    # RLIMIT_FSIZE makes the kernel refuse growth with EFBIG, a real "cannot extend".
    old = tmp_path / "old"
    old.write_bytes(b"0123456789")
    r = run_child(f"""
        import resource, signal, os
        from mmapspec import reference as mm
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 16, 1 << 16))
        codes = []
        for args in [({str(old)!r}, 'w', 1 << 20), ({str(tmp_path / "new")!r}, 'wx', 1 << 20)]:
            try:
                mm.map(*args).free()
            except mm.MmapError as e:
                codes.append(e.errcode)
        try:
            mm.filesize({str(old)!r}, 1 << 20)
        except mm.MmapError as e:
            codes.append(e.errcode)
        try:
            mm.mirror({str(tmp_path / "ring")!r}, 1 << 20)
        except mm.MmapError as e:
            codes.append(e.errcode)
        print(codes)
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(["disk_full"] * 4)
    assert old.read_bytes() == b"0123456789"  # size and bytes restored
    assert not (tmp_path / "new").exists() and not (tmp_path / "ring").exists()


@pytest.mark.skipif(
    sys.platform == "win32",
    reason="Windows refuses to truncate a mapped file (ERROR_USER_MAPPED_FILE): no SIGBUS",
)
def test_truncated_mapped_file_crashes_with_sigbus_in_a_child(
    tmp_path: Path, run_child: Any
) -> None:
    """The documented limitation: I/O errors from accessing mapped memory crash."""
    p = tmp_path / "f"
    p.write_bytes(b"x" * 2 * PS)
    r = run_child(
        f"""
        import os
        from mmapspec import reference as mm
        m = mm.map({str(p)!r})
        os.truncate({str(p)!r}, 0)
        m[PS + 1]
    """.replace("PS", str(PS))
    )
    assert r.returncode == -signal.SIGBUS, r.stderr


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_nothing_lost(tmp_path: Path) -> None:
    p = tmp_path / "f"
    p.write_bytes(os.urandom(3 * PS + 7))
    before = _digest(p)
    mm.map(p, "w").free()  # no writes: bytes unchanged
    with mm.map(p, "c") as m:
        m[0:PS] = bytes(PS)
        m.flush()
    for failing in [
        lambda: mm.map(p, "", 4 * PS),
        lambda: mm.map(p, "w", None, 4 * PS),
        lambda: mm.map(p, "w", PS, 0, 1),
    ]:
        with pytest.raises((mm.MmapError, ValueError)):
            failing()
    assert _digest(p) == before and p.stat().st_size == 3 * PS + 7


def _counts() -> tuple[int, int]:
    with open("/proc/self/maps") as f:
        maps = sum(1 for _ in f)
    return len(os.listdir("/proc/self/fd")), maps


@linux_only
def test_no_fd_or_mapping_leaks_on_failure_paths(tmp_path: Path, tagname: str) -> None:
    data = tmp_path / "data"
    data.write_bytes(b"0123456789")
    ro = tmp_path / "ro"
    ro.write_bytes(b"x" * PS)
    used = mm.map(size=4 * PS, access="w")
    fd_ro = os.open(ro, os.O_RDONLY)
    st = os.statvfs("/dev/shm")
    full = st.f_blocks * st.f_frsize + PS
    failing = [
        lambda: mm.map(tmp_path / "missing"),  # no_file
        lambda: mm.map(data, "", 100),  # file_too_short
        lambda: mm.map(data, "w", None, PS),  # file_too_short after open rw
        lambda: mm.map(tmp_path / "new", "w"),  # created, too short, removed
        lambda: mm.map(data, "w", 10, 0, used.addr),  # out_of_mem after opening
        lambda: mm.map(tmp_path / "n2", "w", PS, 0, used.addr),  # created+extended, then fails
        lambda: mm.map(size=PS, addr=used.addr),  # pagefile at a used address
        lambda: mm.map(size=2**63, access="w"),  # out_of_mem
        lambda: mm.map(fd_ro, "w", 4),  # EACCES on a read-only fd
        lambda: mm.map(tagname=tagname),  # no_file (shm)
        lambda: mm.map(tagname=tagname, access="w"),  # created empty, removed
        lambda: mm.map(tagname=tagname, access="w", size=full),  # disk_full (shm)
        lambda: mm.mirror(tmp_path / "ring", PS, 2, used.addr),  # reservation refused
        lambda: mm.mirror(tmp_path / "ring", PS, 2**60),  # too large
        lambda: mm.filesize(tmp_path / "missing"),  # not_found
        lambda: mm.map(size=0),  # argument errors
        lambda: mm.map(data, "rw"),
        lambda: mm.map(data, "", 5, 100),
        lambda: mm.map("x", tagname="y"),
    ]
    try:

        def run_all() -> None:
            for call in failing:
                with pytest.raises((mm.MmapError, ValueError, TypeError)):
                    call()

        run_all()  # warm up: imports, interned strings, allocator arenas
        before = _counts()
        for _ in range(50):
            run_all()
        after = _counts()
    finally:
        os.close(fd_ro)
        used.free()
    assert after[0] == before[0], "file descriptors leaked"
    # 50 rounds of 19 calls: a leak of one mapping per call would add hundreds of lines;
    # allow for the interpreter's own allocator mapping an arena or two meanwhile.
    assert after[1] - before[1] <= 2, f"mappings leaked: {before[1]} -> {after[1]}"
    assert not (tmp_path / "new").exists() and not (tmp_path / "n2").exists()
    assert not (tmp_path / "ring").exists()
    assert data.read_bytes() == b"0123456789"


def test_failed_map_after_extending_restores_the_size(tmp_path: Path) -> None:
    p = tmp_path / "f"
    p.write_bytes(b"short")
    with mm.map(size=4 * PS, access="w") as used:
        with pytest.raises(mm.MmapError) as ei:
            mm.map(p, "w", 3 * PS, 0, used.addr)  # extended first, then the address is taken
        assert ei.value.errcode == "out_of_mem"
    assert p.read_bytes() == b"short"


def test_concurrent_frees_unmap_once_and_clobber_nothing(run_child: Any) -> None:
    # Three threads free the same map at once while others map, write and verify
    # their own pattern. Unmapping an address twice would unmap a neighbour's new
    # mapping at that address: its check then crashes the child (SIGSEGV) or sees
    # the wrong bytes. Without the claim-under-lock in free() this fails most runs.
    r = run_child("""
        import threading
        from mmapspec import reference as mm
        stop = threading.Event()
        errors = []
        def worker(k):
            pattern = bytes([k]) * 4096
            while not stop.is_set():
                with mm.map(size=4096, access="w") as m:
                    m[:] = pattern
                    for _ in range(3):
                        if m[:] != pattern:
                            errors.append(k)
        def free_together(m):
            go = threading.Barrier(3)
            def free():
                go.wait()
                m.free()
            ts = [threading.Thread(target=free) for _ in range(3)]
            for t in ts: t.start()
            for t in ts: t.join()
        ws = [threading.Thread(target=worker, args=(k,)) for k in range(1, 4)]
        for t in ws: t.start()
        for _ in range(150):
            free_together(mm.map(size=4096, access="w"))
        stop.set()
        for t in ws: t.join()
        print("clobbered" if errors else "ok")
    """)
    assert r.returncode == 0, f"child died ({r.returncode}): {r.stderr[-500:]}"
    assert r.stdout.strip() == "ok"
