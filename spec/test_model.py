"""A stateful model of one file and its maps, checked against a byte-array model.

Hypothesis opens maps ('', 'x', 'w', 'c'), writes, flushes, frees, resizes the file
(only while nothing maps it, as the filesize NOTE demands, and through the OS) and
reads the file back through the OS. What the model insists on is what the document
promises and nothing more:

* a shared map ('', 'x', 'w') shows the file; once every write is flushed, every
  shared map and the file on disk hold exactly the model's bytes;
* a writer sees its own writes at once;
* a copy-on-write map ('c') sees its own writes, and nobody else ever does: not the
  file, not any other map. Bytes it has not written show the file as it was at some
  moment since the map was made (the document does not say whether later writes
  through other maps show through);
* a map without write access of a size past the end of the file fails with
  'file_too_short'; one with write access extends the file (bytes appended that way
  are undefined until written, so the model does not check them).

The model judges several clauses in one run, so each rule runs inside ``checking``
and each difference it finds is raised as the :class:`Violation` of the clause it
contradicts (a copy-on-write byte that leaked is 'c''s, a write that was lost is
'w''s). What it only relies on is kept apart: modes and file kinds that do not map
a file at all are left out before the run (their own tests report them); free and
the modes it does not judge ('', 'x') run inside ``prerequisite``; what flush
returns is flush.sync's to judge, so a map counts as flushed only when flush said
true. The offsets the model maps at rely on ``map.offset.maps-from-offset``, which
has its own test: a failure while it does not pass is reported as blocked by it.
'wx' and 'cx' are 'w' and 'c' plus the execute bit; their own tests judge them, so
the model leaves them out.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, ClassVar

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
from mmapspec.adapters.interface import Adapter, FileRef, MapInfo
from mmapspec.spec.attribution import PrerequisiteFailed, Violation, checking, prerequisite
from mmapspec.spec.support import (
    Maps,
    Outcome,
    errcode_matches,
    new_file,
    os_page,
    outcome_of,
    page,
    pattern,
    ref,
)

WRITERS = ("w",)
PRIVATE = ("c",)
MAX_MAPS = 5
PAGE = os_page()
"""The OS's allocation granularity (64 KiB on Windows): file lengths span a few of them."""

W, C = "map.access.w", "map.access.c"
EXTENDS = "map.file.short-write-extends"
TOO_SHORT = "map.errcode.file-too-short"
MODEL_CLAUSES = (W, C, EXTENDS, TOO_SHORT)

NOT_JUDGED = {"": "map.access.default-read-only", "x": "map.access.x"}
"""Modes the model maps but does not judge: a failure of theirs blocks the run."""


@dataclasses.dataclass
class Live:
    info: MapInfo
    access: str
    offset: int
    size: int
    call: str
    """The map call, as messages name it."""
    opened_at: int
    """Index into the model's history of file versions when the map was made."""
    own: dict[int, int] = dataclasses.field(default_factory=dict)
    """For copy-on-write maps: file position -> the byte this map wrote there."""

    @property
    def handle(self) -> int:
        return self.info.handle


def _described_map(file: FileRef, access: str, size: int, offset: int) -> str:
    how = Path(file.path).name if file.kind == "name" else f"<{file.kind} ({file.mode})>"
    return f"map({how!r}, {access!r}, {size}, {offset})"


