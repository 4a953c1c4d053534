"""``mmap.aligned_size`` and ``mmap.aligned_addr`` against their arithmetic definition."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mmapspec.adapters.interface import Adapter
from mmapspec.spec import strategies as sst


def _expected(n: int, p: int, direction: str) -> int:
    down = n // p * p
    return down if direction == "left" or down == n else down + p


@pytest.mark.clause("aligned_size.right-default", "aligned_size.left")
@given(data=st.data())
def test_aligned_size(adapter: Adapter, data: st.DataObject) -> None:
    p = adapter.pagesize()
    n = data.draw(sst.values(p), label="bytes")
    assert adapter.aligned_size(n) == _expected(n, p, "right"), "default direction"
    assert adapter.aligned_size(n, "right") == _expected(n, p, "right")
    assert adapter.aligned_size(n, "left") == _expected(n, p, "left")


@pytest.mark.clause("aligned_addr.right-default", "aligned_addr.left")
@given(data=st.data())
def test_aligned_addr(adapter: Adapter, data: st.DataObject) -> None:
    p = adapter.pagesize()
    n = data.draw(sst.values(p), label="ptr")
    assert adapter.aligned_addr(n) == _expected(n, p, "right"), "default direction"
    assert adapter.aligned_addr(n, "right") == _expected(n, p, "right")
    assert adapter.aligned_addr(n, "left") == _expected(n, p, "left")


@pytest.mark.clause(
    "aligned_size.right-default",
    "aligned_size.left",
    "aligned_addr.right-default",
    "aligned_addr.left",
)
@pytest.mark.parametrize("pages", [0, 1, 7])
def test_edges(adapter: Adapter, pages: int) -> None:
    """0 and aligned values are their own alignment; their neighbours go to the next page."""
    p = adapter.pagesize()
    n = pages * p
    for helper in (adapter.aligned_size, adapter.aligned_addr):
        assert helper(n) == helper(n, "left") == n
        assert helper(n + 1) == n + p and helper(n + 1, "left") == n
        assert helper(n + p - 1) == n + p and helper(n + p - 1, "left") == n
