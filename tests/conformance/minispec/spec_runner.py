"""The mini spec: each test drives real maps through the adapter under test."""

from __future__ import annotations

import ctypes
import os
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mmapspec.adapters.interface import Adapter, FileRef, ImplementationCrashed
from mmapspec.spec.attribution import prerequisite


@pytest.mark.clause("runner.pass")
def test_write_read_back(adapter: Adapter) -> None:
    m = adapter.map(None, "w", size=100)
    try:
        adapter.write(m.handle, 10, b"hello")
        assert adapter.read(m.handle, 10, 5) == b"hello"
    finally:
        adapter.free(m.handle)


@pytest.mark.clause("runner.offset")
@settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(k=st.integers(0, 3), data=st.data())
def test_offset_multiple_of_pagesize(
    adapter: Adapter, tmp_path_factory: pytest.TempPathFactory, k: int, data: st.DataObject
) -> None:
    page = adapter.pagesize()
    access = data.draw(st.sampled_from(["", "c"]), label="access")
    path = tmp_path_factory.mktemp("offset") / f"f-{uuid.uuid4().hex}"
    path.write_bytes(b"\x5a" * page * 4)
    m = adapter.map(FileRef(str(path)), access, size=page, offset=k * page)
    try:
        assert adapter.read(m.handle, 0, 1) == b"\x5a"
    finally:
        adapter.free(m.handle)


@pytest.mark.clause("runner.unsupported")
def test_tagname_shared(adapter: Adapter) -> None:
    m = adapter.map(None, "w", size=64, tagname=f"runner-{uuid.uuid4().hex}")
    adapter.free(m.handle)


@pytest.mark.clause("runner.mixed")
def test_mixed_plain(adapter: Adapter) -> None:
    assert adapter.pagesize() > 0


@pytest.mark.clause("runner.mixed")
@pytest.mark.needs("mirror")
def test_mixed_needs_mirror(adapter: Adapter) -> None:
    adapter.mirror(None, adapter.pagesize())


@pytest.mark.clause("runner.notes")
def test_leaves_a_note(adapter: Adapter, record_property: pytest.RecordProperty) -> None:
    record_property("disk_full_method", "RLIMIT_FSIZE")
    assert adapter.pagesize() > 0


@pytest.mark.clause("runner.skipped")
def test_cannot_run_here(adapter: Adapter) -> None:
    pytest.skip("needs a tmpfs mount, which this machine does not allow")


@pytest.mark.clause("runner.crash")
def test_worker_dies(adapter: Adapter) -> None:
    """Writes to memory mapped read-only, for real: the doc's promised crash kills
    the (xdist worker) process. Opt-in, since without xdist it ends the run."""
    if os.environ.get("MINISPEC_CRASH") != "1":
        pytest.skip("set MINISPEC_CRASH=1 (with -n 2) to crash a worker")
    m = adapter.map(None, "", size=adapter.pagesize())
    assert m.addr is not None
    ctypes.memset(m.addr, 1, 1)


@pytest.mark.clause("runner.crash-reported")
def test_adapter_reports_crash(adapter: Adapter) -> None:
    # What the pipe adapter raises when its child dies: the runner's classification
    # of it is under test here, not the adapter.
    raise ImplementationCrashed(11, None, "child killed by SIGSEGV")


def _map_at_second_page(adapter: Adapter, path: os.PathLike[str]) -> None:
    page = adapter.pagesize()
    m = adapter.map(FileRef(os.fspath(path)), "", size=page, offset=page)
    adapter.free(m.handle)


@pytest.mark.clause("runner.blocked-at-setup")
def test_setup_relies_on_offsets(adapter: Adapter, tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(tmp_path, "four-pages")
    with open(path, "wb") as f:
        f.write(b"\0" * 4 * os.sysconf("SC_PAGESIZE"))
    with prerequisite("runner.offset", "map at offset pagesize()"):
        _map_at_second_page(adapter, path)  # type: ignore[arg-type]


@pytest.mark.clause("runner.blocked-declared")
@pytest.mark.prerequisites("runner.offset")
def test_declares_offsets_its_prerequisite(adapter: Adapter) -> None:
    assert adapter.pagesize() == os.sysconf("SC_PAGESIZE")


@pytest.mark.clause("runner.reading")
def test_reading_of_a_silent_spot(adapter: Adapter) -> None:
    assert adapter.pagesize() > 4096


def _suite_error_opted_in() -> None:
    if os.environ.get("MINISPEC_SUITE_ERROR") != "1":
        pytest.skip("set MINISPEC_SUITE_ERROR=1 to raise in the suite's own code")


@pytest.mark.clause("runner.suite-error")
def test_own_code_raises(adapter: Adapter) -> None:
    """A bug of the test itself, after a real call: the suite's error, not the binding's."""
    _suite_error_opted_in()
    assert adapter.pagesize() > 0
    os.no_such_call()  # type: ignore[attr-defined]


@pytest.mark.clause("runner.suite-error-in-setup")
def test_own_code_raises_inside_a_prerequisite(adapter: Adapter) -> None:
    """Inside a prerequisite block the suite's own error is still the suite's: it
    neither fails runner.pass nor blocks this clause."""
    _suite_error_opted_in()
    with prerequisite("runner.pass", "map and observe"):
        adapter.pagesize()
        os.no_such_call()  # type: ignore[attr-defined]


@pytest.mark.clause("runner.binding-raises")
def test_adapter_call_raises(adapter: Adapter) -> None:
    """Whatever comes out of an adapter call is the implementation's: with
    ``tests.deviants.runner:RaisingAdapter`` its AttributeError fails this clause."""
    m = adapter.map(None, "w", size=100)
    adapter.free(m.handle)


def test_names_no_clause(adapter: Adapter) -> None:
    """The spec's own slip: a test of the spec package that names no clause. It is
    reported as untagged, and its failure makes the run deviating. Opt-in, since it
    fails."""
    if os.environ.get("MINISPEC_UNTAGGED") != "1":
        pytest.skip("set MINISPEC_UNTAGGED=1 to run a spec test that names no clause")
    assert adapter.pagesize() < 0
