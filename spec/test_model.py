"""A stateful model of one file and its maps, checked against a byte-array model.

Hypothesis opens maps in every access mode, writes, flushes, frees, resizes the file
(only while nothing maps it, as the filesize NOTE demands) and reads the file back.
What the model insists on is what the document promises and nothing more:

* a shared map ('', 'w', 'x', 'wx') shows the file; once every write is flushed, every
  shared map and the file on disk hold exactly the model's bytes (flush visibility);
* a writer sees its own writes at once;
* a copy-on-write map ('c', 'cx') sees its own writes, and nobody else ever does: not
  the file, not any other map. Bytes it has not written show the file as it was at
  some moment since the map was made (the document does not say whether later writes
  through other maps show through);
* a map without write access on a file too short fails with 'file_too_short', one
  with write access extends the file (bytes appended that way are undefined until
  written, so the model does not check them).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from mmapspec.adapters.interface import ACCESS_MODES, Adapter, MapInfo
from mmapspec.spec.support import Maps, assert_fails, new_file, page, pattern, ref, same

SHARED = ("", "w", "x", "wx")
WRITERS = ("w", "wx")
PRIVATE = ("c", "cx")
MAX_MAPS = 5


@dataclasses.dataclass
class Live:
    info: MapInfo
    access: str
    offset: int
    size: int
    opened_at: int
    """Index into the model's history of file versions when the map was made."""
    own: dict[int, int] = dataclasses.field(default_factory=dict)
    """For copy-on-write maps: file position -> the byte this map wrote there."""

    @property
    def handle(self) -> int:
        return self.info.handle


