"""Safety: what every user of a memory-mapping library expects, though the document does
not say it. Shared memory is the owner's alone; descriptors and mappings do not leak,
whether a map is freed or fails; a map never shrinks what another map still uses; a
mirror never maps over memory it does not own.

These clauses (``basis="safety"``) are judged like any other, from what the OS says
about the implementation's process: /proc/PID/fd, /proc/PID/maps, /proc/PID/mem, the
shared-memory object's mode, and the mmap/munmap calls strace sees. Where the OS or
the machine cannot say (no /proc, no strace), a test is skipped and says why.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mmapspec.adapters.interface import (
    Adapter,
    AdapterError,
    HarnessFailure,
    ImplementationCrashed,
    MapInfo,
    MirrorInfo,
)
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import (
    Maps,
    Outcome,
    Region,
    isolated,
    new_file,
    new_path,
    os_page,
    pattern,
    ref,
    regions,
    require,
    require_proc,
    same,
)

# ----------------------------------------------------------------------------- the OS's view


def _shm_path(tagname: str) -> str:
    """Where Linux shows the shared memory of a tagname (the doc's "shared memory file")."""
    return f"/dev/shm/{tagname}"


def _shm_mode(tagname: str) -> int:
    """The permission bits of a tagname's shared-memory object, or a skip where this
    OS gives no way to read them."""
    if sys.platform.startswith("linux"):
        return os.stat(_shm_path(tagname)).st_mode & 0o777
    if sys.platform == "darwin":
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.shm_open.argtypes = [ctypes.c_char_p, ctypes.c_int]
        libc.shm_open.restype = ctypes.c_int
        fd = libc.shm_open(f"/{tagname}".encode(), os.O_RDONLY)
        if fd < 0:
            err = ctypes.get_errno()
            raise AssertionError(f"shm_open of {tagname!r} failed: {os.strerror(err)}")
        try:
            return os.fstat(fd).st_mode & 0o777
        finally:
            os.close(fd)
    pytest.skip(
        f"the mode of shared memory is checked on Linux and macOS only; {sys.platform} "
        "has no POSIX shared-memory objects to stat"
    )


def _require_fds(pid: int) -> None:
    if not Path(f"/proc/{pid}/fd").is_dir():
        pytest.skip(f"no /proc/{pid}/fd: the descriptors of a process are checked on Linux only")


def _fds(pid: int) -> set[tuple[int, str]]:
    """The process's open descriptors, each with what it refers to."""
    found = set()
    for entry in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):  # closed while we looked
            found.add((int(entry.name), os.readlink(entry)))
    return found


def _assert_no_new_fds(
    before: set[tuple[int, str]], after: set[tuple[int, str]], what: str
) -> None:
    new = sorted(after - before)
    assert not new, f"{what} left {len(new)} descriptor(s) open: " + ", ".join(
        f"{fd} -> {target}" for fd, target in new
    )


def _backing(region: Region) -> str:
    """The file behind a region, as the test named it (the kernel appends " (deleted)"
    to files removed while mapped)."""
    return region.path.removesuffix(" (deleted)")


def _anonymous(region: Region) -> bool:
    """Memory of no file: private anonymous memory has no path; shared anonymous memory
    shows as "/dev/zero (deleted)"; named anonymous memory as "[anon:NAME]"."""
    return region.path in ("", "/dev/zero (deleted)") or region.path.startswith(
        ("[anon:", "[anon_shmem:")
    )


def _overlaps(r: Region, lo: int, hi: int) -> bool:
    return r.start < hi and lo < r.end


def _read_mem(pid: int, addr: int, length: int) -> bytes | None:
    """Bytes of another (or this) process's memory, or None where they cannot be read."""
    try:
        with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
            mem.seek(addr)
            return mem.read(length)
    except OSError:
        return None


@dataclasses.dataclass
class Made:
    """One map or mirror a test made: what to look for in /proc once it is freed."""

    info: MapInfo | MirrorInfo
    span: int
    """Bytes from ``addr`` the map or mirror covers (all copies of a mirror)."""
    backing: frozenset[str]
    """The files and shared-memory objects it maps."""
    marker: bytes | None = None
    """Bytes written at ``addr`` of anonymous memory, which only a leaked map still holds."""


