"""The pytest plugin: chooses the adapter under test and ties tests to clauses.

Loaded through the ``pytest11`` entry point, it stays inert unless spec tests are
collected. Options: ``--mmap-adapter NAME`` and ``--adapter-option KEY=VALUE``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mmapspec.adapters import AdapterSpec, load
from mmapspec.adapters.interface import Adapter, Unsupported

UNSUPPORTED_PREFIX = "unsupported: "


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mmapspec", "mmap conformance")
    group.addoption(
        "--mmap-adapter",
        default="reference",
        help="adapter under test: a built-in name, module:attribute, or an entry point name",
    )
    group.addoption(
        "--adapter-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an option for the adapter (repeatable), e.g. pipe_cmd='luajit harness.lua'",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "clause(id, ...): the catalogue clause(s) a test checks")
    config.addinivalue_line("markers", "needs(capability, ...): capabilities beyond the clause's")


def adapter_spec(config: pytest.Config) -> AdapterSpec:
    options = []
    for item in config.getoption("adapter_option"):
        key, sep, value = item.partition("=")
        if not sep:
            raise pytest.UsageError(f"--adapter-option takes KEY=VALUE, got {item!r}")
        options.append((key, value))
    return AdapterSpec(config.getoption("mmap_adapter"), tuple(options))


@pytest.fixture(scope="session")
def adapter(pytestconfig: pytest.Config) -> Iterator[Adapter]:
    impl = load(adapter_spec(pytestconfig))
    try:
        yield impl
    finally:
        impl.close()


def _required(item: pytest.Item) -> set[str]:
    from mmapspec.spec.catalogue import BY_ID

    needs: set[str] = set()
    for mark in item.iter_markers("clause"):
        for clause_id in mark.args:
            if clause_id in BY_ID:
                needs |= BY_ID[clause_id].needs
    for mark in item.iter_markers("needs"):
        needs |= set(mark.args)
    return needs


def pytest_runtest_setup(item: pytest.Item) -> None:
    needs = _required(item)
    if not needs or "adapter" not in getattr(item, "fixturenames", ()):
        return
    impl: Adapter = item._request.getfixturevalue("adapter")  # type: ignore[attr-defined]
    missing = sorted(needs - impl.capabilities.names())
    if missing:
        pytest.skip(UNSUPPORTED_PREFIX + ", ".join(missing))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if call.excinfo is not None and call.excinfo.errisinstance(Unsupported):
        # The implementation said it cannot do this at all: not a failure of the spec.
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, UNSUPPORTED_PREFIX + str(call.excinfo.value.capability))
    return report
