"""``mmap.map``: its NOTEs that can be observed in one process (a ``FILE*``'s pending
writes, changes made to the file behind the map's back). Those about crashes and about
other processes are in ``test_processes``.

Each test gives a status to one clause, as the package's docstring says
(``spec/__init__.py``: what is observed through the OS, what is a prerequisite).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mmapspec.adapters.interface import Adapter
from mmapspec.spec.support import Maps, new_file, os_page, pattern, pwrite, ref, same
from mmapspec.spec.support.map_calls import described, mapped, sized


@pytest.mark.clause("map.note.write-buffers-flushed")
@pytest.mark.parametrize("on_disk", ["longer", "empty"])
def test_pending_writes_of_an_open_file_are_mapped(
    adapter: Adapter, maps: Maps, tmp_path: Path, on_disk: str
) -> None:
    """A FILE* with bytes still in its buffer: the map sees them (and, with no size, they
    count for the file size)."""
    pending = b"still in the FILE* buffer"
    content = pattern(200, seed=6) if on_disk == "longer" else b""
    path = new_file(tmp_path, content)
    file = ref(path, "fileobj", "r+", pending)
    call = described("map", file, "") + f" with {pending!r} unflushed in the FILE*"
    m = mapped(maps, file, "")
    expected = pending + content[len(pending) :]
    assert sized(m.size, len(expected), os_page()), (
        f"{call}: expected map.size {len(expected)}, got {m.size}"
    )
    same(adapter.read(m.handle, 0, len(expected)), expected, call)


@pytest.mark.clause("map.note.external-changes")
def test_external_changes_are_old_or_new(adapter: Adapter, maps: Maps, tmp_path: Path) -> None:
    """No visibility is promised; but each changed byte is old or new, no other byte
    changes, and the map goes on working."""
    p = os_page()
    content = pattern(2 * p, seed=7)
    path = new_file(tmp_path, content)
    call = described("map", ref(path), "w", 2 * p) + f" with bytes {p - 8}..{p + 7} rewritten"
    m = mapped(maps, ref(path), "w", 2 * p)
    change = bytes(b ^ 0xFF for b in content[p - 8 : p + 8])
    pwrite(path, change, p - 8)
    seen = adapter.read(m.handle, 0, 2 * p)
    same(seen[: p - 8], content[: p - 8], f"{call}: bytes before the change")
    same(seen[p + 8 :], content[p + 8 :], f"{call}: bytes after the change")
    for i, b in enumerate(seen[p - 8 : p + 8]):
        assert b in (content[p - 8 + i], change[i]), (
            f"{call}: byte {p - 8 + i} is {b}, neither old ({content[p - 8 + i]}) nor new "
            f"({change[i]})"
        )
    adapter.write(m.handle, 0, b"still works")
    same(adapter.read(m.handle, 0, 11), b"still works", f"{call}: writing afterwards")