class FileAndMaps(RuleBasedStateMachine):
    adapter: ClassVar[Adapter]
    directory: ClassVar[Path]

    def __init__(self) -> None:
        super().__init__()
        self.p = page(self.adapter)
        self.maps = Maps(self.adapter)
        self.live: list[Live] = []
        self.dirty: set[int] = set()
        self.file = bytearray()
        self.known: list[bool] = []
        self.history: list[bytes] = []
        caps = self.adapter.capabilities.names()
        self.modes = [m for m in ACCESS_MODES if f"access:{m}" in caps]
        self.kinds = [k for k in ("name", "fd", "fileobj") if f"file:{k}" in caps]

    # -- model helpers -----------------------------------------------------------

    def _resize_model(self, length: int) -> None:
        if length < len(self.file):
            del self.file[length:]
            del self.known[length:]
        else:
            grow = length - len(self.file)
            self.file.extend(b"\0" * grow)
            self.known.extend([False] * grow)
        self.history.append(bytes(self.file))

    def _check_shared(self, m: Live) -> None:
        got = self.adapter.read(m.handle, 0, m.size)
        want = self.file[m.offset : m.offset + m.size]
        if got == want:
            return
        for i in self._differences(got, want):
            pos = m.offset + i
            assert not self.known[pos], (
                f"{m.access!r} map at offset {m.offset}: byte {i} is {got[i]}, the file's is "
                f"{want[i]} (a leak from a 'c' map, or a lost write)"
            )

    def _check_private(self, m: Live) -> None:
        got = self.adapter.read(m.handle, 0, m.size)
        want = bytearray(self.file[m.offset : m.offset + m.size])
        for pos, b in m.own.items():
            want[pos - m.offset] = b
        if got == want:
            return
        for i in self._differences(got, want):
            pos = m.offset + i
            assert pos not in m.own, f"{m.access!r} map lost its own write at byte {i}"
            if self.known[pos]:
                seen = {v[pos] for v in self.history[m.opened_at :] if pos < len(v)}
                assert got[i] in seen, f"{m.access!r} map byte {i} is {got[i]}, never the file's"

    @staticmethod
    def _differences(got: bytes, want: bytes | bytearray) -> list[int]:
        return [i for i, (a, b) in enumerate(zip(got, want, strict=True)) if a != b]

    # -- rules ---------------------------------------------------------------------

    @initialize(length=st.integers(0, 3 * 4096))
    def make_file(self, length: int) -> None:
        self.file = bytearray(pattern(length, seed=length))
        self.known = [True] * length
        self.history = [bytes(self.file)]
        self.path = new_file(self.directory, bytes(self.file))

    @precondition(lambda self: len(self.live) < MAX_MAPS)
    @rule(data=st.data())
    def open_map(self, data: st.DataObject) -> None:
        access = data.draw(st.sampled_from(self.modes), label="access")
        offset = data.draw(st.integers(0, 2), label="offset pages") * self.p
        size = data.draw(st.integers(1, 3 * self.p), label="size")
        kind = data.draw(st.sampled_from(self.kinds), label="file kind")
        # Write access needs a file opened for writing; the others get either mode.
        mode = "r+" if access in WRITERS else data.draw(st.sampled_from(["r", "r+"]), label="mode")
        file = ref(self.path, kind, mode)
        if offset + size > len(self.file) and access not in WRITERS:
            assert_fails(
                self.maps.try_map(file, access, size, offset),
                "file_too_short",
                why=f"{access!r} map of {offset}+{size} on a file of {len(self.file)} bytes",
            )
            return
        m = self.maps.map(file, access, size, offset)
        assert m.size == size
        if offset + size > len(self.file):
            self._resize_model(offset + size)
        assert self.path.stat().st_size == len(self.file), (
            "the file was not extended to offset+size"
        )
        live = Live(m, access, offset, size, opened_at=len(self.history) - 1)
        self.live.append(live)
        if not self.dirty:
            (self._check_private if access in PRIVATE else self._check_shared)(live)

    @precondition(lambda self: any(m.access in WRITERS + PRIVATE for m in self.live))
    @rule(data=st.data())
    def write(self, data: st.DataObject) -> None:
        m = data.draw(
            st.sampled_from([m for m in self.live if m.access in WRITERS + PRIVATE]), label="map"
        )
        at = data.draw(st.integers(0, m.size - 1), label="at")
        chunk = data.draw(st.binary(min_size=1, max_size=min(64, m.size - at)), label="bytes")
        self.adapter.write(m.handle, at, chunk)
        same(self.adapter.read(m.handle, at, len(chunk)), chunk, "a map reading its own write")
        for k, b in enumerate(chunk):
            pos = m.offset + at + k
            if m.access in PRIVATE:
                m.own[pos] = b
            else:
                self.file[pos] = b
                self.known[pos] = True
        if m.access in WRITERS:
            self.dirty.add(m.handle)
            self.history.append(bytes(self.file))

    @precondition(lambda self: bool(self.live))
    @rule(data=st.data())
    def flush(self, data: st.DataObject) -> None:
        m = data.draw(st.sampled_from(self.live), label="map")
        assert self.adapter.flush(m.handle) is True
        self.dirty.discard(m.handle)

    @precondition(lambda self: any(m.handle not in self.dirty for m in self.live))
    @rule(data=st.data())
    def free(self, data: st.DataObject) -> None:
        m = data.draw(
            st.sampled_from([m for m in self.live if m.handle not in self.dirty]), label="map"
        )
        self.live.remove(m)
        self.maps.free(m.info)

    @precondition(lambda self: not self.live)
    @rule(length=st.integers(0, 4 * 4096))
    def resize(self, length: int) -> None:
        assert self.adapter.filesize(ref(self.path), length) == length
        self._resize_model(length)

    @precondition(lambda self: not self.dirty)
    @rule()
    def read_file(self) -> None:
        on_disk = self.path.read_bytes()
        assert len(on_disk) == len(self.file)
        for pos, b in enumerate(on_disk):
            if self.known[pos]:
                assert b == self.file[pos], (
                    f"file byte {pos} is {b}, the model's is {self.file[pos]}"
                )

    @invariant()
    def views_agree_once_flushed(self) -> None:
        if self.dirty:
            return
        for m in self.live:
            (self._check_private if m.access in PRIVATE else self._check_shared)(m)

    # -- plumbing --------------------------------------------------------------------

    def teardown(self) -> None:
        self.maps.close()


@pytest.mark.clause(
    "map.access.w",
    "map.access.c",
    "map.offset.maps-from-offset",
    "map.file.short-write-extends",
    "map.errcode.file-too-short",
    "flush.sync",
    "filesize.set.unmap-resize-remap",
)
def test_file_and_its_maps(adapter: Adapter, tmp_path: Path) -> None:
    machine = type("FileAndMapsHere", (FileAndMaps,), {"adapter": adapter, "directory": tmp_path})
    run_state_machine_as_test(machine, settings=settings(stateful_step_count=25))
