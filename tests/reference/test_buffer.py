"""The buffer protocol: views share the memory, and free() refuses while views exist."""

from __future__ import annotations

import ctypes
import gc
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mmapspec import reference as mm

PS = mm.pagesize()


def test_memoryview_shares_the_memory() -> None:
    with mm.map(size=16, access="w") as m:
        with memoryview(m) as v:
            assert v.nbytes == 16 and not v.readonly
            v[0:3] = b"abc"
        assert m[0:3] == b"abc"


def test_free_with_a_live_view_raises_buffer_error_then_succeeds() -> None:
    m = mm.map(size=16, access="w")
    v = memoryview(m)
    s = v[2:5]  # a slice shares the export
    v.release()
    with pytest.raises(BufferError, match="exported"):
        m.free()
    assert m[0:1] == b"\0"  # still mapped and usable
    s.release()
    m.free()
    assert m.freed


def test_numpy_frombuffer_counts_as_an_export(tmp_path: Path) -> None:
    p = tmp_path / "f"
    p.write_bytes(bytes(range(8)))
    m = mm.map(p, "w")
    a = np.frombuffer(m, dtype=np.uint8)
    assert a.tolist() == list(range(8)) and a.flags.writeable
    a[0] = 99
    with pytest.raises(BufferError):
        m.free()
    del a
    gc.collect()
    m.free()
    assert p.read_bytes()[0] == 99


def test_read_only_map_exports_a_read_only_buffer() -> None:
    with mm.map(size=8) as m:
        a = np.frombuffer(m, dtype=np.uint8)  # numpy retries read-only after refusal
        assert not a.flags.writeable and a.sum() == 0
        del a
        with memoryview(m) as v:
            assert v.readonly
            with pytest.raises(TypeError):
                v[0:1] = b"x"


def test_writable_request_on_read_only_map_fails_cleanly() -> None:
    with mm.map(size=8) as m:
        with pytest.raises(TypeError, match="not writable"):
            ctypes.c_char.from_buffer(m)
        assert m[0] == 0  # and no export was left behind
    assert m.freed


def test_dropped_map_is_freed(tmp_path: Path) -> None:
    def maps_lines() -> int:
        with open("/proc/self/maps") as f:
            return sum(str(tmp_path) in line for line in f)

    p = tmp_path / "f"
    p.write_bytes(b"x" * PS)
    m = mm.map(p)
    assert maps_lines() == 1
    del m
    gc.collect()
    assert maps_lines() == 0


def test_slicing_copies_and_assignment_writes() -> None:
    with mm.map(size=10, access="c") as m:
        m[0:10] = b"0123456789"
        assert m[2:5] == b"234" and m[-1] == ord("9") and m[::3] == b"0369"
        m[9] = ord("z")
        assert m[9:] == b"z"
        with pytest.raises(ValueError):
            m[0:2] = b"toolong"
        with pytest.raises(IndexError):
            m[10]


def test_freed_map_is_not_a_buffer() -> None:
    m = mm.map(size=8, access="w")
    m.free()
    with pytest.raises(TypeError):
        memoryview(m)  # see _buffer: a freed map stops exporting
    with pytest.raises(ValueError, match="map is freed"):
        m[0:1]


def test_mirror_buffer_spans_every_copy(tmp_path: Path) -> None:
    mi = mm.mirror(tmp_path / "r", PS, 2)
    a = np.frombuffer(mi, dtype=np.uint8)
    assert a.size == 2 * PS
    a[PS + 1] = 7
    assert mi[1] == 7
    with pytest.raises(BufferError):
        mi.free()
    with pytest.raises(BufferError):
        mi.maps[0].free()  # a copy is covered by the mirror's view
    del a
    gc.collect()
    mi.free()


RACE_ROUNDS = 300
RACE_VIEWS = 200


# The child of the race test below: RACE_ROUNDS rounds, each with one thread taking
# views and one freeing; it prints what each side saw, counted.
RACE_CHILD = f"""
import collections, json, sys, threading
from mmapspec import reference as mm
sys.setswitchinterval(1e-6)
seen = collections.Counter()
for _ in range({RACE_ROUNDS}):
    m = mm.map(size=mm.pagesize(), access="w")
    barrier = threading.Barrier(2)
    started = threading.Event()
    def take_views():
        barrier.wait()
        for _ in range({RACE_VIEWS}):
            try:
                with memoryview(m) as v:
                    v[0] = 1
            except TypeError:
                seen["view refused: freed"] += 1
                break
            except BaseException as e:
                seen[f"view: {{type(e).__name__}}: {{e}}"] += 1
                break
            finally:
                started.set()
            try:
                m[1] = 1
            except ValueError as e:
                seen[f"item refused: {{e}}"] += 1
                break
            except BaseException as e:
                seen[f"item: {{type(e).__name__}}: {{e}}"] += 1
                break
    def free():
        barrier.wait()
        started.wait()
        while True:
            try:
                m.free()
                return
            except BufferError as e:
                why = "taking" if "taking a buffer" in str(e) else "exported"
                seen[f"free refused: {{why}}"] += 1
            except BaseException as e:
                seen[f"free: {{type(e).__name__}}: {{e}}"] += 1
                return
    threads = [threading.Thread(target=take_views), threading.Thread(target=free)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seen["freed"] += m.freed
print(json.dumps(seen))
"""


def test_a_view_racing_free_gets_the_documented_error_never_system_error(run_child: Any) -> None:
    # Two real threads per round, released together by a barrier: one takes views of
    # the map in a loop (writing through each, and through m[i], which takes a view
    # inside, up to RACE_VIEWS times), the other, once the first view exists, frees
    # the map, retrying while a view exists. Each view that meets free() must either
    # win (free raises BufferError) or get the freed error (TypeError from memoryview,
    # see _buffer; ValueError from m[i]): never SystemError, and never a view of
    # unmapped memory (that would crash the child). The child switches threads as
    # often as CPython allows, so views are paused inside the buffer callback often.
    r = run_child(RACE_CHILD, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    seen = json.loads(r.stdout.strip().splitlines()[-1])
    refusals = {"view refused: freed", "item refused: map is freed"}
    frees_refused = {"free refused: taking", "free refused: exported"}
    assert set(seen) <= {*refusals, *frees_refused, "freed"}, seen
    assert seen.get("freed") == RACE_ROUNDS, seen
    # Both sides won sometimes, and free() met views inside the buffer callback.
    assert sum(seen.get(k, 0) for k in refusals) > 0, seen
    assert seen.get("free refused: taking", 0) > 0, seen


def test_a_view_of_a_map_freed_after_the_check_is_the_freed_error() -> None:
    # m[i] checks, then takes a view: another thread's free() in between makes the
    # view fail in C with TypeError, which must come out as the documented ValueError.
    m = mm.map(size=PS, access="w")
    m.free()
    with pytest.raises(ValueError, match="map is freed"):
        m._view()
