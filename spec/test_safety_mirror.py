"""Safety of mirrors: a mirror never maps over memory it does not own, as the mmap and
munmap calls strace sees show (``support.strace``).

These clauses (``basis="safety"``) are in no sentence of the document, yet every user
of a memory-mapping library counts on them. They are judged like any other, from what
the OS says about the implementation's process; where the OS or the machine cannot
say, a test is skipped and says why.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mmapspec.adapters.interface import Adapter
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import Maps, isolated, new_path, os_page, ref, require_proc
from mmapspec.spec.support.strace import fixed_into_holes, parse_strace, require_strace, traced


@pytest.mark.clause("safety.mirror.never-replaces-foreign")
def test_mirror_maps_only_over_its_own_range(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    """Another thread's mapping can land in any hole between an munmap and an mmap;
    MAP_FIXED there replaces it. A race is not provoked here (the protocol has no
    threads): the mirror's own calls are followed, and a MAP_FIXED into a hole the
    process made is the race's opening, whether or not a thread took it this time."""
    require_strace()
    p = os_page()
    with isolated(adapter) as other, Maps(other) as om:
        pid = other.pid
        require_proc(pid)
        log = tmp_path / "strace.log"
        with prerequisite("mirror.form.table", "making and freeing mirrors"):
            om.free(om.mirror(ref(new_path(tmp_path)), 2 * p))  # one-time setup, untraced
            with traced(pid, log):
                om.free(om.mirror(ref(new_path(tmp_path)), 2 * p, 3))
        calls = parse_strace(log.read_text())
    assert any(c.name == "mmap" and c.ok for c in calls), (
        f"strace saw no successful mmap while a mirror was made; its log:\n{log.read_text()}"
    )
    bad = fixed_into_holes(calls, p)
    assert not bad, (
        "the mirror mapped with MAP_FIXED into address space it had just unmapped, where "
        "another thread's mapping may have landed: " + "; ".join(bad)
    )
