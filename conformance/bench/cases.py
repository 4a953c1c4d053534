"""Cases 1-5 of the benchmark: the reference beside CPython's mmap, raw ctypes, C and memcpy.

Each case is a context manager that sets up its files and maps, yields a
:class:`~mmapspec.bench.timing.Group` of variants and cleans up afterwards. A
variant that cannot run (the reference does not import on this OS, no C compiler) is
skipped with the reason; the others are still measured.
"""

from __future__ import annotations

import ctypes
import dataclasses
import mmap
import os
import random
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from mmapspec.bench import libc as clib
from mmapspec.bench import native
from mmapspec.bench.machine import filesystem
from mmapspec.bench.timing import Comparison, Group, Variant

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30


@dataclasses.dataclass(frozen=True)
class Sizes:
    """Sizes of the cases. The defaults are the targets'; ``QUICK`` only shrinks
    the two cases whose size is their running time (bulk copy, ring)."""

    anon: int = 4 * KiB
    file: int = 1 * MiB
    bulk: int = 64 * MiB
    mirror: tuple[int, ...] = (64 * KiB, 4 * MiB)
    ring_capacity: int = 64 * KiB
    ring_total: int = 1 * GiB
    ring_rounds: int = 16
    """The ring moves ``ring_total`` in this many timed rounds of ``ring_total/ring_rounds``."""


QUICK = Sizes(bulk=1 * MiB, ring_total=3 * MiB, ring_rounds=3)


@dataclasses.dataclass
class Context:
    """What every case may use; built once per run by the CLI."""

    workdir: Path
    sizes: Sizes
    helper: native.Helper | str
    """The compiled C helper, or why there is none."""
    ref: ModuleType | None
    ref_missing: str
    """Why ``ref`` is None (shown on every reference row that is skipped)."""
    quick: bool = False

    def lacks(self, name: str) -> str | None:
        """Why the reference's ``name`` cannot be benchmarked, or None when it can."""
        if self.ref is None:
            return self.ref_missing
        if not hasattr(self.ref, name):
            return f"mmapspec.reference has no {name}()"
        return None

    def file(self, name: str, size: int, content: bool = True) -> Path:
        """A file of ``size`` bytes under the run's private work directory."""
        path = self.workdir / name
        with open(path, "wb") as f:
            if content:
                f.write(random.Random(name).randbytes(size))
            else:
                f.truncate(size)
        return path


def load_reference() -> tuple[ModuleType | None, str]:
    """The reference module, or None and why: it ships in the package, but imports only
    where it has a backend (Linux, macOS, Windows)."""
    try:
        from mmapspec import reference as mm
    except Exception as exc:  # an OS without a backend, or a broken install
        return None, f"mmapspec.reference cannot be imported ({type(exc).__name__}: {exc})"
    if not hasattr(mm, "map"):
        return None, "mmapspec.reference has no map()"
    return mm, ""


def _ref_variant(
    ctx: Context,
    key: str,
    label: str,
    make: Callable[[ModuleType], Callable[[int], object]],
    needs: str = "map",
    **kw: Any,
) -> Variant:
    """A reference row, or a skipped one when the reference (or ``needs``) is absent."""
    why = ctx.lacks(needs)
    if why is not None or ctx.ref is None:
        return Variant(key, label, None, role="case", skip=why, **kw)
    return Variant(key, label, make(ctx.ref), role="case", **kw)


def _c_variant(
    ctx: Context,
    key: str,
    label: str,
    make: Callable[[native.Helper], Callable[[int], object]],
    **kw: Any,
) -> Variant:
    if isinstance(ctx.helper, str):
        return Variant(key, label, None, skip=ctx.helper, **kw)
    return Variant(key, label, make(ctx.helper), **kw)


def _loop_check(
    helper_loop: Callable[[int], int], what: str, helper: native.Helper
) -> Callable[[int], None]:
    def run(n: int) -> None:
        helper.check(helper_loop(n), what)

    return run


# -- 1. anonymous 4 KiB map + free ---------------------------------------------

# What the reference's 'w' pagefile map needs from the kernel: a private,
# read/write, anonymous block. The floors ask for exactly that.
ANON_PROT = clib.PROT_READ | clib.PROT_WRITE
ANON_FLAGS = clib.MAP_PRIVATE | clib.MAP_ANONYMOUS