def _leftovers(pid: int, made: Made) -> list[str]:
    """What of a freed map or mirror the process still maps."""
    left = []
    addr = made.info.addr
    for r in regions(pid):
        if _backing(r) in made.backing:
            left.append(f"{r.start:#x}-{r.end:#x} {r.perms} {r.path}")
            continue
        if addr is None or not _overlaps(r, addr, addr + made.span) or not _anonymous(r):
            continue
        if r.perms.startswith("---"):
            left.append(f"{r.start:#x}-{r.end:#x} {r.perms}: a reservation at the map's address")
        elif made.marker is not None and r.perms.startswith("r"):
            held = _read_mem(pid, addr, len(made.marker))
            if held is None:
                pytest.skip(
                    f"/proc/{pid}/mem cannot be read: anonymous memory found at the "
                    "map's address cannot be told from the runtime's own"
                )
            if held == made.marker:
                left.append(f"{r.start:#x}-{r.end:#x} {r.perms}: still holds what the test wrote")
    return left


# ----------------------------------------------------------------------------- tagnames


@pytest.mark.clause("safety.tagname.owner-only")
def test_tagname_object_is_owner_only(adapter: Adapter, maps: Maps) -> None:
    name = maps.tagname()
    maps.map(None, "w", os_page(), tagname=name)
    mode = _shm_mode(name)
    assert mode & 0o077 == 0, (
        f"the shared memory of tagname {name!r} was created with mode {mode:04o}: "
        f"{'readable' if mode & 0o044 else 'usable'} by other users (owner-only is 0600)"
    )


# ----------------------------------------------------------------------------- map + free

KINDS = (
    pytest.param("name", "", id="name-r", marks=pytest.mark.needs("file:name")),
    pytest.param("name", "w", id="name-w", marks=pytest.mark.needs("file:name", "access:w")),
    pytest.param("fd", "w", id="fd", marks=pytest.mark.needs("file:fd", "access:w")),
    pytest.param("fileobj", "w", id="fileobj", marks=pytest.mark.needs("file:fileobj", "access:w")),
    pytest.param("tagname", "w", id="tagname", marks=pytest.mark.needs("tagname", "access:w")),
    pytest.param("pagefile", "w", id="pagefile", marks=pytest.mark.needs("anonymous", "access:w")),
    pytest.param("mirror", "w", id="mirror", marks=pytest.mark.needs("mirror", "file:name")),
)


def _closing_promised(params: tuple[Any, ...]) -> tuple[Any, ...]:
    """``KINDS`` where a file map opened by name declares the document's own promise
    to close it (``free.closes-file-opened-by-map``) a prerequisite: a binding that
    breaks it fails that clause, and this one is blocked rather than failed twice."""
    closing = pytest.mark.prerequisites("free.closes-file-opened-by-map")
    return tuple(
        pytest.param(
            *p.values, id=p.id, marks=[*p.marks, closing] if p.values[0] == "name" else p.marks
        )
        for p in params
    )


PROMISED_BY = {
    "name": "map.file.name",
    "fd": "map.file.fd",
    "fileobj": "map.file.fileobj",
    "tagname": "map.tagname.same-process",
    "pagefile": "map.file.omitted-maps-pagefile",
    "mirror": "mirror.form.table",
}
"""The clause that promises a map (or mirror) of each kind can be made."""


def _make(adapter: Adapter, maps: Maps, tmp_path: Path, kind: str, access: str) -> Made:
    """Map (or mirror) something of ``kind``, touch its memory, and say what it maps."""
    with prerequisite(PROMISED_BY[kind], f"making a map of kind {kind!r} and touching it"):
        return _made(adapter, maps, tmp_path, kind, access)


