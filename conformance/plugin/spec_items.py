"""What the plugin reads off a spec test (a pytest item): the clause it gives a status
to, the clauses it relies on, the capabilities it needs, and whether a missing one
makes it unsupported, not applicable here, or only this check skipped.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
from types import ModuleType
from typing import Literal

import pytest
from mmapspec.adapters.interface import Adapter
from mmapspec.results.status import UNSUPPORTED_PREFIX

NOT_APPLICABLE_PREFIX = "not applicable here: "

SkipKind = Literal["unsupported", "not-applicable", "check-only"]
"""Why the suite skipped a spec test: the clause needs a capability the adapter lacks
(the clause is ``unsupported``); the capability is not meant for this platform; or
only this check needs it (the clause is judged by its other tests)."""
SKIP_KIND = pytest.StashKey[str]()
"""On a spec item: the :data:`SkipKind` of the skip the suite made of it."""
MISSING = pytest.StashKey[tuple[str, ...]]()
"""On a spec item skipped as ``unsupported``: the capabilities the adapter lacks."""


@dataclasses.dataclass(frozen=True)
class CapabilitySkip:
    kind: SkipKind
    reason: str
    missing: tuple[str, ...] = ()
    """For ``unsupported``: the capabilities the clause needs and the adapter lacks."""


PLATFORM_ONLY: dict[str, tuple[str, ...]] = {
    # The doc scopes these to some systems: "a void* representing a Windows HANDLE";
    # unlink "remove the shared memory file from disk (Linux, OSX)". An adapter
    # lacking them elsewhere is not deviating: such clauses are skipped, not unsupported.
    "file:handle": ("win32", "cygwin"),
    "unlink": ("linux", "darwin"),
}


def _marker_args(item: pytest.Item, name: str) -> tuple[str, ...]:
    ids: list[str] = []
    for mark in item.iter_markers(name):
        ids.extend(a for a in mark.args if a not in ids)
    return tuple(ids)


def clause_ids(item: pytest.Item) -> tuple[str, ...]:
    """The clauses of ``@pytest.mark.clause``: one, or several for the stateful model."""
    return _marker_args(item, "clause")


def prerequisites(item: pytest.Item) -> tuple[str, ...]:
    """The clauses of ``@pytest.mark.prerequisites``."""
    return _marker_args(item, "prerequisites")


def is_spec_item(item: pytest.Item, catalogue: ModuleType) -> bool:
    """A test of the spec package (``catalogue``'s): it names a clause, or it lives in
    that package (an untagged one there is the spec's own mistake, and reported). A
    project's test run in the same session, with an ``adapter`` of its own or not, is
    none of the report's business."""
    if clause_ids(item):
        return True
    return _real(str(item.path)).startswith(
        _real(os.path.dirname(catalogue.__file__ or "")) + os.sep
    )


@functools.cache
def _real(path: str) -> str:
    """``path`` resolved and in the OS's case (asked once per path: every phase of every
    test in a session asks whether it is the spec's)."""
    return os.path.normcase(os.path.realpath(path))


def _required(item: pytest.Item, catalogue: ModuleType) -> tuple[set[str], set[str]]:
    """The capabilities the test's clause needs, and those only this test needs."""
    by_id = getattr(catalogue, "BY_ID", None) or {c.id: c for c in catalogue.CLAUSES}
    clause_needs: set[str] = set()
    for clause_id in clause_ids(item):
        if clause_id in by_id:
            clause_needs |= by_id[clause_id].needs
    test_needs: set[str] = set()
    for mark in item.iter_markers("needs"):
        test_needs |= set(mark.args)
    return clause_needs, test_needs - clause_needs


def capability_skip(
    item: pytest.Item, impl: Adapter, catalogue: ModuleType
) -> CapabilitySkip | None:
    """Why the test cannot run against ``impl`` for want of a capability, or None."""
    clause_needs, test_needs = _required(item, catalogue)
    have = impl.capabilities.names()
    missing = sorted(clause_needs - have)
    elsewhere = [
        n for n in missing if not sys.platform.startswith(PLATFORM_ONLY.get(n, sys.platform))
    ]
    if elsewhere:
        reason = f"{NOT_APPLICABLE_PREFIX}{', '.join(elsewhere)} (not on {sys.platform})"
        return CapabilitySkip("not-applicable", reason)
    if missing:
        return CapabilitySkip(
            "unsupported", UNSUPPORTED_PREFIX + ", ".join(missing), tuple(missing)
        )
    # A capability only this test needs (to set up or observe) does not make the
    # clause unsupported: the clause is judged by its other tests.
    extra = sorted(test_needs - have)
    if extra:
        reason = f"this check needs {', '.join(extra)}, which the adapter does not declare"
        return CapabilitySkip("check-only", reason)
    return None
