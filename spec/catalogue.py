"""The clause catalogue: every documented behaviour of ``mmap.md``, one entry each.

Each clause quotes the documentation's sentence verbatim (whitespace folded), so a
linter (``tests/test_catalogue.py``) can check that the quote still stands in the
document, that every clause has at least one test, and that every test names a
clause that exists.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

Kind = Literal["returns", "fails", "raises", "crashes", "invariant"]


@dataclasses.dataclass(frozen=True)
class Clause:
    id: str
    """Stable, dotted: ``<function>.<argument or topic>.<rule>``."""
    section: str
    """The documentation section (its heading's first signature), e.g. ``mmap.map``."""
    function: str
    """The API function the clause concerns, e.g. ``mmap.map`` or ``map:flush``."""
    kind: Kind
    quote: str
    """The documentation's words, verbatim up to whitespace."""
    errcode: str | None = None
    """For ``kind='fails'``: the documented errcode expected."""
    needs: frozenset[str] = frozenset()
    """Capability names (``Capabilities.names()``) without which the clause is unsupported."""
    reading: str | None = None
    """Where the document is ambiguous or contradicts itself: the reading chosen, and why."""


CLAUSES: tuple[Clause, ...] = (
    Clause(
        id="pagesize.returns-page-size",
        section="mmap.pagesize",
        function="mmap.pagesize",
        kind="returns",
        quote="Get the current page size.",
        needs=frozenset({"alignment_helpers"}),
    ),
)

BY_ID: dict[str, Clause] = {c.id: c for c in CLAUSES}