def _made(adapter: Adapter, maps: Maps, tmp_path: Path, kind: str, access: str) -> Made:
    p = os_page()
    if kind == "pagefile":
        m = maps.map(None, access, 3 * p)
        marker = pattern(64, seed=900)
        adapter.write(m.handle, 0, marker)
        return Made(m, 3 * p, frozenset(), marker)
    if kind == "tagname":
        name = maps.tagname()
        m = maps.map(None, access, 3 * p, tagname=name)
        adapter.write(m.handle, 0, pattern(64, seed=901))
        return Made(m, 3 * p, frozenset({_shm_path(name)}))
    path = new_file(tmp_path, pattern(3 * p, seed=902))
    backing = frozenset({str(path.resolve())})
    if kind == "mirror":
        mi = maps.mirror(ref(path), 2 * p, 2)  # two copies, whatever the default
        adapter.write(mi.handle, 2 * p - 8, pattern(16, seed=903))
        return Made(mi, 4 * p, backing)
    m = maps.map(ref(path, kind, "r+" if access else "r"), access)
    adapter.read(m.handle, 0, 64)
    return Made(m, 3 * p, backing)


@pytest.mark.clause("safety.descriptors.no-leak-after-free")
@pytest.mark.parametrize(("kind", "access"), _closing_promised(KINDS))
def test_free_leaves_no_descriptor(
    adapter: Adapter, maps: Maps, tmp_path: Path, kind: str, access: str
) -> None:
    pid = adapter.pid
    _require_fds(pid)
    maps.free(_make(adapter, maps, tmp_path, kind, access).info)  # one-time setup goes here
    before = _fds(pid)
    made = _make(adapter, maps, tmp_path, kind, access)
    maps.free(made.info)
    _assert_no_new_fds(before, _fds(pid), f"map ({kind}, {access!r}) + free")


@pytest.mark.clause("safety.mappings.no-leak-after-free")
@pytest.mark.parametrize(("kind", "access"), KINDS)
def test_free_leaves_nothing_mapped(
    adapter: Adapter, maps: Maps, tmp_path: Path, kind: str, access: str
) -> None:
    pid = adapter.pid
    require_proc(pid)
    made = _make(adapter, maps, tmp_path, kind, access)
    assert (
        made.info.addr is None
        or not made.backing
        or any(_backing(r) in made.backing for r in regions(pid))
    ), f"the live map ({kind}) is not in /proc/{pid}/maps under {sorted(made.backing)}"
    maps.free(made.info)
    left = _leftovers(pid, made)
    assert not left, f"after map ({kind}, {access!r}) + free, still mapped: " + "; ".join(left)


# ----------------------------------------------------------------------------- failures


@dataclasses.dataclass(frozen=True)
class Scene:
    """What a failing call is made against, set up once before anything is counted."""

    way: MapInfo | None = None
    """A live map whose address the call asks for."""
    tagname: str | None = None
    """The tagname of an existing one-page shared memory object."""


Provoke = Callable[[Adapter, Maps, Path, set[str], Scene], Outcome]


@dataclasses.dataclass(frozen=True)
class Failing:
    """A documented failure, provoked: ``provoke`` makes the call that must fail and
    returns its outcome; ``promised_by`` is the clause that says it fails."""

    promised_by: str
    provoke: Provoke
    """(adapter, maps, tmp_path, backing, scene): adds the files it uses to ``backing``."""
    scene: tuple[str, ...] = ()
    """What of :class:`Scene` the call needs: ``way``, ``tagname``."""


def _file(tmp_path: Path, backing: set[str], content: bytes) -> Path:
    path = new_file(tmp_path, content)
    backing.add(str(path.resolve()))
    return path


def _no_file(a: Adapter, maps: Maps, tmp: Path, backing: set[str], scene: Scene) -> Outcome:
    path = new_path(tmp)
    backing.add(str(path.resolve()))
    return maps.try_map(ref(path), "")


def _empty(access: str) -> Provoke:
    def provoke(a: Adapter, maps: Maps, tmp: Path, backing: set[str], scene: Scene) -> Outcome:
        return maps.try_map(ref(_file(tmp, backing, b"")), access)

    return provoke


def _short(kind: str) -> Provoke:
    def provoke(a: Adapter, maps: Maps, tmp: Path, backing: set[str], scene: Scene) -> Outcome:
        path = _file(tmp, backing, pattern(os_page(), seed=910))
        return maps.try_map(ref(path, kind, "r"), "", 3 * os_page())

    return provoke


def _short_tagname(a: Adapter, maps: Maps, tmp: Path, backing: set[str], scene: Scene) -> Outcome:
    assert scene.tagname is not None
    backing.add(_shm_path(scene.tagname))
    return maps.try_map(None, "", 3 * os_page(), tagname=scene.tagname)


