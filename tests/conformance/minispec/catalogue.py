"""The mini spec's catalogue: the stock clauses and the runner's synthetic ones.

``mmapspec run --spec minispec`` reads the catalogue of the spec package it runs
(``minispec.catalogue``), so the mini spec's clauses are reported like the stock
ones while the stock catalogue stays untouched.
"""

from __future__ import annotations

from mmapspec.spec.catalogue import CLAUSES as STOCK
from mmapspec.spec.catalogue import Clause


def _clause(cid: str, quote: str, needs: frozenset[str] = frozenset()) -> Clause:
    return Clause(
        id=f"runner.{cid}",
        section="runner-minispec",
        function="mmap.map",
        kind="returns",
        quote=quote,
        needs=needs,
    )


EXTRA = (
    _clause("pass", "bytes written to a map read back"),
    _clause("offset", "offsets are multiples of pagesize()"),
    _clause("unsupported", "tagname shares memory", frozenset({"tagname"})),
    _clause("mixed", "one test passes, one needs a mirror"),
    _clause("notes", "a test leaves a note"),
    _clause("skipped", "a test that cannot run here"),
    _clause("crash", "a worker dies mid-test"),
    _clause("crash-reported", "the adapter reports its process died"),
    _clause("untested", "no test names this clause"),
)

CLAUSES = (*STOCK, *EXTRA)
BY_ID = {c.id: c for c in CLAUSES}
