"""The mini spec's adapter fixture, as every spec package defines it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mmapspec.adapters.interface import Adapter
from mmapspec.plugin.hooks import session_adapter


@pytest.fixture(scope="session")
def adapter(pytestconfig: pytest.Config) -> Iterator[Adapter]:
    yield from session_adapter(pytestconfig)
