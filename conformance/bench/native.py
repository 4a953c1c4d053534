"""The C floor: a helper compiled at run time (the raw ctypes floor is ``libc.py``).

``compile_helper()`` builds ``helper.c`` with the system C compiler into a
temporary directory; when there is no compiler it returns the reason instead, and
the C rows are skipped with that message.
"""

from __future__ import annotations

import ctypes
import dataclasses
import errno
import os
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

from .libc import Fn


class NativeError(OSError):
    """A floor failed: the benchmark reports it instead of timing a broken baseline."""


@dataclasses.dataclass
class Helper:
    """The compiled ``helper.c``; see that file for what each function does."""

    compiler: str
    """The compiler's ``--version`` first line, for the JSON's machine section."""
    anon_loop: Fn
    mirror_create: Fn
    mirror_free: Fn
    mirror_loop: Fn
    msync_loop: Fn

    def check(self, rc: int, what: str) -> None:
        """Raise for a negative errno returned by a helper function."""
        if rc < 0:
            raise NativeError(-rc, f"C helper {what}: {os.strerror(-rc)}")

    def mirror(self, path: bytes, size: int, times: int) -> int:
        """One mirror via ctypes; its address."""
        addr = self.mirror_create(path, size, times)
        if not addr:
            e = ctypes.get_errno()
            raise NativeError(e, f"C helper mirror_create: {os.strerror(e)}")
        return int(addr)


def find_compiler() -> str | None:
    """``$CC`` if set, else the first of cc, gcc, clang on PATH."""
    if os.environ.get("CC"):
        return shutil.which(os.environ["CC"].split()[0]) and os.environ["CC"]
    for name in ("cc", "gcc", "clang"):
        if shutil.which(name):
            return name
    return None


def compile_helper(workdir: Path) -> Helper | str:
    """Compile and load the helper, or return why the C rows must be skipped."""
    cc = find_compiler()
    if cc is None:
        return "no C compiler (cc, gcc, clang or $CC) on PATH: C floor skipped"
    source = resources.files("mmapspec.bench").joinpath("helper.c").read_text()
    build = Path(tempfile.mkdtemp(prefix="cbuild-", dir=workdir))
    src, lib = build / "helper.c", build / "libmmapbench.so"
    src.write_text(source)
    cmd = [*cc.split(), "-O2", "-shared", "-fPIC", "-o", str(lib), str(src)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"C compiler {cc!r} could not run ({exc}): C floor skipped"
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or ["no output"])[0]
        return f"C compiler {cc!r} failed ({first}): C floor skipped"
    version = subprocess.run([*cc.split(), "--version"], capture_output=True, text=True)
    so = ctypes.CDLL(str(lib), use_errno=True)
    anon_loop = so.anon_loop
    anon_loop.argtypes = (ctypes.c_long, ctypes.c_size_t, ctypes.c_int, ctypes.c_int)
    anon_loop.restype = ctypes.c_long
    mirror_create = so.mirror_create
    mirror_create.argtypes = (ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int)
    mirror_create.restype = ctypes.c_void_p
    mirror_free = so.mirror_free
    mirror_free.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    mirror_free.restype = ctypes.c_int
    mirror_loop = so.mirror_loop
    mirror_loop.argtypes = (ctypes.c_long, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int)
    mirror_loop.restype = ctypes.c_long
    msync_loop = so.msync_loop
    msync_loop.argtypes = (
        ctypes.c_long,
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_int,
        ctypes.c_size_t,
    )
    msync_loop.restype = ctypes.c_long
    return Helper(
        compiler=(version.stdout.splitlines() or [cc])[0],
        anon_loop=anon_loop,
        mirror_create=mirror_create,
        mirror_free=mirror_free,
        mirror_loop=mirror_loop,
        msync_loop=msync_loop,
    )


def raise_errno(what: str) -> None:
    """Raise the errno of the last ctypes call."""
    e = ctypes.get_errno() or errno.EIO
    raise NativeError(e, f"{what}: {os.strerror(e)}")


__all__ = [
    "Helper",
    "NativeError",
    "compile_helper",
    "find_compiler",
    "raise_errno",
]
