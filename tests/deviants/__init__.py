"""Deviant bindings: real implementations with one planted defect each, the project's
one home for them.

* ``base``: what they share, over the shipped base (``mmapspec.bench.deviant``:
  ``Deviant``, the reference under the deviant's own name, with one hook per operation a
  defect changes, ``do_map`` and ``do_mirror``); the bench's own deviant
  (``FilesizeNeverShrinks``) lives there, since ``mmapspec bench`` runs it.
* ``verdicts``: one defect, one failing clause, for ``tests/verdicts`` (its classes in
  ``mapping``, ``lifecycle``, ``sizes``, ``ranges``, ``knockons`` and ``crashes``).
* ``safety``: a safety defect a binding written by others really had, for
  ``tests/safety/test_deviants.py``.
* ``runner``: CPython's mmap with one defect, for the runner's own tests
  (``tests/conformance``).

A run selects one as ``tests.deviants.MODULE:CLASS``, with the repository's root on
``PYTHONPATH`` (in process, and for the harness a pipe run starts).
"""
