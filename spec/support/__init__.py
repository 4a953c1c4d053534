"""What the spec tests share, one concern per module. What every test family uses is
importable from here as well (``from mmapspec.spec.support import Maps, same``); what
one family uses alone (:mod:`.map_calls`, :mod:`.strace`), from its module.

Tests reach the implementation only through the ``adapter`` fixture
(:mod:`mmapspec.adapters.interface`). Everything here is plain Python around it:

* :mod:`.outcomes`: a call's :class:`Outcome` (:func:`outcome_of`) and checks on it;
* :mod:`.bookkeeping`: :class:`Maps`, what one test mapped, freed at its end;
* :mod:`.files`: fresh files, :func:`ref` to hand them over, :func:`pread` to read back
  and :func:`pwrite` to change behind a map's back;
* :mod:`.tagnames`: unique tagnames under the run's prefix, the OS's view of them;
* :mod:`.pages`: the page size tests align to, :func:`require` for a check's needs;
* :mod:`.proc`: the OS's view of a process: its mappings (:class:`ProcMapsEntry`), its
  descriptors (Windows: handles) and its memory;
* :mod:`.platforms`: each OS's way of telling those (Linux, Windows, other POSIX), the
  one place that asks which OS runs the suite;
* :mod:`.crashes`: whether a process died as the OS kills one for a bad memory access;
* :mod:`.page_cache`: :func:`dirty_pages`, whether a flush reached the disk;
* :mod:`.processes`: :func:`isolated`, the implementation in a second process;
* :mod:`.full_disk`: a real full disk, or a file-size limit;
* :mod:`.strace`: a process's mmap and munmap calls as strace sees them;
* :mod:`.map_calls`: what the ``test_map_*`` files share.
"""

from mmapspec.spec.support.bookkeeping import Maps, free_address
from mmapspec.spec.support.crashes import is_memory_fault, memory_faults
from mmapspec.spec.support.files import (
    new_file,
    new_paged_file,
    new_path,
    pattern,
    pread,
    pwrite,
    ref,
)
from mmapspec.spec.support.full_disk import DISK_FULL_SIZE, full_disk, small_tmpfs
from mmapspec.spec.support.outcomes import (
    Outcome,
    assert_fails,
    assert_raises,
    assert_value,
    errcode_matches,
    outcome_of,
    same,
)
from mmapspec.spec.support.page_cache import dirty_pages
from mmapspec.spec.support.pages import os_page, page, require
from mmapspec.spec.support.proc import (
    ProcMapsEntry,
    assert_no_new_fds,
    backing_file,
    fds_to,
    is_anonymous,
    mapped_bytes_in,
    mapped_name,
    mappings_shown,
    mappings_source,
    open_fds,
    overlaps,
    proc_maps,
    proc_maps_entry_at,
    read_mem,
    require_fds,
    require_proc,
)
from mmapspec.spec.support.processes import isolated
from mmapspec.spec.support.tagnames import (
    RUN_PREFIX_VARIABLE,
    remove_tagnames_by_prefix,
    require_kept_tagnames,
    shm_bytes,
    shm_exists,
    shm_mode,
    shm_name,
    shm_path,
    tagnames_are_kept,
)

__all__ = [
    "DISK_FULL_SIZE",
    "RUN_PREFIX_VARIABLE",
    "Maps",
    "Outcome",
    "ProcMapsEntry",
    "assert_fails",
    "assert_no_new_fds",
    "assert_raises",
    "assert_value",
    "backing_file",
    "dirty_pages",
    "errcode_matches",
    "fds_to",
    "free_address",
    "full_disk",
    "is_anonymous",
    "is_memory_fault",
    "isolated",
    "mapped_bytes_in",
    "mapped_name",
    "mappings_shown",
    "mappings_source",
    "memory_faults",
    "new_file",
    "new_paged_file",
    "new_path",
    "open_fds",
    "os_page",
    "outcome_of",
    "overlaps",
    "page",
    "pattern",
    "pread",
    "pwrite",
    "proc_maps",
    "proc_maps_entry_at",
    "read_mem",
    "ref",
    "remove_tagnames_by_prefix",
    "require",
    "require_fds",
    "require_kept_tagnames",
    "require_proc",
    "same",
    "shm_bytes",
    "shm_exists",
    "shm_mode",
    "shm_name",
    "shm_path",
    "small_tmpfs",
    "tagnames_are_kept",
]
