"""The page size the tests align to, and what a check needs of the adapter."""

from __future__ import annotations

import mmap

import pytest
from mmapspec.adapters.interface import Adapter


def require(adapter: Adapter, *capabilities: str) -> None:
    """Skip this check unless the adapter declares ``capabilities``, saying which are
    missing. For what a check needs beyond its clause (one case of a parametrized
    test): the clause stays judged by its other checks. What the clause itself needs
    is in the catalogue (``Clause.needs``); without it the runner reports the clause
    unsupported before the test runs."""
    missing = sorted(set(capabilities) - adapter.capabilities.names())
    if missing:
        pytest.skip(f"this check needs {', '.join(missing)}, which the adapter does not declare")


def page(adapter: Adapter) -> int:
    """The page size the tests align to: the implementation's own when it offers
    ``pagesize``, else the one this machine's OS reports."""
    if "pagesize" in adapter.capabilities.names():
        return adapter.pagesize()
    return os_page()


def os_page() -> int:
    """The granularity of mappings as the OS reports it (the page size; on Windows the
    allocation granularity, to which file offsets must be aligned). Tests that need
    "a page" and are not about ``pagesize()`` use it, so that a binding's wrong
    ``pagesize()`` fails the pagesize clauses and nothing else."""
    return mmap.ALLOCATIONGRANULARITY


def system_page() -> int:
    """The page of the OS's own view of mappings (/proc/PID/maps, ``VirtualQueryEx``):
    a mapping shows there as whole pages of this size. The same as :func:`os_page`
    on Linux and macOS; on Windows 4 KiB, inside the 64 KiB allocation granules that
    addresses and file offsets are aligned to."""
    return mmap.PAGESIZE
