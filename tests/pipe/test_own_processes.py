"""Only our own processes: a harness that names another process in ``start`` is a
harness error (the runner would limit and trace it), and processes of a harness that
call ``setsid()`` to leave its process group still end with it.

Real harness processes (``bad_harness.py``), found afterwards through /proc.
"""

from __future__ import annotations

import os
import sys
import time
import uuid

import pytest
from mmapspec.adapters import AdapterLoadError
from mmapspec.adapters.pipe import ImplementationTimeout, PipeAdapter
from mmapspec.adapters.pipe.processes import own_processes
from test_broken_harness import bad, cleanup, marked

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="/proc shows who is left (Linux)"
)


@pytest.mark.parametrize("whom", ["the runner", "init"])
def test_a_harness_naming_another_process_is_a_harness_error(whom: str) -> None:
    pid = os.getpid() if whom == "the runner" else 1
    with pytest.raises(AdapterLoadError) as failure:
        PipeAdapter(bad("--claim-pid", str(pid)), timeout=20)
    assert f"pid {pid} is not the harness nor a process it started" in str(failure.value)


def test_a_harness_naming_itself_behind_a_wrapper_is_believed() -> None:
    """The pid of a process the harness started (here the shell's child) is ours."""
    with PipeAdapter(f"sh -c {bad()!r}", timeout=20) as adapter:
        child = adapter._child
        assert child is not None
        assert adapter.pid != child.proc.pid and adapter.pid in own_processes(child.proc.pid)


def _gone(marker: str, within: float = 10.0) -> list[int]:
    deadline = time.monotonic() + within
    while marked(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    return marked(marker)


def test_setsid_orphans_end_with_the_harness_when_it_stops() -> None:
    marker = f"mmapspec-test-marker-{uuid.uuid4().hex}"
    try:
        adapter = PipeAdapter(bad("--setsid-orphans", "3", "--marker", marker), timeout=20)
        with adapter:
            assert len(marked(marker)) >= 4  # the harness and its three orphans
        left = _gone(marker)
    finally:
        cleanup(marker, "mmapspec-none-")
    assert left == [], "processes of the harness outside its group outlived it"


def test_setsid_orphans_end_with_a_harness_the_runner_kills() -> None:
    marker = f"mmapspec-test-marker-{uuid.uuid4().hex}"
    cmd = bad("--setsid-orphans", "3", "--hang-on", "aligned_size", "--marker", marker)
    try:
        with PipeAdapter(cmd, timeout=2) as adapter:
            with pytest.raises(ImplementationTimeout):
                adapter.aligned_size(1)
            left = _gone(marker)
    finally:
        cleanup(marker, "mmapspec-none-")
    assert left == [], "a timeout's kill left processes that called setsid()"
