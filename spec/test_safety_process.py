"""Safety of the implementation's process: it survives every documented call.

The document names one crash (a write to memory mapped without write access); no
other call may kill the process, now or later. This test makes a round of documented
calls and checks that the same process still answers. A crash elsewhere in a run is
triaged by the pipe adapter (``mmapspec.adapters.pipe.triage``): one that the running
test's calls do not cause alone, but earlier calls do, is reported under this clause
with the minimal sequence of calls that reproduces it, and so is a crash that does
not replay (flaky).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mmapspec.adapters.interface import Adapter
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import Maps, new_file, os_page, pattern, ref


@pytest.mark.clause("safety.process.survives")
@pytest.mark.needs("file:name", "access:w")
def test_the_process_survives_documented_calls(
    adapter: Adapter, maps: Maps, tmp_path: Path
) -> None:
    p = os_page()
    pid = adapter.pid
    path = new_file(tmp_path, pattern(2 * p, seed=990))
    with prerequisite("map.file.name", f"map({path.name!r}, 'w', {2 * p}), a write and a flush"):
        m = maps.map(ref(path), "w", 2 * p)
        adapter.write(m.handle, 0, b"alive")
        adapter.flush(m.handle)
        maps.free(m)
    assert adapter.pid == pid, f"the process answering changed: {pid} before, {adapter.pid} after"
