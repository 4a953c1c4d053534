"""Deviants whose process dies later than the call that doomed it, or only sometimes.

Judged through the pipe (a crash in process would take the runner's worker with it),
where every crash is triaged: these must be reported under ``safety.process.survives``
alone, with the minimal sequence that reproduces the crash, or as flaky.
"""

from __future__ import annotations

import ctypes
import os
import tempfile
from pathlib import Path

from mmapspec.adapters.interface import FileRef, Handle, MapInfo

from .base import Deviant, MapCall


def _segfault() -> None:
    """What dereferencing a garbage pointer does: SIGSEGV."""
    _ = ctypes.c_char.from_address(8).value


class AddrMapCorruptsFilesizeCrashes(Deviant):
    """A map at a requested address files the address in a table slot computed from
    it, past the table's end, overwriting the pointer that ``filesize``, ``flush`` and
    ``unlink`` follow to the binding's list of open files: the map itself works, and
    the process dies (SIGSEGV) at the next of those, an unrelated call, in whatever
    test makes it. (The same shape as a binding that maps a requested address with
    MAP_FIXED over memory it does not own.)

    Not in the whole-spec set: whether a later call of those three reaches the same
    process depends on the order the runner's workers take the tests in, so a whole
    run does not always crash. Run it with ``--clause 'map.addr.*' --clause 'flush.*'
    --clause 'safety.process.*' -n 0`` to see the triage print its minimal sequence."""

    INTENDED = "safety.process.survives"
    STATUS = "crash"

    def __init__(self) -> None:
        super().__init__()
        self._corrupt = False

    def do_map(self, call: MapCall) -> MapInfo:
        if call.addr:
            self._corrupt = True  # the defect: the slot past the table's end
        return super().do_map(call)

    def _follow_the_files_pointer(self) -> None:
        if self._corrupt:
            _segfault()

    def filesize(self, file: FileRef, size: int | None = None) -> int:
        self._follow_the_files_pointer()
        return super().filesize(file, size)

    def flush(
        self,
        handle: Handle,
        async_: bool | None = None,
        addr: int | None = None,
        size: int | None = None,
    ) -> bool:
        self._follow_the_files_pointer()
        return super().flush(handle, async_, addr, size)

    def unlink(self, tagname: str) -> None:
        self._follow_the_files_pointer()
        super().unlink(tagname)


class FilesizeCrashesOnce(Deviant):
    """``filesize`` dies (SIGSEGV) once in a run, whatever the calls before it: a race
    with the runtime, modelled by a marker file per run. The crash does not replay."""

    INTENDED = "safety.process.survives"
    STATUS = "crash"

    def filesize(self, file: FileRef, size: int | None = None) -> int:
        run = os.environ.get("MMAPSPEC_RUN_PREFIX", "no-prefix")
        marker = Path(tempfile.gettempdir()) / f"{run}flaky-crash-done"
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return super().filesize(file, size)
        os.close(fd)
        _segfault()
        raise AssertionError("unreachable: the process is dead")
