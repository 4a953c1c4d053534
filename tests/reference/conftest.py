"""Fixtures for the reference's own tests: unique shared memory names, child processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator

import pytest
from mmapspec import reference as mm


@pytest.fixture
def tagname() -> Iterator[str]:
    """A tagname unique to this test (tests run in parallel), unlinked afterwards."""
    name = f"mmapspec-ref-{uuid.uuid4().hex}"
    yield name
    mm.unlink(name)


RunChild = Callable[..., "subprocess.CompletedProcess[str]"]


def _run_child(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def run_child() -> RunChild:
    """Run Python code in a fresh interpreter (crashes are only provoked there)."""
    return _run_child
