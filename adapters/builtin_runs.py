"""The runs of the built-in adapters: each name, and the arguments of ``mmapspec run``
that select it. The one list of them.

``noxfile.py`` reads it for its ``conformance`` and ``report_site`` sessions (by path,
since nox's own interpreter has no mmapspec installed: this module imports nothing),
the report page's tests read it for their fixture runs, and
``tests/adapters/test_builtin_runs.py`` checks that ``tox.ini``'s copy (tox cannot
import Python) says the same.

``stdlib`` runs with its shipped expectation file, named as packaged (``stdlib``), so
the arguments mean the same from any directory; ``pipe`` drives the reference through
the Python harness.
"""

from __future__ import annotations

BUILTIN_RUNS: dict[str, tuple[str, ...]] = {
    "reference": ("--adapter", "reference"),
    "stdlib": ("--adapter", "stdlib", "--expectations", "stdlib"),
    "pipe": ("--pipe-cmd", "python -m mmapspec.adapters.harness --adapter reference"),
}
"""Run name -> the arguments of ``mmapspec run`` that select the adapter."""

ON_THE_REPORT_PAGE: tuple[str, ...] = ("reference", "stdlib")
"""The runs the report page shows side by side (the pipe's would repeat the reference's)."""
