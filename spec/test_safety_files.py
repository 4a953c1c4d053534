"""Safety of files after a failure: a map or mirror that fails leaves every file it was
given as it was (size, bytes, mode), including on the paths that could grow the file
first and fail after (an address in use, a mirror whose second copy's place is taken).

Growing and shrinking back is no way out: another process that appends to the file in
between loses what it wrote. So the last test makes the same failing call again and
again while another process appends numbered records, and then looks for every record.
These clauses (``basis="safety"``) are in no sentence of the document.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from mmapspec.adapters.interface import Adapter
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import (
    Maps,
    Outcome,
    free_address,
    new_file,
    os_page,
    pattern,
    ref,
    same,
)

pytestmark = pytest.mark.clause("safety.files.untouched-after-failure")

PAGES = 64
"""The size asked for, in pages: far more than the one-page file holds."""
RECORD = 16
"""Bytes per record of the other writer: a number, zero-padded, and a newline."""
AT_LEAST = (0.3, 20)
"""The failing call is repeated for at least this many seconds and this many times, and
for as long as the other writer appends (a loaded machine may run the writer to its
last record before the first call: then nothing is appended between a grow and an
undo, and a binding that loses appends would pass)."""


def _state(path: Path) -> tuple[int, int, bytes]:
    st = os.stat(path)
    return st.st_size, st.st_mode, path.read_bytes()


def _same_as_before(path: Path, before: tuple[int, int, bytes], call: str) -> None:
    size, mode, content = _state(path)
    assert size == before[0], f"{call} failed and left the file {size} bytes long, not {before[0]}"
    assert mode == before[1], f"{call} failed and changed the file's mode {before[1]:o} to {mode:o}"
    same(content, before[2], f"{call} failed and changed the file's bytes")


def _failed(outcome: Outcome, call: str) -> None:
    assert outcome.kind != "value", f"{call}: was to fail (its address is in use), but {outcome}"


def test_a_map_at_an_address_in_use_leaves_the_file(
    adapter: Adapter, maps: Maps, tmp_path: Path
) -> None:
    p = os_page()
    way = maps.map(None, "w", 4 * p)
    path = new_file(tmp_path, pattern(p, seed=960))
    before = _state(path)
    call = f"map({path.name!r}, 'w', {PAGES * p}, 0, {way.addr:#x}) at a live map's address"
    with prerequisite("map.errcode.out-of-mem-addr-in-use", call):
        _failed(maps.try_map(ref(path), "w", PAGES * p, 0, way.addr), call)
    _same_as_before(path, before, call)


@pytest.mark.needs("mirror")
@pytest.mark.parametrize("taken", ["first copy", "second copy"])
def test_a_mirror_at_an_address_in_use_leaves_the_file(
    adapter: Adapter, maps: Maps, tmp_path: Path, taken: str
) -> None:
    """The whole range, or only the second copy's place, is in use: a binding that maps
    the copies one by one grows the file for the first and fails at the second."""
    p = os_page()
    size = PAGES * p
    if taken == "first copy":
        addr = maps.map(None, "w", 4 * p).addr
    else:
        addr = free_address(adapter, maps, 2 * size)
        with prerequisite("map.addr.used", "a map at the second copy's place"):
            got = maps.map(None, "w", size, None, addr + size)
            assert got.addr == addr + size, f"asked for {addr + size:#x}, mapped at {got.addr}"
    assert addr is not None
    path = new_file(tmp_path, pattern(p, seed=961))
    before = _state(path)
    call = f"mirror({path.name!r}, {size}, 2, {addr:#x}) with its {taken}'s place in use"
    with prerequisite("mirror.errcode.out-of-mem-addr-in-use", call):
        _failed(maps.try_mirror(ref(path), size, 2, addr), call)
    _same_as_before(path, before, call)


APPENDER = textwrap.dedent(
    """
    import os, sys, time
    path, stop, cap = sys.argv[1], sys.argv[2], int(sys.argv[3])
    # O_BINARY: Windows' C runtime would write each newline as two bytes
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_BINARY", 0))
    print("ready", flush=True)
    n = 0
    while n < cap and not (n % 16 == 0 and os.path.exists(stop)):
        os.write(fd, b"%015d\\n" % n)
        n += 1
        if n % 16 == 0:
            time.sleep(0.0002)
    os.close(fd)
    print(n, flush=True)
    """
)
"""Another process: appends numbered records (O_APPEND) until told to stop, then says
how many it wrote."""


def test_a_failing_map_loses_nothing_another_process_appends(
    adapter: Adapter, maps: Maps, tmp_path: Path
) -> None:
    p = os_page()
    way = maps.map(None, "w", 4 * p)
    head = pattern(p, seed=962)
    path = new_file(tmp_path, head)
    stop = tmp_path / "stop"
    cap = PAGES * p // RECORD // 2  # the file stays shorter than the size asked for
    writer = subprocess.Popen(
        [sys.executable, "-c", APPENDER, str(path), str(stop), str(cap)],
        stdout=subprocess.PIPE,
        text=True,
    )
    call = f"map({path.name!r}, 'w', {PAGES * p}, 0, {way.addr:#x}) at a live map's address"
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
        calls, started = 0, time.monotonic()
        while (
            calls < AT_LEAST[1] or time.monotonic() - started < AT_LEAST[0] or writer.poll() is None
        ):
            with prerequisite("map.errcode.out-of-mem-addr-in-use", call):
                _failed(maps.try_map(ref(path), "w", PAGES * p, 0, way.addr), call)
            calls += 1
    finally:
        stop.touch()
        out, _ = writer.communicate(timeout=30)
    written = int(out.split()[-1])
    expected = head + b"".join(b"%015d\n" % n for n in range(written))
    got = path.read_bytes()
    if got != expected:  # compared by same(): pytest's own diff of a grown file takes minutes
        same(got, expected, _lost(got, expected, written, f"{call}, made {calls} times"))


def _lost(got: bytes, expected: bytes, written: int, what: str) -> str:
    # One pass: the records still in the file (a record may follow a grown stretch of zeros).
    present = {line.lstrip(b"\0") for line in got.split(b"\n")}
    kept = sum(1 for n in range(written) if b"%015d" % n in present)
    return (
        f"{what} while another process appended {written} records of {RECORD} bytes: the "
        f"file is {len(got)} bytes, not {len(expected)}; {written - kept} of the records are "
        "lost" + ("" if len(got) <= len(expected) else ", and zeros stand where it was grown")
    )
