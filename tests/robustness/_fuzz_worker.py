"""The fuzz worker: a child process that makes hostile calls to the reference.

Run as ``python _fuzz_worker.py SCRATCH_DIR TAG_PREFIX``. It reads pickled *recipes* from
stdin and answers each with a pickled list of contract violations (empty when the
call behaved). A recipe describes the call with plain data; the hostile objects
it names (closed descriptors, pipes, sockets, read-only file objects, addresses of
live memory...) are created here, just before the call, because they only make
sense inside the process that makes it.

The hostile objects are made by ``_fuzz_objects.py``, the contract's checks are in
``_fuzz_checks.py``; this module runs the calls and checks their side effects.

Everything dangerous happens in this process, so that a crash of the interpreter
(SIGSEGV, SIGBUS, abort) kills only the worker; the parent notices the death,
reports the recipe and lets Hypothesis shrink it.

For each recipe the worker checks the whole contract (with the readings recorded in the catalogue):

* the call ends in a documented result, a ValueError/TypeError whose message names
  a parameter of the function, or an MmapError carrying a documented errcode or
  an OS error number; nothing else;
* no descriptor and no mapping is left behind (counted from /proc/self);
* descriptors and file objects handed in stay open (``free.keeps-caller-file-open``);
* an existing file keeps its bytes; a failed call leaves its size alone too, and a
  file that did not exist before a failed call does not exist after it
  (``map.fails.leaves-files-alone``, ``map.fails.removes-created-file``);
* a live mapping we own (the canary) is never overwritten by a hinted address;
* results are right: sizes, alignment, requested address, file contents, and the
  mirror invariant (``mirror.invariant``).
"""

from __future__ import annotations

import contextlib
import ctypes
import mmap as pymmap
import os
import pickle
import resource
import signal
import struct
import sys
from typing import Any

import _resources  # noqa: I001  (imported by path: this file runs as a script)
from _fuzz_checks import (
    actual_size,
    aligned_ok,
    bind_args,
    check_exception,
    has_write,
    mirror_invariant,
    read,
    source_contents,
    unlinks,
    unmapped_within,
)
from _fuzz_objects import PAGE, Call, Materialiser, digest, pattern
from mmapspec import reference as mm

# File growth is capped in this process, so a hostile size cannot fill the disk or
# /dev/shm (which other tests share): growth beyond the cap fails with EFBIG
# instead of killing us with SIGXFSZ.
FSIZE_CAP = 64 << 20


