"""The executable specification: the clause catalogue, and one test module per section
of the documentation (``mmap.md``, shipped beside the catalogue).

Its version is mmapspec's: clause IDs and what a version promises are in CHANGELOG.md.

How a test keeps to its one clause
----------------------------------
Each test gives a status to one clause, the one its ``clause`` marker names. What a
test needs from other clauses to set up or to observe is either done through the OS
(files written and read with plain file I/O, /proc/PID/maps, /dev/shm) or wrapped in
``prerequisite`` (:mod:`mmapspec.spec.attribution`), so that a fault elsewhere blocks
the test instead of failing its clause. On Linux the bytes of a shared map are the
file's page cache, so ``read()`` sees a map's writes at once: no flush is needed to
observe them.

A test of an errcode (or of a raised error) checks the outcome only: what the failing
call did to the file is the business of the two clauses on failures (``map.fails.*``,
in ``test_map_fails``), whose tests provoke the failure inside a prerequisite.
"""

from mmapspec import __version__

__all__ = ["__version__"]
