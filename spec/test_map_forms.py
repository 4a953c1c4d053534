"""``mmap.map``: its two call forms, ``map{...}`` (a table) and positional arguments.

Each test gives a status to one clause, as the package's docstring says
(``spec/__init__.py``: what is observed through the OS, what is a prerequisite).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mmapspec.adapters.interface import Adapter
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import (
    Maps,
    mappings_shown,
    new_file,
    os_page,
    pattern,
    proc_maps_entry_at,
    ref,
    require,
    same,
    shm_bytes,
    shm_name,
)
from mmapspec.spec.support.map_calls import described, mapped
from mmapspec.spec.support.tagnames import shm_exists, shm_seen

ACCESSES = [
    "",
    pytest.param("w", marks=pytest.mark.prerequisites("map.access.w")),
    pytest.param("c", marks=pytest.mark.prerequisites("map.access.c")),
]
"""The modes a form is tried in; 'w' and 'c' maps are their access clauses' promise."""


@pytest.mark.clause("map.form.table")
@pytest.mark.parametrize("access", ACCESSES)
def test_table_form(adapter: Adapter, maps: Maps, tmp_path: Path, access: str) -> None:
    """``map{file=..., access=..., size=...}`` returns a map of the file's bytes."""
    if access:
        require(adapter, f"access:{access}")
    p = os_page()
    content = pattern(2 * p, seed=1)
    path = new_file(tmp_path, content)
    m = mapped(maps, ref(path), access, p + 5, form="table")
    same(adapter.read(m.handle, 0, p + 5), content[: p + 5], f"map{{{path.name!r}, {access!r}}}")


@pytest.mark.clause("map.form.positional")
@pytest.mark.parametrize("access", ACCESSES)
def test_positional_form_is_the_table_form(
    adapter: Adapter, maps: Maps, tmp_path: Path, access: str
) -> None:
    """The same arguments given positionally and as a table give the same map: size,
    bytes and (where the OS shows them) permissions. Compared with the table form, not
    with the file, so that a fault of offsets or sizes is not blamed on the form."""
    if access:
        require(adapter, f"access:{access}")
    p = os_page()
    content = pattern(3 * p, seed=1)
    path = new_file(tmp_path, content)
    args = (ref(path), access, p + 7, p)
    with prerequisite("map.form.table", described("map", *args, form="table")):
        by_table = mapped(maps, *args, form="table")
    call = described("map", *args, form="positional")
    by_position = mapped(maps, *args, form="positional")
    assert by_position.size == by_table.size, (
        f"{call}: size {by_position.size}, the table form's is {by_table.size}"
    )
    same(
        adapter.read(by_position.handle, 0, p + 7),
        adapter.read(by_table.handle, 0, p + 7),
        f"{call}: bytes, compared with the table form's",
    )
    if by_table.addr and by_position.addr and mappings_shown(adapter.pid):
        table_region = proc_maps_entry_at(adapter.pid, by_table.addr)
        position_region = proc_maps_entry_at(adapter.pid, by_position.addr)
        assert table_region and position_region, f"{call}: a map missing from the OS's mappings"
        assert position_region.perms == table_region.perms, (
            f"{call}: permissions {position_region.perms!r}, the table form's are "
            f"{table_region.perms!r}"
        )


@pytest.mark.clause("map.form.positional")
@pytest.mark.needs("tagname")
def test_positional_form_reaches_the_tagname(adapter: Adapter, maps: Maps) -> None:
    """Positionally, the sixth argument is the tagname: the shared memory it names
    exists afterwards (asked of the OS: /dev/shm on Linux) with the map's bytes."""
    p = os_page()
    tag = maps.tagname()
    call = described("map", None, "w", p, None, None, tag, form="positional")
    first = mapped(maps, None, "w", p, None, None, tag, form="positional")
    adapter.write(first.handle, 0, b"positional")
    if shm_seen():
        # The OS shows the named memory: its absence is this form's failure alone; that
        # a write through the map reaches it is the tagname's promise.
        assert shm_exists(tag), f"{call}: no shared memory {shm_name(tag)}"
        with prerequisite("map.tagname.same-process", f"a write through {call}"):
            same(shm_bytes(tag, 10), b"positional", f"{call}: {shm_name(tag)}")
        return
    with prerequisite("map.tagname.same-process", f"map{{tagname={tag!r}, size={p}}}"):
        second = mapped(maps, None, "", p, None, None, tag)
    same(adapter.read(second.handle, 0, 10), b"positional", f"{call}: the tagname's memory")