@contextmanager
def anon(ctx: Context) -> Iterator[Group]:
    size = ctx.sizes.anon

    def ref(mm: ModuleType) -> Callable[[int], None]:
        map_ = mm.map

        def run(n: int) -> None:
            for _ in range(n):
                map_(None, "w", size).free()

        return run

    def cpython(n: int) -> None:
        mmap_ = mmap.mmap
        for _ in range(n):
            mmap_(-1, size).close()

    def cpython_private(n: int) -> None:
        # The reference's flags: a private block costs the kernel less than a shared one.
        mmap_, flags = mmap.mmap, ANON_FLAGS
        for _ in range(n):
            mmap_(-1, size, flags=flags).close()

    libc = clib.libc()

    def raw_ctypes(n: int) -> None:
        mmap_, munmap, failed = libc.mmap, libc.munmap, clib.MAP_FAILED
        for _ in range(n):
            p = mmap_(None, size, ANON_PROT, ANON_FLAGS, -1, 0)
            if p == failed or munmap(p, size) != 0:
                native.raise_errno("mmap/munmap")

    def c_loop(h: native.Helper) -> Callable[[int], None]:
        return _loop_check(lambda n: h.anon_loop(n, size, ANON_PROT, ANON_FLAGS), "anon_loop", h)

    yield Group(
        "anon",
        f"1. anonymous {size // KiB} KiB map + free",
        [
            _ref_variant(
                ctx, "anon.reference", f"reference  mm.map(None, 'w', {size}).free()", ref
            ),
            Variant("anon.cpython", f"CPython    mmap.mmap(-1, {size}).close()", cpython),
            Variant(
                "anon.cpython_private",
                f"CPython    mmap.mmap(-1, {size}, flags=MAP_PRIVATE|MAP_ANONYMOUS)",
                cpython_private,
            ),
            Variant("anon.ctypes", "ctypes     mmap+munmap, argtypes set once", raw_ctypes),
            _c_variant(ctx, "anon.c", "C          mmap+munmap, timed in a C loop", c_loop),
        ],
        [
            Comparison("anon.reference", "anon.cpython_private", limit=2.0),
            Comparison("anon.reference", "anon.cpython"),
            Comparison("anon.reference", "anon.ctypes", limit=1.15),
            Comparison("anon.reference", "anon.c"),
            Comparison("anon.ctypes", "anon.c"),
        ],
        [
            "reference, cpython_private, ctypes and C all ask for MAP_PRIVATE|MAP_ANONYMOUS, "
            "PROT_READ|PROT_WRITE; CPython's default mmap(-1, n) is MAP_SHARED|MAP_ANONYMOUS "
            "(shared memory, dearer for the kernel): that row is for reference, not like for like"
        ],
    )


# -- 2. map a 1 MiB file by name + free --------------------------------------------


