"""The executable specification: the clause catalogue, and one test module per section
of the documentation (``mmap.md``, shipped beside the catalogue).

Its version is mmapspec's: clause IDs and what a version promises are in CHANGELOG.md."""

from mmapspec import __version__

__all__ = ["__version__"]