def _map_in_use(a: Adapter, maps: Maps, tmp: Path, backing: set[str], scene: Scene) -> Outcome:
    assert scene.way is not None
    path = _file(tmp, backing, pattern(os_page(), seed=911))
    return maps.try_map(ref(path), "", os_page(), addr=scene.way.addr)


def _mirror_in_use(a: Adapter, maps: Maps, tmp: Path, backing: set[str], scene: Scene) -> Outcome:
    assert scene.way is not None
    path = _file(tmp, backing, pattern(os_page(), seed=912))
    return maps.try_mirror(ref(path), os_page(), 2, scene.way.addr)


FAILURES = (
    pytest.param(
        Failing("map.errcode.no-file", _no_file),
        id="no_file",
        marks=pytest.mark.needs("file:name"),
    ),
    pytest.param(
        Failing("map.size.default-empty-file-fails", _empty("")),
        id="file_too_short-empty",
        marks=pytest.mark.needs("file:name"),
    ),
    pytest.param(
        Failing("map.size.default-empty-file-fails", _empty("w")),
        id="file_too_short-empty-w",
        marks=pytest.mark.needs("file:name", "access:w"),
    ),
    pytest.param(
        Failing("map.errcode.file-too-short", _short("name")),
        id="file_too_short-short",
        marks=pytest.mark.needs("file:name"),
    ),
    pytest.param(
        Failing("map.errcode.file-too-short", _short("fd")),
        id="file_too_short-short-fd",
        marks=pytest.mark.needs("file:fd"),
    ),
    pytest.param(
        Failing("map.errcode.file-too-short", _short_tagname, ("tagname",)),
        id="file_too_short-tagname",
        marks=pytest.mark.needs("tagname", "access:w"),
    ),
    pytest.param(
        Failing("map.addr.used", _map_in_use, ("way",)),
        id="out_of_mem-map",
        marks=pytest.mark.needs("file:name", "anonymous", "addr", "addr_request"),
    ),
    pytest.param(
        Failing("mirror.addr.used", _mirror_in_use, ("way",)),
        id="out_of_mem-mirror",
        marks=pytest.mark.needs("mirror", "file:name", "anonymous", "addr", "addr_request"),
    ),
)


def _failing(
    adapter: Adapter, maps: Maps, tmp_path: Path, case: Failing
) -> tuple[Callable[[set[str]], None], Scene]:
    """Sets up ``case``'s scene; returns the call that provokes it once (it must fail)."""
    p = os_page()
    way = maps.map(None, "w", 4 * p) if "way" in case.scene else None
    tagname = maps.tagname() if "tagname" in case.scene else None
    if tagname is not None:
        maps.free(maps.map(None, "w", p, tagname=tagname))
    scene = Scene(way, tagname)

    def provoke(backing: set[str]) -> None:
        with prerequisite(case.promised_by, "provoking the failure"):
            outcome = case.provoke(adapter, maps, tmp_path, backing, scene)
            assert outcome.kind != "value", f"the call was to fail, but it {outcome}"

    return provoke, scene


@pytest.mark.clause("safety.descriptors.no-leak-after-failure")
@pytest.mark.parametrize("case", FAILURES)
def test_failure_leaves_no_descriptor(
    adapter: Adapter, maps: Maps, tmp_path: Path, case: Failing
) -> None:
    pid = adapter.pid
    _require_fds(pid)
    provoke, _ = _failing(adapter, maps, tmp_path, case)
    provoke(set())  # once first, so that one-time setup is not counted
    before = _fds(pid)
    provoke(set())
    _assert_no_new_fds(before, _fds(pid), f"the failing call ({case.promised_by})")