@contextmanager
def file_by_name(ctx: Context) -> Iterator[Group]:
    size = ctx.sizes.file
    path = ctx.file("by-name.bin", size)
    spath = str(path)
    head = path.read_bytes()[:4096]
    with ExitStack() as stack:
        fd = os.open(spath, os.O_RDONLY)
        stack.callback(os.close, fd)

        def ref_name(mm: ModuleType) -> Callable[[int], None]:
            map_ = mm.map

            def run(n: int) -> None:
                for _ in range(n):
                    map_(spath).free()

            return run

        def ref_fd(mm: ModuleType) -> Callable[[int], None]:
            map_ = mm.map

            def run(n: int) -> None:
                for _ in range(n):
                    map_(fd).free()

            return run

        def check_ref() -> None:
            assert ctx.ref is not None
            for file in (spath, fd):
                with ctx.ref.map(file) as m:
                    if m.size != size or bytes(memoryview(m)[:4096]) != head:
                        raise AssertionError(f"map({file!r}) gave size {m.size} or wrong bytes")

        def cpython_name(n: int) -> None:
            open_, close, mmap_, rd, acc = (
                os.open,
                os.close,
                mmap.mmap,
                os.O_RDONLY,
                mmap.ACCESS_READ,
            )
            for _ in range(n):
                f = open_(spath, rd)
                mmap_(f, 0, access=acc).close()
                close(f)

        def cpython_fd(n: int) -> None:
            mmap_, acc = mmap.mmap, mmap.ACCESS_READ
            for _ in range(n):
                mmap_(fd, 0, access=acc).close()

        libc = clib.libc()

        def raw_ctypes(n: int) -> None:
            # The syscalls a map by name needs and nothing else: the floor for
            # Python code that maps through ctypes.
            open_, fstat, close, flags = os.open, os.fstat, os.close, os.O_RDONLY | os.O_CLOEXEC
            mmap_, munmap, failed = libc.mmap, libc.munmap, clib.MAP_FAILED
            for _ in range(n):
                f = open_(spath, flags)
                length = fstat(f).st_size
                p = mmap_(None, length, clib.PROT_READ, clib.MAP_SHARED, f, 0)
                close(f)
                if p == failed or munmap(p, length) != 0:
                    native.raise_errno("mmap/munmap")

        yield Group(
            "file",
            f"2. map a {size // KiB} KiB file + free (read-only, size from the file)",
            [
                _ref_variant(
                    ctx,
                    "file.reference",
                    "reference  mm.map(path).free()",
                    ref_name,
                    check=check_ref,
                ),
                Variant(
                    "file.cpython", "CPython    os.open+mmap.mmap+close+os.close", cpython_name
                ),
                Variant(
                    "file.ctypes", "ctypes     os.open+os.fstat+mmap+os.close+munmap", raw_ctypes
                ),
                _ref_variant(
                    ctx, "file.reference_fd", "reference  mm.map(fd).free(), fd open", ref_fd
                ),
                Variant(
                    "file.cpython_fd", "CPython    mmap.mmap(fd, 0).close(), fd open", cpython_fd
                ),
            ],
            [
                Comparison("file.reference", "file.cpython", limit=2.0),
                Comparison("file.reference", "file.ctypes"),
                Comparison("file.reference_fd", "file.cpython_fd"),
            ],
            [f"file on {ctx.workdir}, in the page cache; CPython's mmap also dup()s the fd"],
        )


# -- 3. bulk copy ----------------------------------------------------------------


@contextmanager
def bulk(ctx: Context) -> Iterator[Group]:
    size = ctx.sizes.bulk
    src = random.Random(3).randbytes(size)
    plain = memoryview(bytearray(size))
    dst = memoryview(bytearray(size))
    with ExitStack() as stack:
        cm = mmap.mmap(-1, size)
        stack.callback(cm.close)
        ref_map: Any = None
        if ctx.ref is not None and ctx.lacks("map") is None:
            ref_map = ctx.ref.map(None, "w", size)
            stack.callback(ref_map.free)

        def ref_write(mm: ModuleType) -> Callable[[int], None]:
            def run(n: int) -> None:
                for _ in range(n):
                    memoryview(ref_map)[:] = src

            return run

        def ref_setitem(mm: ModuleType) -> Callable[[int], None]:
            def run(n: int) -> None:
                for _ in range(n):
                    ref_map[0:size] = src

            return run

        def ref_read(mm: ModuleType) -> Callable[[int], None]:
            def run(n: int) -> None:
                for _ in range(n):
                    dst[:] = memoryview(ref_map)

            return run

        def cpython_write(n: int) -> None:
            for _ in range(n):
                cm[:] = src

        def cpython_read(n: int) -> None:
            for _ in range(n):
                dst[:] = memoryview(cm)

        def memcpy(n: int) -> None:
            for _ in range(n):
                plain[:] = src

        def same(what: str, buf: Any) -> Callable[[], None]:
            def check() -> None:
                if memoryview(buf) != memoryview(src):
                    raise AssertionError(f"{what} does not hold the bytes copied in")

            return check

        yield Group(
            "bulk",
            f"3. bulk copy of {size // MiB} MiB (pre-faulted buffers)",
            [
                _ref_variant(
                    ctx,
                    "bulk.reference_write",
                    "reference  write: memoryview(map)[:] = bytes",
                    ref_write,
                    bytes_per_op=size,
                    check=same("reference map", ref_map),
                ),
                _ref_variant(
                    ctx,
                    "bulk.reference_setitem",
                    "reference  write: map[0:n] = bytes",
                    ref_setitem,
                    bytes_per_op=size,
                    check=same("reference map", ref_map),
                ),
                Variant(
                    "bulk.cpython_write",
                    "CPython    write: mmap[:] = bytes",
                    cpython_write,
                    bytes_per_op=size,
                    check=same("CPython mmap", cm),
                ),
                Variant(
                    "bulk.memcpy",
                    "memcpy     view[:] = bytes",
                    memcpy,
                    bytes_per_op=size,
                    check=same("bytearray", plain),
                ),
                _ref_variant(
                    ctx,
                    "bulk.reference_read",
                    "reference  read: view[:] = memoryview(map)",
                    ref_read,
                    bytes_per_op=size,
                    check=same("read-back buffer", dst),
                ),
                Variant(
                    "bulk.cpython_read",
                    "CPython    read: view[:] = memoryview(mmap)",
                    cpython_read,
                    bytes_per_op=size,
                    check=same("read-back buffer", dst),
                ),
            ],
            [
                Comparison("bulk.reference_write", "bulk.memcpy", kind="speed", limit=0.9),
                Comparison("bulk.reference_setitem", "bulk.memcpy", kind="speed", limit=0.9),
                Comparison("bulk.reference_read", "bulk.memcpy", kind="speed", limit=0.9),
                Comparison("bulk.cpython_write", "bulk.memcpy", kind="speed"),
                Comparison("bulk.cpython_read", "bulk.memcpy", kind="speed"),
            ],
            [
                "ratios here are speeds relative to memcpy (higher is better); "
                "view: a memoryview of a "
                "bytearray; memcpy is one copy bytes -> bytearray through such a view",
                "(not bytearray[:] = bytes: CPython first copies the bytes into a "
                "temporary bytearray "
                "there, which halves the speed)",
            ],
        )


