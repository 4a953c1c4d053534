"""Safety of sizes: a map never shrinks what another map still uses.

These clauses (``basis="safety"``) are in no sentence of the document, yet every user
of a memory-mapping library counts on them. They are judged like any other, from what
the OS says about the implementation's process; where the OS or the machine cannot
say, a test is skipped and says why.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mmapspec.adapters.interface import Adapter, ImplementationCrashed
from mmapspec.spec.attribution import prerequisite
from mmapspec.spec.support import Maps, isolated, new_file, os_page, pattern, ref, same, shm_path


@pytest.mark.clause("safety.size.never-shrinks")
@pytest.mark.parametrize(
    "target",
    [
        pytest.param("file", marks=pytest.mark.needs("file:name")),
        pytest.param("tagname", marks=pytest.mark.needs("tagname")),
    ],
)
def test_a_smaller_map_never_shrinks(
    adapter: Adapter, maps: Maps, tmp_path: Path, target: str
) -> None:
    """A second, smaller 'w' map of the same object: the object keeps its size and the
    first map stays readable to its end. Run in an isolated process: a map whose pages
    were cut off kills its process with SIGBUS when read."""
    p = os_page()
    content = pattern(3 * p, seed=920)
    if target == "file":
        path = new_file(tmp_path, content)
        on_disk: Path | None = path
        kw: dict[str, object] = {"file": ref(path)}
    else:
        name = maps.tagname()
        shm = shm_path(name)
        on_disk = Path(shm) if shm is not None else None
        kw = {"tagname": name}
    with isolated(adapter) as other, Maps(other) as om:
        with prerequisite("map.size.given", f"two 'w' maps of the {target}, the second smaller"):
            first = om.map(access="w", size=3 * p, **kw)
            if target == "tagname":
                other.write(first.handle, 0, content)
            om.map(access="w", size=p, **kw)
        try:
            got = other.read(first.handle, 0, 3 * p)
        except ImplementationCrashed as exc:
            raise AssertionError(
                f"reading the first map of the {target} to its end killed the "
                f"implementation's process ({exc}): the smaller map cut its pages off"
            ) from None
        same(got, content, f"the first map of the {target} after a smaller map")
        if on_disk is not None and on_disk.exists():  # a tagname's file: Linux only
            size = on_disk.stat().st_size
            assert size == 3 * p, f"the {target} shrank from {3 * p} to {size} bytes"
