"""The mini spec's catalogue: the stock clauses and the runner's synthetic ones.

``mmapspec run --spec minispec`` reads the catalogue of the spec package it runs
(``minispec.catalogue``), so the mini spec's clauses are reported like the stock
ones while the stock catalogue stays untouched.
"""

from __future__ import annotations

from mmapspec.spec.catalogue import CLAUSES as STOCK
from mmapspec.spec.catalogue import Clause


def _clause(
    cid: str, quote: str, needs: frozenset[str] = frozenset(), reading: str | None = None
) -> Clause:
    return Clause(
        id=f"runner.{cid}",
        section="runner-minispec",
        function="mmap.map",
        kind="returns",
        quote=quote,
        needs=needs,
        basis="reading" if reading else "document",
        reading=reading,
    )


EXTRA = (
    _clause("pass", "bytes written to a map read back"),
    _clause("offset", "offsets are multiples of pagesize()"),
    _clause("unsupported", "tagname shares memory", frozenset({"tagname"})),
    _clause("mixed", "one test passes, one needs a mirror the adapter lacks"),
    _clause("notes", "a test leaves a note"),
    _clause("skipped", "a test that cannot run here"),
    _clause("crash", "a worker dies mid-test"),
    _clause("crash-reported", "the adapter reports its process died"),
    _clause("untested", "no test names this clause"),
    _clause("blocked-at-setup", "a test whose setup relies on runner.offset"),
    _clause("blocked-declared", "a test that declares runner.offset its prerequisite"),
    _clause("reading", "a silent spot", reading="the mini spec reads it as pagesize() > 4096"),
    _clause("suite-error", "a test whose own code raises (opt-in: MINISPEC_SUITE_ERROR=1)"),
    _clause("suite-error-in-setup", "the same inside a prerequisite block (opt-in)"),
    _clause("binding-raises", "an adapter call raises an exception it did not convert"),
)

CLAUSES = (*STOCK, *EXTRA)
BY_ID = {c.id: c for c in CLAUSES}
