"""Building the C harness (``adapters/c/``): the model harness in a compiled language.

    cc -O2 -o harness adapters/c/harness.c adapters/c/mmap_posix.c -ljansson

:func:`build_c_harness` does that into a directory of the caller's, with ``$CC`` or
the first of cc, gcc and clang, and says why when it cannot (no compiler, or no
libjansson: Debian's ``libjansson-dev``). Tests and the bench build it; a binding's
author reads ``harness.c`` instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

C_DIR = Path(__file__).resolve().parent.parent / "c"
"""The C harness's sources: ``harness.c``, the binding ``mmap_posix.c`` and
``operations.h`` (generated from the table of operations)."""
SOURCES = ("harness.c", "mmap_posix.c")


def find_compiler() -> str | None:
    """``$CC`` if set, else the first of cc, gcc, clang on PATH."""
    if os.environ.get("CC"):
        return os.environ["CC"]
    return next((c for c in ("cc", "gcc", "clang") if shutil.which(c)), None)


def build_c_harness(directory: Path) -> Path | str:
    """The C harness compiled into ``directory``, or why it could not be."""
    cc = find_compiler()
    if cc is None:
        return "no C compiler (cc, gcc, clang or $CC) on PATH"
    exe = directory / "mmapspec-c-harness"
    cmd = [*cc.split(), "-O2", "-Wall", "-o", str(exe), *(str(C_DIR / s) for s in SOURCES)]
    try:
        done = subprocess.run(
            [*cmd, "-ljansson"], capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{cc} could not run: {exc}"
    if done.returncode != 0:
        why = "libjansson is missing" if "jansson" in done.stderr else "compilation failed"
        return f"{why}: {done.stderr.strip()[:500]}"
    return exe