# -- 4. flush ----------------------------------------------------------------------


@contextmanager
def flush(ctx: Context) -> Iterator[Group]:
    size = ctx.sizes.file
    path = ctx.file("flush.bin", size)
    page = mmap.PAGESIZE
    with ExitStack() as stack:
        fd = os.open(path, os.O_RDWR)
        stack.callback(os.close, fd)
        cm = mmap.mmap(fd, size)
        stack.callback(cm.close)
        ref_map: Any = None
        if ctx.ref is not None and ctx.lacks("map") is None:
            ref_map = ctx.ref.map(str(path), "w", size)
            stack.callback(ref_map.free)
            rview = memoryview(ref_map)
            stack.callback(rview.release)

        def dirty_then(call: Callable[[], object], view: Any) -> Callable[[int], None]:
            def run(n: int) -> None:
                for i in range(n):
                    view[page] = i & 0xFF  # one dirty page: the second one of the map
                    call()

            return run

        def ref_sync(mm: ModuleType) -> Callable[[int], None]:
            return dirty_then(ref_map.flush, rview)

        def ref_async(mm: ModuleType) -> Callable[[int], None]:
            return dirty_then(lambda: ref_map.flush(True), rview)

        def ref_async_kw(mm: ModuleType) -> Callable[[int], None]:
            return dirty_then(lambda: ref_map.flush(async_=True), rview)

        libc = clib.libc()

        def ctypes_async() -> Callable[[int], None]:
            # What the reference's async flush of the whole map amounts to: one msync call,
            # made from a function, as the reference rows call theirs through a lambda.
            msync, addr, flags = libc.msync, ref_map.addr, clib.MS_ASYNC

            def call() -> None:
                if msync(addr, size, flags) != 0:
                    native.raise_errno("msync")

            return dirty_then(call, rview)

        def c_async(h: native.Helper) -> Callable[[int], None]:
            addr = ref_map.addr
            return _loop_check(
                lambda n: h.msync_loop(n, addr, size, clib.MS_ASYNC, page), "msync_loop", h
            )

        def ref_range(mm: ModuleType) -> Callable[[int], None]:
            addr = ref_map.addr + page
            return dirty_then(lambda: ref_map.flush(addr, page), rview)

        yield Group(
            "flush",
            f"4. flush of one dirty page of a {size // KiB} KiB file map",
            [
                _ref_variant(ctx, "flush.reference", "reference  map.flush()", ref_sync),
                _ref_variant(
                    ctx, "flush.reference_async", "reference  map.flush(True)  (async)", ref_async
                ),
                _ref_variant(
                    ctx,
                    "flush.reference_async_kw",
                    "reference  map.flush(async_=True)",
                    ref_async_kw,
                ),
                (
                    Variant(
                        "flush.ctypes_async",
                        "ctypes     msync(addr, size, MS_ASYNC), argtypes set once",
                        ctypes_async(),
                    )
                    if ref_map is not None
                    else Variant(
                        "flush.ctypes_async",
                        "ctypes     msync MS_ASYNC",
                        None,
                        skip=ctx.lacks("map"),
                    )
                ),
                (
                    _c_variant(
                        ctx,
                        "flush.c_async",
                        "C          msync MS_ASYNC, timed in a C loop",
                        c_async,
                    )
                    if ref_map is not None
                    else Variant(
                        "flush.c_async", "C          msync MS_ASYNC", None, skip=ctx.lacks("map")
                    )
                ),
                _ref_variant(
                    ctx, "flush.reference_range", "reference  map.flush(addr, pagesize)", ref_range
                ),
                Variant("flush.cpython", "CPython    mmap.flush()", dirty_then(cm.flush, cm)),
                Variant(
                    "flush.cpython_range",
                    "CPython    mmap.flush(offset, pagesize)",
                    dirty_then(lambda: cm.flush(page, page), cm),
                ),
            ],
            [
                Comparison("flush.reference", "flush.cpython"),
                Comparison("flush.reference_async", "flush.ctypes_async", limit=1.5),
                Comparison("flush.reference_async_kw", "flush.ctypes_async", limit=1.5),
                Comparison("flush.reference_async", "flush.c_async"),
                Comparison("flush.reference_range", "flush.cpython_range"),
            ],
            [
                f"file on a {filesystem(ctx.workdir)} filesystem; "
                "every operation dirties the page again, then flushes. "
                "On Linux an async flush (MS_ASYNC) starts no I/O, so it costs only the call; "
                "CPython's mmap has no async flush, so the async rows are compared with the "
                "same msync(MS_ASYNC) of the same map through ctypes and in C"
            ],
            waits=True,
        )


