"""pytest configuration of the spec: the adapter under test and per-test bookkeeping.

The Hypothesis profiles are registered and chosen by the mmapspec pytest plugin
(``mmapspec.plugin.hooks``), on the controller and every worker alike, before
Hypothesis reads ``--hypothesis-profile``. The plugin is registered when the run
names the spec or an option of the suite; collecting the spec registers it too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from mmapspec.adapters.interface import Adapter
from mmapspec.plugin.hooks import session_adapter
from mmapspec.plugin.pytest_entry import activate
from mmapspec.spec.support import Maps
from mmapspec.spec.support.int_range import declare, kept_out


def pytest_configure(config: pytest.Config) -> None:
    activate(config)


@pytest.fixture(scope="session")
def adapter(pytestconfig: pytest.Config) -> Iterator[Adapter]:
    """The implementation under test, for the whole session."""
    yield from session_adapter(pytestconfig)


@pytest.fixture(autouse=True)
def _begin_test(adapter: Adapter) -> None:
    """A harness that failed in one test gets another chance in the next (pipe adapter)."""
    begin = getattr(adapter, "begin_test", None)
    if begin is not None:
        begin()


@pytest.fixture(autouse=True)
def _declared_int_range(
    adapter: Adapter, record_property: Callable[[str, object], None]
) -> Iterator[None]:
    """Values beyond the integer range the binding declares are never sent; what that
    kept out of this test becomes its note ``int_range``, which the report shows."""
    declare(adapter)
    yield
    narrowed = kept_out()
    if narrowed is not None:
        record_property("int_range", narrowed)


@pytest.fixture
def maps(adapter: Adapter) -> Iterator[Maps]:
    """Maps, mirrors and tagnames of this test, all released when it ends."""
    with Maps(adapter) as bookkeeping:
        yield bookkeeping