@pytest.mark.clause("safety.mappings.no-leak-after-failure")
@pytest.mark.parametrize("case", FAILURES)
def test_failure_leaves_nothing_mapped(
    adapter: Adapter, maps: Maps, tmp_path: Path, case: Failing
) -> None:
    pid = adapter.pid
    require_proc(pid)
    provoke, scene = _failing(adapter, maps, tmp_path, case)
    way = scene.way
    lo, hi = (way.addr, way.addr + way.size) if way is not None and way.addr else (0, 0)

    def watched() -> set[Region]:
        # Clipped to the map in the way: the kernel merges it with neighbours of the same
        # kind, which the runtime may grow or shrink meanwhile.
        return {
            Region(max(r.start, lo), min(r.end, hi), r.perms, r.path)
            for r in regions(pid)
            if _overlaps(r, lo, hi)
        }

    before = watched()
    mapped_before = set(regions(pid))
    backing: set[str] = set()
    provoke(backing)
    left = [r for r in regions(pid) if _backing(r) in backing and r not in mapped_before]
    assert not left, f"the failing call ({case.promised_by}) left mapped: " + "; ".join(
        f"{r.start:#x}-{r.end:#x} {r.perms} {r.path}" for r in left
    )
    after = watched()
    assert after == before, (
        f"the mapping in the way at {lo:#x} changed: {sorted(before, key=str)} became "
        f"{sorted(after, key=str)}"
    )


# ----------------------------------------------------------------------------- sizes


@pytest.mark.clause("safety.size.never-shrinks")
@pytest.mark.parametrize(
    "target",
    [
        pytest.param("file", marks=pytest.mark.needs("file:name")),
        pytest.param("tagname", marks=pytest.mark.needs("tagname")),
    ],
)
def test_a_smaller_map_never_shrinks(
    adapter: Adapter, maps: Maps, tmp_path: Path, target: str
) -> None:
    """A second, smaller 'w' map of the same object: the object keeps its size and the
    first map stays readable to its end. Run in an isolated process: a map whose pages
    were cut off kills its process with SIGBUS when read."""
    p = os_page()
    content = pattern(3 * p, seed=920)
    if target == "file":
        path = new_file(tmp_path, content)
        on_disk = path
        kw: dict[str, object] = {"file": ref(path)}
    else:
        name = maps.tagname()
        on_disk = Path(_shm_path(name))
        kw = {"tagname": name}
    with isolated(adapter) as other, Maps(other) as om:
        with prerequisite("map.size.given", f"two 'w' maps of the {target}, the second smaller"):
            first = om.map(access="w", size=3 * p, **kw)
            if target == "tagname":
                other.write(first.handle, 0, content)
            om.map(access="w", size=p, **kw)
        try:
            got = other.read(first.handle, 0, 3 * p)
        except ImplementationCrashed as exc:
            raise AssertionError(
                f"reading the first map of the {target} to its end killed the "
                f"implementation's process ({exc}): the smaller map cut its pages off"
            ) from None
        same(got, content, f"the first map of the {target} after a smaller map")
        if on_disk.exists():  # tagnames have no file to look at outside Linux
            size = on_disk.stat().st_size
            assert size == 3 * p, f"the {target} shrank from {3 * p} to {size} bytes"


# ----------------------------------------------------------------------------- mirrors

_CALL = re.compile(r"^(?:\[pid\s+(\d+)\]\s+|(\d+)\s+)?(.*)$")
_RESUMED = re.compile(r"^<\.\.\. (mmap|munmap) resumed>(.*)$")
_MMAP = re.compile(r"^mmap\(([^,]+), (\d+), ([^,]+), ([^,]+), (-?\d+), (\w+)\)\s*=\s*(\S+)")
_MUNMAP = re.compile(r"^munmap\(([^,]+), (\d+)\)\s*=\s*(\S+)")


@dataclasses.dataclass(frozen=True)
class Syscall:
    name: str
    addr: int
    length: int
    flags: frozenset[str]
    ok: bool
    line: str


def _int(text: str) -> int:
    return 0 if text == "NULL" else int(text, 0)


