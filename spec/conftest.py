"""pytest configuration of the spec: Hypothesis profiles and per-test bookkeeping."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings
from mmapspec.adapters.interface import Adapter
from mmapspec.spec._profiles import register
from mmapspec.spec.support import Maps

register()


def pytest_configure(config: pytest.Config) -> None:
    # An explicit --hypothesis-profile has been loaded by Hypothesis's own plugin.
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile("ci" if os.environ.get("CI") else "dev")


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
