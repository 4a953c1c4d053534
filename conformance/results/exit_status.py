"""The exit status of a run of the spec: its codes and what they mean (decided by
:mod:`mmapspec.results.status_pipeline`).

=====  ===================================================================================
code   meaning
=====  ===================================================================================
0      conformant and safe, or deviating exactly as the expectations file says
1      deviations: of the document's clauses or the safety clauses (and, under
       ``--strict``, readings that differ), stale expectations, failing untagged tests
2      the run itself failed or did not go to its end: bad input, a harness that would
       not start or kept failing, no tests, interrupted, timed out
=====  ===================================================================================

The spec runs in three modes, each with its own rule:

* ``mmapspec run`` (the command): exactly the codes above, and a run that failed says
  why in one line on stderr (:func:`~mmapspec.results.status_pipeline.command_exit_status`).
* pytest on the spec with the verdict: ``pytest --pyargs mmapspec.spec``, or any pytest
  run whose command line names the adapter, expectations, clauses or a report
  (``--mmap-*``): 0 and 1 by the verdict, 2 (pytest's "interrupted") when the run is
  incomplete; pytest's own codes for a run that did not happen (3 internal error,
  4 usage error, 5 no tests) are kept
  (:func:`~mmapspec.results.status_pipeline.verdict_exit_status`).
* the project's own suite, which reaches ``spec/`` through its testpaths: pytest's own
  rules, where an unsupported clause is a skipped test: the plugin leaves pytest's
  status as it is, whatever the code.
  The reports are written all the same.

Only the standard library here: the command decides its status without pytest.
"""

from __future__ import annotations

import enum
import sys

EXIT_OK, EXIT_DEVIATIONS, EXIT_RUN_FAILED = 0, 1, 2


class PytestCode(enum.IntEnum):
    """pytest's exit codes (``pytest.ExitCode``), named without importing pytest."""

    OK = 0
    TESTS_FAILED = 1
    INTERRUPTED = 2
    INTERNAL_ERROR = 3
    USAGE_ERROR = 4
    NO_TESTS_COLLECTED = 5


WHY_PYTEST_STOPPED: dict[int, str] = {
    PytestCode.INTERRUPTED: "interrupted (collection error or Ctrl-C)",
    PytestCode.INTERNAL_ERROR: "internal error",
    PytestCode.USAGE_ERROR: "usage error",
    PytestCode.NO_TESTS_COLLECTED: "no tests were collected (check --clause)",
}


HELP_TABLE = """\
exit status:
  0  conformant and safe, or deviating exactly as the expectations file says
  1  deviations (of the document's clauses, the safety clauses, and under --strict
     readings that differ), stale expectations, failing untagged tests
  2  the run itself failed or did not go to its end: bad input, a harness that
     would not start or kept failing, no tests, interrupted, timed out; one line
     on stderr says why"""
"""The table above, for ``--help``."""


def run_failed(message: str) -> int:
    """Say in one line on stderr why the command failed; its exit status."""
    from mmapspec.results.safe_text import for_terminal

    # One line, whatever a harness or a report put in the message.
    print(f"mmapspec: error: {for_terminal(message)}", file=sys.stderr)
    return EXIT_RUN_FAILED
