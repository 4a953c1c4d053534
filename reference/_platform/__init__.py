"""The platform layer: exactly one backend module is loaded, chosen by OS.

The public modules (``_map``, ``_mirror``, ``_filesize``, ``_files``, ...) validate
arguments, decide what to do and translate failures; they reach the OS only
through :data:`backend`, an object satisfying :class:`~.base.Backend`:

=================================  ==============================================
``pagesize()``                     allocation granularity (page; 64 KiB on Windows)
``open_path(path, write, exec)``   open / create a file, never waiting on a FIFO
                                   -> (file, created)
``from_fd(fd)`` / ``close(f)``     adopt a C descriptor / close what we opened
``file_kind_size(f)``              regular, block, directory, fifo, socket, char;
                                   and the size when the same call tells it
``file_size(f)``                   current size (a block device's: the device's)
``truncate(f, n)``                 exact resize (shrink, restore after failure)
``reserve(f, start, end)``         grow to ``end`` reserving blocks (a full disk
                                   fails here, not as SIGBUS later)
``remove_path(path)``              remove a file we created (failure cleanup)
``open_tag / tag_size /            shared memory of a tagname (POSIX shm files;
unlink_tag``                       Windows: named sections, ``SHM_FILES=False``)
``not_private(f)``                 why a tagname file is not this user's own
``map(f, size, off, access,        one mapping; ``addr`` exact or fail, never
addr, tagname)``                   replacing (NOREPLACE, or hint + verify)
``unmap(addr, size)``              release one mapping (or one mirror copy)
``unmap_copies(addr, size, n)``    release all the copies of a mirror
``flush(addr, size, async, f)``    msync / FlushViewOfFile (+FlushFileBuffers)
``mirror(f, size, times, addr)``   reserve the whole range, then map each copy
                                   over it at a fixed address -> base address
=================================  ==============================================

Hot paths skip a Python layer where the OS call is one C call (POSIX): ``msync``
with ``ms_flags``, ``mmap_anon`` with ``anon_prot``/``anon_flags`` and ``munmap``
are the prototyped C functions themselves, None on Windows.

Failures raise :class:`~.base.OsCallError` with the OS's own error number; the
backend also exports which numbers mean ``'no_file'`` (``NOT_FOUND``),
``'disk_full'`` (``DISK_FULL``) and ``'out_of_mem'`` (``OUT_OF_MEM``), and the
numbers this library reports when it refuses a file by its kind (``UNSIZED``,
``UNMAPPABLE``) or a tagname object by its owner (``FOREIGN``), because the
numbers differ per OS. Constants live in each backend (``_linux.py``,
``_darwin.py``; Windows's in ``_win32.py``, beside ``_windows.py``); the POSIX
logic common to Linux and macOS is in ``_posix.py``. Linux is tested here, and Windows
under Wine 8 (``tests/reference/test_windows_*.py``); the macOS backend is written
against its documentation and is untested.
"""

from __future__ import annotations

import sys

from .base import Backend, OsCallError, OsFile


def _select() -> Backend:
    if sys.platform.startswith("linux"):
        from ._linux import LinuxBackend

        return LinuxBackend()
    if sys.platform == "darwin":
        from ._darwin import DarwinBackend

        return DarwinBackend()
    if sys.platform == "win32":
        from ._windows import WindowsBackend

        return WindowsBackend()
    raise ImportError(f"mmapspec.reference: no backend for platform {sys.platform!r}")


backend: Backend = _select()

__all__ = ["Backend", "OsCallError", "OsFile", "backend"]