# -- 5. mirror ----------------------------------------------------------------------


@contextmanager
def mirror(ctx: Context) -> Iterator[Group]:
    variants: list[Variant] = []
    comparisons: list[Comparison] = []
    for size in ctx.sizes.mirror:
        label = f"{size // KiB} KiB" if size < MiB else f"{size // MiB} MiB"
        tag = label.replace(" ", "")
        path = ctx.file(f"mirror-{tag}.bin", size, content=False)
        bpath = bytes(path)

        def ref(mm: ModuleType, spath: str = str(path), size: int = size) -> Callable[[int], None]:
            mirror_ = mm.mirror

            def run(n: int) -> None:
                for _ in range(n):
                    mirror_(spath, size, 2).free()

            return run

        def check_ref(spath: str = str(path), size: int = size) -> None:
            assert ctx.ref is not None
            m = ctx.ref.mirror(spath, size, 2)
            try:
                _check_mirror(m.addr, size)
            finally:
                m.free()

        def c_loop(
            h: native.Helper, bpath: bytes = bpath, size: int = size
        ) -> Callable[[int], None]:
            return _loop_check(lambda n: h.mirror_loop(n, bpath, size, 2), "mirror_loop", h)

        def c_calls(
            h: native.Helper, bpath: bytes = bpath, size: int = size
        ) -> Callable[[int], None]:
            create, free = h.mirror, h.mirror_free

            def run(n: int) -> None:
                for _ in range(n):
                    h.check(free(create(bpath, size, 2), size, 2), "mirror_free")

            return run

        def check_c(bpath: bytes = bpath, size: int = size) -> None:
            assert isinstance(ctx.helper, native.Helper)
            addr = ctx.helper.mirror(bpath, size, 2)
            try:
                _check_mirror(addr, size)
            finally:
                ctx.helper.check(ctx.helper.mirror_free(addr, size, 2), "mirror_free")

        key = f"mirror.{tag}"
        variants += [
            _ref_variant(
                ctx,
                f"{key}.reference",
                f"reference  mm.mirror(path, {label}, 2).free()",
                ref,
                needs="mirror",
                check=check_ref,
            ),
            _c_variant(
                ctx,
                f"{key}.c",
                f"C          reserve+MAP_FIXED {label}, timed in a C loop",
                c_loop,
                check=check_c,
            ),
            _c_variant(
                ctx,
                f"{key}.c_ctypes",
                "C          the same via ctypes: create, free calls",
                c_calls,
            ),
        ]
        comparisons += [
            Comparison(f"{key}.reference", f"{key}.c", limit=1.6),
            Comparison(f"{key}.reference", f"{key}.c_ctypes"),
        ]
    yield Group(
        "mirror",
        "5. mirror create + free, times=2 (file by name, already sized)",
        variants,
        comparisons,
        [
            "C: open+fstat, PROT_NONE reservation of 2*size, "
            "two MAP_FIXED|MAP_SHARED maps of the file, "
            "close; free is one munmap. The target compares against the C loop",
            "the reference makes one mmap fewer: its reservation is the file mapped over the "
            "whole range (copy 0, and past the end of the file pages replaced by the other "
            "copies), so it makes `times` mmap calls where the C floor makes times + 1",
        ],
    )


