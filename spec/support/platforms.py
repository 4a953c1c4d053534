"""What the OS shows of the implementation's process and of named shared memory, one
module per OS behind one set of functions: :mod:`.platform_linux` (/proc, /dev/shm),
:mod:`.platform_windows` (kernel32 and ntdll through ctypes) and
:mod:`.platform_posix` (macOS and other POSIX systems: POSIX shared memory, no /proc).
This is the one place that asks which OS runs the suite; tests and the other support
modules call :data:`current`, never ``sys.platform``.

Every module answers the same questions (see :mod:`.platform_common` for the types):

* mappings: ``mappings_unseen(pid)`` (why the OS cannot show them, or None),
  ``mappings(pid)``, ``mappings_source(pid)``, ``mapped_name(path)`` and
  ``read_mem(pid, addr, length)``;
* descriptors (handles on Windows): ``descriptors_unseen(pid)``,
  ``open_descriptors(pid)`` and ``descriptors_to(pid, path)``;
* tagnames: ``tagname_path(name)``, ``tagname_unseen()``, ``tagname_exists(name)``,
  ``tagname_bytes(name, length)``, ``tagname_mode(name)`` (or ``tagname_mode_unseen()``),
  ``tagnames_unplantable()``, ``tagnames_are_kept()``, ``remove_tagname(name)`` and
  ``remove_tagnames_by_prefix(prefix)``;
* the rest: ``memory_faults`` (how the OS kills a process for a bad memory access),
  ``is_memory_fault(crash)``, ``cachestat_possible()``, ``may_mount_tmpfs()``,
  ``file_size_limit_unavailable()``, ``limit_file_size(pid, limit)`` and
  ``syscall_trace_unavailable()``.
"""

from __future__ import annotations

import sys

if sys.platform == "win32":
    from mmapspec.spec.support import platform_windows as current
elif sys.platform.startswith("linux"):
    from mmapspec.spec.support import platform_linux as current
else:
    from mmapspec.spec.support import platform_posix as current

__all__ = ["current"]