class FileAndMaps(RuleBasedStateMachine):
    adapter: ClassVar[Adapter]
    directory: ClassVar[Path]
    modes: ClassVar[list[str]]
    kinds: ClassVar[list[str]]

    def __init__(self) -> None:
        super().__init__()
        with prerequisite("pagesize.returns-page-size", "pagesize()"):
            self.p = page(self.adapter)
        self.maps = Maps(self.adapter)
        self.live: list[Live] = []
        self.dirty: set[int] = set()
        self.file = bytearray()
        self.known: list[bool] = []
        """Whether the model knows a byte (bytes a write access map appended are not)."""
        self.written: set[int] = set()
        """Positions last changed by a write through a 'w' map."""
        self.private_bytes: dict[int, set[int]] = {}
        """Every byte a 'c' map ever wrote at a position (to recognise a leak)."""
        self.history: list[bytes] = []

    # -- model helpers -----------------------------------------------------------

    def _resize_model(self, length: int) -> None:
        if length < len(self.file):
            del self.file[length:]
            del self.known[length:]
            self.written = {pos for pos in self.written if pos < length}
        else:
            grow = length - len(self.file)
            self.file.extend(b"\0" * grow)
            self.known.extend([False] * grow)
        self.history.append(bytes(self.file))

    def _blame(self, pos: int, got: int, where: str, access: str) -> None:
        """A byte at ``pos`` that is not the model's: raise it as its clause's."""
        want = self.file[pos]
        what = f"{where}: byte at file position {pos} is {got}, expected {want}"
        seen = {v[pos] for v in self.history if pos < len(v)}
        if got in self.private_bytes.get(pos, set()) and got not in seen:
            raise Violation(C, f"{what}: a 'c' map's write leaked")
        if pos in self.written:
            raise Violation(W, f"{what}: a write through a 'w' map was lost")
        if access in NOT_JUDGED:
            raise PrerequisiteFailed(NOT_JUDGED[access], f"{what}: the map does not show the file")
        raise Violation(W, f"{what}: bytes nobody wrote changed")

    def _check_shared(self, m: Live) -> None:
        got = self.adapter.read(m.handle, 0, m.size)
        want = self.file[m.offset : m.offset + m.size]
        for i in self._differences(got, want):
            if self.known[m.offset + i]:
                self._blame(m.offset + i, got[i], m.call, m.access)

    def _check_private(self, m: Live) -> None:
        got = self.adapter.read(m.handle, 0, m.size)
        want = bytearray(self.file[m.offset : m.offset + m.size])
        for pos, b in m.own.items():
            want[pos - m.offset] = b
        for i in self._differences(got, want):
            pos = m.offset + i
            if pos in m.own:
                raise Violation(C, f"{m.call}: lost its own write at byte {i}: {got[i]}")
            if self.known[pos]:
                seen = {v[pos] for v in self.history[m.opened_at :] if pos < len(v)}
                if got[i] not in seen:
                    raise Violation(
                        C, f"{m.call}: byte {i} is {got[i]}, never the file's since it was made"
                    )

    def _check(self, m: Live) -> None:
        (self._check_private if m.access in PRIVATE else self._check_shared)(m)

    @staticmethod
    def _differences(got: bytes, want: bytes | bytearray) -> list[int]:
        return [i for i, (a, b) in enumerate(zip(got, want, strict=True)) if a != b]

    # -- rules ---------------------------------------------------------------------

    @initialize(length=st.integers(0, 3 * PAGE))
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
        call = _described_map(file, access, size, offset)
        short = offset + size > len(self.file)
        if short and access not in WRITERS:
            # Whether 'c' counts as write access, and what 'required size' means with
            # an offset, are other clauses': the model tries only the plain case.
            if access in PRIVATE or offset:
                return
            with checking(TOO_SHORT):
                outcome = self.maps.try_map(file, access, size, offset)
                assert outcome.kind == "fails" and errcode_matches(
                    outcome.errcode, "file_too_short"
                ), (
                    f"{call} of a {len(self.file)}-byte file: expected a failure with errcode "
                    f"'file_too_short', got: {outcome}"
                )
            return
        m = self._map(file, access, size, offset, call, extends=short)
        with prerequisite("map.size.given", call):
            rounded = -(-size // self.p) * self.p
            assert m.size in (size, rounded), f"{call}: expected map.size {size}, got {m.size}"
        if short:
            self._resize_model(offset + size)
        got = self.path.stat().st_size
        if not short and got < len(self.file):
            # A smaller 'w' map that shrank the file breaks safety.size.never-shrinks,
            # judged by its own test: not a rule of this model, which stops unjudged.
            pytest.skip(f"{call} shrank the file to {got} bytes: safety.size.never-shrinks")
        with checking(EXTENDS if short else W):
            assert got == len(self.file), (
                f"{call}: expected the file to have {len(self.file)} bytes, it has {got}"
            )
        live = Live(m, access, offset, size, call, opened_at=len(self.history) - 1)
        self.live.append(live)
        if not self.dirty:
            with checking(C if access in PRIVATE else W):
                self._check(live)

    def _map(
        self, file: FileRef, access: str, size: int, offset: int, call: str, extends: bool
    ) -> MapInfo:
        """The map call, attributed: how the file is handed over and the modes the model
        does not judge are prerequisites; the rest is the clause of the mode (or of
        extending the file)."""
        args: tuple[Any, ...] = (file, access, size, offset)
        if access in NOT_JUDGED:
            with prerequisite(NOT_JUDGED[access], call):
                return self.maps.map(*args)
        with checking(EXTENDS if extends else (C if access in PRIVATE else W)):
            outcome = self.maps.try_map(*args)
            assert outcome.kind == "value", f"{call}: expected a map, got: {outcome}"
            info: MapInfo = outcome.value
            return info

    @precondition(lambda self: any(m.access in WRITERS + PRIVATE for m in self.live))
    @rule(data=st.data())
    def write(self, data: st.DataObject) -> None:
        m = data.draw(
            st.sampled_from([m for m in self.live if m.access in WRITERS + PRIVATE]), label="map"
        )
        at = data.draw(st.integers(0, m.size - 1), label="at")
        chunk = data.draw(st.binary(min_size=1, max_size=min(64, m.size - at)), label="bytes")
        with checking(C if m.access in PRIVATE else W):
            self.adapter.write(m.handle, at, chunk)
            back = self.adapter.read(m.handle, at, len(chunk))
            assert back == chunk, f"{m.call}: wrote {chunk!r} at {at}, read back {back!r}"
        for k, b in enumerate(chunk):
            pos = m.offset + at + k
            if m.access in PRIVATE:
                m.own[pos] = b
                self.private_bytes.setdefault(pos, set()).add(b)
            else:
                self.file[pos] = b
                self.known[pos] = True
                self.written.add(pos)
        if m.access in WRITERS:
            self.dirty.add(m.handle)
            self.history.append(bytes(self.file))

    @precondition(lambda self: bool(self.live))
    @rule(data=st.data())
    def flush(self, data: st.DataObject) -> None:
        m = data.draw(st.sampled_from(self.live), label="map")
        # What flush returns is flush.sync's to judge; the model only counts a map as
        # flushed when it says it was.
        if outcome_of(self.adapter.flush, m.handle) == Outcome("value", value=True):
            self.dirty.discard(m.handle)

    @precondition(lambda self: any(m.handle not in self.dirty for m in self.live))
    @rule(data=st.data())
    def free(self, data: st.DataObject) -> None:
        m = data.draw(
            st.sampled_from([m for m in self.live if m.handle not in self.dirty]), label="map"
        )
        self.live.remove(m)
        with prerequisite("free.releases-memory", f"free() of {m.call}"):
            self.maps.free(m.info)

    @precondition(lambda self: not self.live)
    @rule(length=st.integers(0, 4 * PAGE))
    def resize(self, length: int) -> None:
        os.truncate(self.path, length)
        self._resize_model(length)

    @precondition(lambda self: not self.dirty)
    @rule()
    def read_file(self) -> None:
        on_disk = self.path.read_bytes()
        with checking(EXTENDS):
            assert len(on_disk) == len(self.file), (
                f"the file has {len(on_disk)} bytes after the maps, expected {len(self.file)}"
            )
        with checking(W):
            for pos, b in enumerate(on_disk):
                if self.known[pos] and b != self.file[pos]:
                    self._blame(pos, b, "the file read through the OS", "w")

    @invariant()
    def views_agree_once_flushed(self) -> None:
        if self.dirty:
            return
        for m in self.live:
            with checking(C if m.access in PRIVATE else W):
                self._check(m)

    # -- plumbing --------------------------------------------------------------------

    def teardown(self) -> None:
        with prerequisite("free.releases-memory", "freeing every map at the end"):
            self.maps.close()


def _working(adapter: Adapter, directory: Path) -> tuple[list[str], list[str]]:
    """The modes and file kinds the model uses: those declared that map a file at all.
    One that does not is its own clause's failure (its own tests report it); the model
    leaves it out rather than depend on it, because those clauses' tests rely on the
    ones the model judges."""
    caps = adapter.capabilities.names()
    probe = new_file(directory, b"probe")
    with Maps(adapter) as maps:
        modes = [
            m
            for m in ("", "x", "w", "c")
            if f"access:{m}" in caps and maps.try_map(ref(probe), m, 5).kind == "value"
        ]
        kinds = [
            k
            for k in ("name", "fd", "fileobj")
            if f"file:{k}" in caps and maps.try_map(ref(probe, k, "r+"), "", 5).kind == "value"
        ]
    return modes, kinds


@pytest.mark.clause(*MODEL_CLAUSES)
@pytest.mark.prerequisites("map.offset.maps-from-offset")
def test_file_and_its_maps(adapter: Adapter, tmp_path: Path) -> None:
    modes, kinds = _working(adapter, tmp_path)
    machine = type(
        "FileAndMapsHere",
        (FileAndMaps,),
        {"adapter": adapter, "directory": tmp_path, "modes": modes, "kinds": kinds},
    )
    # One failure, the first found: it names its clause; several would be a group.
    run_state_machine_as_test(
        machine, settings=settings(stateful_step_count=25, report_multiple_bugs=False)
    )
