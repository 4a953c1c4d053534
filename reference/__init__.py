"""mmapspec.reference: the luapower ``mmap`` API in Python, over ctypes.

::

    from mmapspec import reference as mm
    with mm.map("data.bin", "w", size=4096) as m:   # map(file, access, size, offset, addr, tagname)
        m[0:5] = b"hello"
        m.flush()

Documented failures raise :class:`MmapError` (an OSError) whose ``errcode`` is
``'no_file'``, ``'file_too_short'``, ``'disk_full'``, ``'out_of_mem'``,
``'not_found'`` or an OS error number; bad arguments raise ValueError or
TypeError naming the argument and the rule.

Limitation (documented upstream): I/O errors while accessing mapped memory crash
the process (SIGBUS), e.g. reading past the end of a file truncated while
mapped. Never shrink a mapped file; let ``map`` extend files (it reserves the
blocks, so a full disk fails the map with ``'disk_full'`` rather than later).

Linux is tested; the Windows backend is run under Wine 8 (not on real Windows), and
the macOS backend is written to its API but untested.
"""

from __future__ import annotations

from ._align import aligned_addr, aligned_size, pagesize
from ._errors import MmapError
from ._filesize import filesize
from ._map import ACCESS_MODES, map
from ._map_object import Map
from ._mirror import Mirror, mirror
from ._unlink import unlink

__all__ = [
    "ACCESS_MODES",
    "Map",
    "Mirror",
    "MmapError",
    "aligned_addr",
    "aligned_size",
    "filesize",
    "map",
    "mirror",
    "pagesize",
    "unlink",
]