def parse_strace(text: str) -> list[Syscall]:
    """The mmap and munmap calls of an ``strace -f -e trace=mmap,munmap`` log, in order;
    a call another thread interrupted (``<unfinished ...>``) is joined with its end."""
    pending: dict[str, str] = {}
    calls = []
    for raw in text.splitlines():
        m = _CALL.match(raw)
        if m is None:
            continue
        who, line = m.group(1) or m.group(2) or "", m.group(3)
        if line.endswith("<unfinished ...>"):
            pending[who] = line.removesuffix("<unfinished ...>").rstrip()
            continue
        resumed = _RESUMED.match(line)
        if resumed:
            line = pending.pop(who, "") + resumed.group(2)
        if mm := _MMAP.match(line):
            ok = not mm.group(7).startswith("-")
            calls.append(
                Syscall(
                    "mmap",
                    _int(mm.group(7)) if ok else _int(mm.group(1)),
                    int(mm.group(2)),
                    frozenset(mm.group(4).split("|")),
                    ok,
                    line,
                )
            )
        elif mu := _MUNMAP.match(line):
            calls.append(
                Syscall(
                    "munmap",
                    _int(mu.group(1)),
                    int(mu.group(2)),
                    frozenset(),
                    mu.group(3) == "0",
                    line,
                )
            )
    return calls


