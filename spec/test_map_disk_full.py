"""``mmap.map`` failing with 'disk_full' on a really full disk (a filled tmpfs), or on a
file-size limit where this process may not mount one (``support.full_disk``).

Each test gives a status to one clause, as the package's docstring says
(``spec/__init__.py``: a test of an errcode checks the outcome only).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mmapspec.adapters.interface import Adapter
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import (
    DISK_FULL_SIZE,
    Maps,
    full_disk,
    new_file,
    new_path,
    os_page,
    pattern,
    ref,
)
from mmapspec.spec.support.full_disk import RecordProperty
from mmapspec.spec.support.map_calls import described, expect_fails, mapped

"""pytest's ``record_property`` fixture."""


@pytest.mark.clause("map.errcode.disk-full")
@pytest.mark.parametrize("file_was", ["missing", "short"])
def test_disk_full(
    adapter: Adapter, tmp_path: Path, record_property: RecordProperty, file_was: str
) -> None:
    """Extending a file beyond what the filesystem can hold fails with 'disk_full'."""
    content = pattern(os_page(), seed=15)
    with full_disk(adapter, tmp_path, record_property) as (impl, directory):
        path = new_path(directory) if file_was == "missing" else new_file(directory, content)
        with Maps(impl) as maps:
            expect_fails(
                maps, ("disk_full",), ref(path), "w", DISK_FULL_SIZE, why=f"{file_was}, disk full"
            )


@pytest.mark.clause("map.errcode.disk-full-meaning")
@pytest.mark.parametrize("case", ["no extension needed", "no write access"])
def test_disk_full_only_when_extending(
    adapter: Adapter, tmp_path: Path, record_property: RecordProperty, case: str
) -> None:
    """'disk_full' is about extending: on a full disk a map that needs no extension
    succeeds, and a short file without write access is not 'disk_full' (which code it
    is instead is map.errcode.file-too-short's business)."""
    p = os_page()
    content = pattern(p, seed=16)
    if case == "no extension needed":
        # The same map on a disk with room works, so a failure below is the full disk's.
        with (
            prerequisite("map.access.w", f"map(file of {p} bytes, 'w', {p})"),
            Maps(adapter) as maps,
        ):
            mapped(maps, ref(new_file(tmp_path, content)), "w", p)
    with full_disk(adapter, tmp_path, record_property) as (impl, directory):
        path = new_file(directory, content)
        with Maps(impl) as maps:
            if case == "no extension needed":
                mapped(maps, ref(path), "w", p, why="a file long enough on a full disk")
                return
            args = (ref(path), "", DISK_FULL_SIZE)
            outcome = maps.try_map(*args)
            assert not (outcome.kind == "fails" and outcome.errcode == "disk_full"), (
                f"{described('map', *args)} of a {p}-byte file on a full disk, without write "
                f"access: nothing to extend, yet got: {outcome}"
            )
