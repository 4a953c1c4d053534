"""The executable specification: the clause catalogue, and one test module per section
of the documentation (``mmap.md``, shipped beside the catalogue)."""