def _check_mirror(addr: int, size: int) -> None:
    """A byte written in the first copy must appear in the second, and back."""
    first = (ctypes.c_ubyte * 1).from_address(addr)
    second = (ctypes.c_ubyte * 1).from_address(addr + size)
    for value in (0x5A, 0xA5):
        first[0] = value
        if second[0] != value:
            raise AssertionError(
                f"not a mirror: wrote {value:#x} at addr, read {second[0]:#x} at addr+size"
            )
        second[0] = value ^ 0xFF
        if first[0] != value ^ 0xFF:
            raise AssertionError(
                "not a mirror: a write to the second copy is not seen in the first"
            )


@contextmanager
def ring(ctx: Context) -> Iterator[Group]:
    from mmapspec.examples import ring_buffer as rb

    s = ctx.sizes
    per_round = s.ring_total // s.ring_rounds
    stream = rb.Stream()
    with ExitStack() as stack:
        split = rb.SplitRing(s.ring_capacity)
        stack.callback(split.close)
        rings: dict[str, Any] = {"split": split}
        if ctx.lacks("mirror") is None:
            rings["mirror"] = rb.MirrorRing(s.ring_capacity)
            stack.callback(rings["mirror"].close)

        def pumping(which: str) -> Callable[[int], None]:
            def run(n: int) -> None:
                for _ in range(n):
                    rb.pump(rings[which], per_round, stream)

            return run

        def verified(which: str) -> Callable[[], None]:
            # The timed runs do not compare bytes (that would time memcmp too):
            # afterwards the same ring moves a few MiB again, every byte checked.
            def check() -> None:
                rb.pump(rings[which], min(per_round, 4 * MiB), stream, verify=True)

            return check

        moved = (
            f"{s.ring_total // GiB} GiB" if s.ring_total >= GiB else f"{s.ring_total // MiB} MiB"
        )
        notes = [
            f"producer and consumer alternate in one thread, chunks of {stream.min_chunk}.."
            f"{stream.max_chunk} bytes; each ring moves {moved} in {s.ring_rounds} timed rounds "
            f"(plus one warm-up round)",
        ]
        if ctx.quick:
            notes.append(f"QUICK MODE: each ring moves only {moved} per run, not 1 GiB")
        mirror_row = (
            Variant(
                "ring.mirror",
                f"mirror ring  {s.ring_capacity // KiB} KiB, one copy per operation",
                pumping("mirror"),
                role="case",
                bytes_per_op=per_round,
                fixed_n=1,
                check=verified("mirror"),
            )
            if "mirror" in rings
            else Variant("ring.mirror", "mirror ring", None, role="case", skip=ctx.lacks("mirror"))
        )
        yield Group(
            "ring",
            f"5b. ring buffer showcase: {moved} through a {s.ring_capacity // KiB} KiB ring",
            [
                mirror_row,
                Variant(
                    "ring.split",
                    f"split ring   {s.ring_capacity // KiB} KiB bytearray, "
                    "copies split at the wrap",
                    pumping("split"),
                    bytes_per_op=per_round,
                    fixed_n=1,
                    check=verified("split"),
                ),
            ],
            [Comparison("ring.mirror", "ring.split", kind="speed", limit=1.0)],
            notes,
            samples=s.ring_rounds,
        )