def fixed_into_holes(calls: list[Syscall], page_size: int) -> list[str]:
    """The mmap calls with MAP_FIXED (not NOREPLACE) that landed on a range the process
    had unmapped before and not mapped again since: there, another thread's mapping
    made in between would have been replaced silently."""
    holes: list[tuple[int, int]] = []
    found = []

    def carve(lo: int, hi: int) -> None:
        kept = []
        for a, b in holes:
            if b <= lo or hi <= a:
                kept.append((a, b))
                continue
            if a < lo:
                kept.append((a, lo))
            if hi < b:
                kept.append((hi, b))
        holes[:] = kept

    for c in calls:
        if not c.ok:
            continue
        hi = c.addr + -(-c.length // page_size) * page_size
        if c.name == "munmap":
            carve(c.addr, hi)
            holes.append((c.addr, hi))
            continue
        fixed = "MAP_FIXED" in c.flags and "MAP_FIXED_NOREPLACE" not in c.flags
        if fixed and any(a < hi and c.addr < b for a, b in holes):
            found.append(c.line)
        carve(c.addr, hi)
    return found


@contextlib.contextmanager
def traced(pid: int, log: Path) -> Iterator[None]:
    """strace attached to ``pid`` (every thread) for the block; its log is complete
    once the block has exited."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip(
            "strace is not installed: the mirror's mmap and munmap calls cannot be "
            "observed (Debian: apt-get install strace; .ci/install-system)"
        )
    proc = subprocess.Popen(
        [strace, "-f", "-qq", "-e", "trace=mmap,munmap", "-o", str(log), "-p", str(pid)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # strace reports the attach on stderr (even with -qq, an error); wait for the
        # tracee to show a tracer before letting the block run.
        deadline = time.monotonic() + 30
        while _tracer(pid) == 0:
            if proc.poll() is not None or time.monotonic() > deadline:
                why = proc.stderr.read().strip() if proc.stderr else ""
                pytest.skip(f"strace cannot attach to process {pid}: {why or 'no reason given'}")
            time.sleep(0.01)
        yield
    finally:
        if proc.poll() is None:
            proc.send_signal(2)  # SIGINT: strace detaches and writes out its log
        proc.wait(timeout=30)
        if proc.stderr:
            proc.stderr.close()


def _tracer(pid: int) -> int:
    """The pid tracing ``pid`` (0: none), from /proc/PID/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("TracerPid:"):
            return int(line.split()[1])
    return 0


@pytest.mark.clause("safety.mirror.never-replaces-foreign")
def test_mirror_maps_only_over_its_own_range(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    """Another thread's mapping can land in any hole between an munmap and an mmap;
    MAP_FIXED there replaces it. A race is not provoked here (the protocol has no
    threads): the mirror's own calls are followed, and a MAP_FIXED into a hole the
    process made is the race's opening, whether or not a thread took it this time."""
    p = os_page()
    with isolated(adapter) as other, Maps(other) as om:
        pid = other.pid
        require_proc(pid)
        log = tmp_path / "strace.log"
        with prerequisite("mirror.form.table", "making and freeing mirrors"):
            om.free(om.mirror(ref(new_path(tmp_path)), 2 * p))  # one-time setup, untraced
            with traced(pid, log):
                om.free(om.mirror(ref(new_path(tmp_path)), 2 * p, 3))
        calls = parse_strace(log.read_text())
    assert any(c.name == "mmap" and c.ok for c in calls), (
        f"strace saw no successful mmap while a mirror was made; its log:\n{log.read_text()}"
    )
    bad = fixed_into_holes(calls, p)
    assert not bad, (
        "the mirror mapped with MAP_FIXED into address space it had just unmapped, where "
        "another thread's mapping may have landed: " + "; ".join(bad)
    )


# ----------------------------------------------------------------------------- hostile objects

NOBODY = 65534
"""The other user who plants objects: nobody, on Debian and most Linux systems."""


def _require_shm(as_another_user: bool = False) -> None:
    if not sys.platform.startswith("linux") or not Path("/dev/shm").is_dir():
        pytest.skip("planting objects under a tagname needs Linux's /dev/shm")
    if as_another_user and os.geteuid() != 0:
        pytest.skip("planting an object as another user needs root (CI runs as root)")


@pytest.mark.clause("safety.fifo.no-hang")
def test_a_fifo_is_refused_at_once(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    """A FIFO under a tagname, or as a file name, is refused without waiting for a
    writer. The calls run in an isolated implementation process with a short deadline,
    so a binding that blocks fails this clause instead of hanging the run."""
    _require_shm()
    tag = maps.tagname()
    planted = Path(_shm_path(tag))
    os.mkfifo(planted, 0o666)
    named = tmp_path / "fifo"
    os.mkfifo(named, 0o666)
    p = os_page()
    caps = adapter.capabilities.names()
    cases: list[tuple[str, Callable[[Adapter], Any]]] = [
        (f"map(nil, '', {p}, nil, nil, {tag!r})", lambda a: a.map(None, "", p, tagname=tag)),
    ]
    if "access:c" in caps:
        cases.append(
            (f"map(nil, 'c', {p}, nil, nil, {tag!r})", lambda a: a.map(None, "c", p, tagname=tag))
        )
    if "file:name" in caps:
        cases.append((f"map({named.name!r}, '')", lambda a: a.map(ref(named), "")))
    with isolated(adapter, timeout=15) as other:
        for what, attempt in cases:
            started = time.monotonic()
            try:
                got = attempt(other)
            except HarnessFailure as exc:
                raise AssertionError(f"{what}: no answer, it waits on the FIFO ({exc})") from exc
            except AdapterError:
                pass  # refused: what is asked
            else:
                with contextlib.suppress(AdapterError):
                    other.free(got.handle)
                raise AssertionError(f"{what}: mapped a FIFO ({got})")
            assert time.monotonic() - started < 15, (
                f"{what}: took {time.monotonic() - started:.0f} s"
            )
    assert stat.S_ISFIFO(os.stat(planted).st_mode), f"{planted} is no longer a FIFO"


def _plant_as_nobody(path: str, content: bytes) -> None:
    """``path`` created by another user, mode 0666 (exactly: fchmod beats the umask).
    A forked child drops to that user (no exec: the interpreter may live where that
    user cannot read)."""
    pid = os.fork()
    if pid == 0:  # the child: nothing but system calls, then _exit
        code = 1
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
            os.fchmod(fd, 0o666)
            os.write(fd, content)
            os.close(fd)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        pytest.skip(f"cannot create {path} as uid {NOBODY} here")


@pytest.mark.clause("safety.tagname.foreign-refused")
@pytest.mark.parametrize("access", ["", "w"])
def test_another_users_object_is_not_adopted(adapter: Adapter, maps: Maps, access: str) -> None:
    """Another user's world-writable object under the tagname: mapping it would let
    that user read and change what the binding's user keeps there."""
    _require_shm(as_another_user=True)
    if access:
        require(adapter, f"access:{access}")
    p = os_page()
    tag = maps.tagname()
    marker = pattern(p, seed=930)
    _plant_as_nobody(_shm_path(tag), marker)
    what = f"map(nil, {access!r}, {p}, nil, nil, {tag!r}) of uid {NOBODY}'s 0666 object"
    outcome = maps.try_map(None, access, p, tagname=tag)
    assert outcome.kind != "value", f"{what}: adopted it ({outcome})"
    st = os.stat(_shm_path(tag))
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (NOBODY, 0o666), (
        f"{what}: owner or mode changed"
    )
    same(Path(_shm_path(tag)).read_bytes(), marker, f"{what}: its bytes")