class Worker:
    def __init__(self, scratch: str, tag_prefix: str) -> None:
        self.scratch = scratch
        # A live mapping of ours, with a known pattern, that hinted maps must not replace.
        self.canary = pymmap.mmap(-1, 3 * PAGE)
        self.canary_data = pattern(3 * PAGE, 77)
        self.canary[:] = self.canary_data
        self.canary_addr = ctypes.addressof(ctypes.c_char.from_buffer(self.canary))
        self.mat = Materialiser(scratch, self.canary_addr, tag_prefix)

    def run(self, recipe: dict[str, Any]) -> list[str]:
        if recipe["func"] == "_crash":  # lets the parent's tests prove crash detection works
            ctypes.memset(0, 0, 1)
        call = Call(self.scratch, self.mat.tag_prefix)
        try:
            args = [self.mat.value(s, call) for s in recipe["args"]]
            kwargs = {k: self.mat.value(s, call) for k, s in recipe["kwargs"].items()}
            before = _resources.snapshot(collect=False)
            problems = self._call(recipe, call, args, kwargs)
            problems += [f"leak: {p}" for p in _resources.leaks(before)]
            problems += self._check_files(recipe, call)
            problems += self._check_handed_in(call)
            if read(self.canary_addr, len(self.canary_data)) != self.canary_data:
                problems.append("the canary mapping was overwritten")
                self.canary[:] = self.canary_data
            return problems
        finally:
            for clean in reversed(call.cleanups):
                clean()

    # -- the call and its result -------------------------------------------------
    def _call(
        self, recipe: dict[str, Any], call: Call, args: list[Any], kwargs: dict[str, Any]
    ) -> list[str]:
        func = recipe["func"]
        try:
            result = getattr(mm, func)(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 (classifying is the point)
            recipe["_outcome"] = "error"
            return check_exception(func, exc)
        recipe["_outcome"] = "ok"
        bound = bind_args(func, args, kwargs)
        checker = getattr(self, f"_ok_{func}")
        return checker(recipe, call, bound, result)

    def _ok_pagesize(
        self, recipe: Any, call: Call, bound: dict[str, Any], result: Any
    ) -> list[str]:
        ok = isinstance(result, int) and result > 0 and result & (result - 1) == 0
        return [] if ok else [f"pagesize() returned {result!r}"]

    def _ok_aligned_size(
        self, recipe: Any, call: Call, bound: dict[str, Any], result: Any
    ) -> list[str]:
        n = bound.get("n", bound.get("bytes"))
        return aligned_ok("aligned_size", n, bound.get("dir", "right"), result)

    def _ok_aligned_addr(
        self, recipe: Any, call: Call, bound: dict[str, Any], result: Any
    ) -> list[str]:
        return aligned_ok("aligned_addr", bound.get("ptr"), bound.get("dir", "right"), result)

    def _ok_unlink(self, recipe: Any, call: Call, bound: dict[str, Any], result: Any) -> list[str]:
        name = bound.get("tagname", bound.get("file", bound.get("name")))
        if isinstance(name, str) and os.path.exists("/dev/shm/" + name.lstrip("/")):
            return [f"unlink({name!r}) succeeded but the shared memory file is still there"]
        return []

    def _ok_filesize(
        self, recipe: Any, call: Call, bound: dict[str, Any], result: Any
    ) -> list[str]:
        size = bound.get("size")
        actual = actual_size(bound.get("file"))
        if not isinstance(result, int) or isinstance(result, bool):
            return [f"filesize returned {result!r}"]
        if size is None:
            if actual is not None and result != actual:
                return [f"filesize returned {result}, the file has {actual} bytes"]
            return []
        problems = []
        if result != size:
            problems.append(f"filesize(file, {size!r}) returned {result!r}")
        if actual is not None and actual != size:
            problems.append(f"filesize(file, {size!r}) left the file at {actual} bytes")
        recipe["_resized"] = True
        return problems

    def _ok_map(self, recipe: Any, call: Call, bound: dict[str, Any], m: Any) -> list[str]:
        problems: list[str] = []
        try:
            problems += self._check_map(recipe, call, bound, m)
            for method, specs in recipe.get("then", ()):
                problems += self._method(m, method, [self.mat.value(s, call, m) for s in specs])
        finally:
            problems += self._free_twice(m, "map")
        return problems

    def _check_map(self, recipe: Any, call: Call, bound: dict[str, Any], m: Any) -> list[str]:
        problems = []
        addr, size = getattr(m, "addr", None), getattr(m, "size", None)
        if not isinstance(addr, int) or addr <= 0 or addr % PAGE:
            return [f"map returned addr {addr!r}: not a page-aligned address"]
        if not isinstance(size, int) or size <= 0:
            return [f"map returned size {size!r}"]
        if bound.get("size") is not None and size != bound["size"]:
            problems.append(f"map(size={bound['size']!r}) returned size {size}")
        if bound.get("addr") is not None and addr != bound["addr"]:
            problems.append(f"map(addr={bound['addr']:#x}) mapped at {addr:#x} instead")
        unmapped = unmapped_within(addr, size, "map")
        if unmapped:
            return problems + unmapped  # touching it would crash: report the lie instead
        # Touch both ends: a map larger than its file would die of SIGBUS here.
        read(addr, 1)
        read(addr + size - 1, 1)
        offset = bound.get("offset") or 0
        src = source_contents(bound.get("file"), call, bound.get("tagname"))
        if src is not None and isinstance(offset, int):
            expect = src[offset : offset + min(size, 4 * PAGE)]
            got = read(addr, len(expect))
            if got != expect:
                problems.append(f"mapped bytes differ from the file at offset {offset}")
        access = bound.get("access") or ""
        if access in ("w", "c", "wx", "cx"):
            data = pattern(min(size, 64), 5)
            ctypes.memmove(addr, data, len(data))
            if read(addr, len(data)) != data:
                problems.append("writing to a writable map did not stick")
            if "c" in access:
                recipe["_wrote_cow"] = True
            else:
                recipe["_wrote"] = True
        return problems

    def _method(self, m: Any, method: str, args: list[Any]) -> list[str]:
        func = "unlink_map" if method == "unlink" else method
        try:
            getattr(m, method)(*args)
        except Exception as exc:  # noqa: BLE001
            return check_exception(func, exc)
        return []

    def _free_twice(self, obj: Any, what: str) -> list[str]:
        problems = []
        try:
            obj.free()
            obj.free()  # idempotent
        except Exception as exc:  # noqa: BLE001
            problems.append(f"{what}.free() raised {exc!r}")
        if what == "map":
            try:
                obj.flush()
                problems.append("flush() after free() did not raise")
            except ValueError:
                pass
            except Exception as exc:  # noqa: BLE001
                problems.append(f"flush() after free() raised {exc!r}, not ValueError")
        return problems

    def _ok_mirror(self, recipe: Any, call: Call, bound: dict[str, Any], mr: Any) -> list[str]:
        problems: list[str] = []
        try:
            addr, size, maps = mr.addr, mr.size, list(mr.maps)
            times = 2 if bound.get("times") is None else bound["times"]  # None: not given
            want = -(-bound["size"] // PAGE) * PAGE
            if size != want:
                problems.append(f"mirror(size={bound['size']!r}).size is {size}, want {want}")
            if len(maps) != times:
                problems.append(f"mirror(times={times!r}) has {len(maps)} maps")
            if bound.get("addr") is not None and addr != bound["addr"]:
                problems.append(f"mirror(addr={bound['addr']:#x}) is at {addr:#x}")
            if not problems:
                problems += unmapped_within(addr, size * times, "mirror")
            if not problems:
                problems += mirror_invariant(addr, size, times)
            recipe["_wrote"] = True
        finally:
            problems += self._free_twice(mr, "mirror")
        return problems

    # -- side effects ---------------------------------------------------------------
    def _check_files(self, recipe: dict[str, Any], call: Call) -> list[str]:
        problems = []
        ok = recipe["_outcome"] == "ok"
        wrote = recipe.get("_wrote", False)
        resized = recipe.get("_resized", False)
        grows = ok and (recipe["func"] in ("mirror", "filesize") or has_write(recipe))
        for f in call.fobjs:  # a call that failed early need not have flushed them
            with contextlib.suppress(Exception):
                f.flush()
        for w in call.files:
            exists = os.path.exists(w.path)
            if not w.existed:
                if exists and not ok:
                    problems.append(
                        f"a failed {recipe['func']} left behind the file it created: {w.path}"
                    )
                if exists and ok and recipe["func"] == "map" and not has_write(recipe):
                    problems.append(f"a map without write access created {w.path}")
                continue
            if not exists:
                if not (ok and unlinks(recipe)):
                    problems.append(f"{recipe['func']} removed an existing file {w.path}")
                continue
            with open(w.path, "rb") as f:
                now = f.read()
            if len(now) != w.size and not grows:
                what = f"{recipe['func']} ({recipe['_outcome']})"
                problems.append(f"{what} resized {w.path}: {w.size} -> {len(now)}")
            keep = min(w.size, len(now)) if resized else w.size
            if wrote:
                continue  # our own writes through a shared map legitimately change it
            if digest(now[:keep]) != digest(call.contents[w.path][:keep]):
                problems.append(f"{recipe['func']} changed the bytes of existing file {w.path}")
        return problems

    def _check_handed_in(self, call: Call) -> list[str]:
        problems = []
        for fd, ino in call.fds:
            try:
                if os.fstat(fd).st_ino != ino:
                    problems.append(f"descriptor {fd} handed in now refers to another file")
            except OSError:
                problems.append(f"descriptor {fd} handed in was closed")
        for f in call.fobjs:
            if getattr(f, "closed", False) or (hasattr(f, "_closed") and f._closed):
                problems.append(f"file object {f!r} handed in was closed")
        return problems


def _serve() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (FSIZE_CAP, resource.RLIM_INFINITY))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    # The protocol moves to descriptors of its own; 0 and 1 become /dev/null, so a
    # fuzzed small integer used as a descriptor cannot hit the protocol pipes.
    inp = os.fdopen(os.dup(0), "rb", buffering=0)
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    import faulthandler

    faulthandler.enable()  # a crash prints the Python stack to stderr for the parent
    os.chdir(sys.argv[1])  # fuzzed relative names ("4096", "object") land in the scratch dir
    worker = Worker(sys.argv[1], sys.argv[2])
    while True:
        head = inp.read(4)
        if len(head) < 4:
            return
        (n,) = struct.unpack("<I", head)
        buf = b""
        while len(buf) < n:
            chunk = inp.read(n - len(buf))
            if not chunk:
                return
            buf += chunk
        recipe = pickle.loads(buf)
        try:
            reply: Any = worker.run(recipe)
        except Exception as exc:  # noqa: BLE001 (a harness bug, reported as such)
            import traceback

            reply = [f"worker error (harness): {exc!r}\n{traceback.format_exc()}"]
        data = pickle.dumps(reply)
        out.write(struct.pack("<I", len(data)) + data)


if __name__ == "__main__":
    _serve()
