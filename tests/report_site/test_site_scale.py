"""The page is linear in its reports and does not amplify them: CPU time at n and 4n
clauses of the shape that was quadratic (each clause its own section, quotes shared),
and the size of a page whose report names its adapter with a megabyte."""

from __future__ import annotations

import json
import time
from typing import Any

from mmapspec.results import report_formats
from mmapspec.results.report_input import checked
from mmapspec.spec import catalogue
from mmapspec.viewer import site

from tests.conformance.test_runner_units import sample_report


def report(n: int, name: str = "binding") -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(report_formats.to_json(sample_report()))
    cat = catalogue.CLAUSES
    doc["adapter"]["name"] = name
    doc["sections"] = []
    doc["clauses"] = [
        {
            "id": f"c{i}",
            "status": "pass",
            "section": f"s{i}" if i % 2 else cat[i % len(cat)].section,
            "quote": cat[i % len(cat)].quote,
            "basis": "document",
        }
        for i in range(n)
    ]
    return checked(doc)


def cpu_seconds(n: int) -> float:
    doc = report(n)
    best = float("inf")
    for _ in range(2):
        start = time.process_time()
        site.build([doc])
        best = min(best, time.process_time() - start)
    return best


def test_the_page_is_linear_in_the_clauses() -> None:
    small, large = cpu_seconds(2_500), cpu_seconds(10_000)
    # Linear: about 4x; quadratic (as it was): about 16x.
    assert large / small < 8, f"2,500 clauses: {small:.2f} s, 10,000: {large:.2f} s"


def test_a_megabyte_name_does_not_make_a_large_page() -> None:
    page = site.build([report(10, name="N" * (1 << 20))])
    assert len(page) < 400_000, len(page)
