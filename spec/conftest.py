"""pytest configuration of the spec: per-test bookkeeping.

The Hypothesis profiles are registered and chosen by the mmapspec pytest plugin
(``mmapspec.plugin``), on the controller and every worker alike, before
Hypothesis reads ``--hypothesis-profile``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mmapspec.adapters.interface import Adapter
from mmapspec.spec.support import Maps


@pytest.fixture(autouse=True)
def _begin_test(adapter: Adapter) -> None:
    """A harness that failed in one test gets another chance in the next (pipe adapter)."""
    begin = getattr(adapter, "begin_test", None)
    if begin is not None:
        begin()


@pytest.fixture
def maps(adapter: Adapter) -> Iterator[Maps]:
    """Maps, mirrors and tagnames of this test, all released when it ends."""
    with Maps(adapter) as bookkeeping:
        yield bookkeeping
