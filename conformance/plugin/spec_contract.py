"""The runner's contract with a spec package: :class:`SpecContract`, the names a
spec package gives in its module ``PACKAGE.contract`` (mmapspec's own:
:mod:`mmapspec.spec.contract`). The runner reaches a spec package only through its
catalogue (``PACKAGE.catalogue``) and this contract, never through its other
modules. A package with no contract module runs under mmapspec's own spec's.
"""

from __future__ import annotations

import importlib
from typing import Protocol, cast

import pytest
from mmapspec.plugin.defaults import DEFAULT_SPEC


class SpecContract(Protocol):
    """What a spec package gives the runner."""

    PROFILES: tuple[str, ...]
    """The Hypothesis profiles ``--hypothesis-profile`` may name."""
    RUN_PREFIX_VARIABLE: str
    """The environment variable holding the prefix of a run's tagnames."""
    PrerequisiteFailed: type[BaseException]
    """A setup or observing call broke its clause's promise (its ``clause``)."""
    Violation: type[BaseException]
    """A failure of a multi-clause test that is its ``clause``'s alone."""

    def register_profiles(self) -> None:
        """Register the Hypothesis profiles."""

    def remove_tagnames_by_prefix(self, prefix: str) -> object:
        """Remove every shared-memory object whose name begins with ``prefix``."""


def load_contract(spec: str) -> SpecContract:
    """The contract of the spec package ``spec``."""
    name = f"{spec}.contract"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name or spec == DEFAULT_SPEC:
            raise
        module = importlib.import_module(f"{DEFAULT_SPEC}.contract")
    return cast(SpecContract, module)


def spec_contract(config: pytest.Config) -> SpecContract:
    """The contract of the spec package a pytest run runs."""
    from mmapspec.plugin.run_config import RunConfig

    return load_contract(RunConfig.from_pytest(config).spec)
