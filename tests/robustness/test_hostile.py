"""Hostile arguments for every public function of the reference.

Hypothesis draws argument sets as plain data (recipes); a persistent child process
(_fuzz_worker.py) builds the real hostile objects and makes the call, and reports
every broken promise. A crash of the interpreter kills only that child: the test
fails with the signal and the argument set, and Hypothesis shrinks it by replaying
examples in a restarted child.

Argument sets are drawn two ways: every argument random, or a call that would
succeed with exactly one argument made hostile (so hostile values reach the code
past validation). A deterministic sweep adds every edge value, one argument at a
time, so that no run can miss one. The values are in ``_hostile_values.py``, the
argument sets built from them in ``_hostile_recipes.py``.

Default: a few hundred argument sets plus the sweep (~1,100). MMAPSPEC_THOROUGH=1
raises the Hypothesis budget to 11,500 (see BUDGET); the count actually tried is
checked, not assumed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ._children import FuzzWorker, WorkerDied
from ._hostile_recipes import (
    MAP_NAMES,
    MIRROR_NAMES,
    Recipe,
    aligned_recipes,
    call,
    filesize_recipes,
    map_recipes,
    method_recipes,
    mirror_recipes,
    unlink_recipes,
)
from ._hostile_values import (
    ADDR_KINDS,
    FD_KINDS,
    FOBJ_KINDS,
    HOSTILE_TEXT,
    NUMBER_EDGES,
    PAGE,
    WRONG_TYPES,
)

THOROUGH = os.environ.get("MMAPSPEC_THOROUGH") == "1"

# Argument sets per function: (default, thorough). Thorough sums to 11,500, so even
# the 90% floor checked below exceeds 10,000; the edge sweep adds ~1,100 more.
BUDGET = {
    "map": (150, 4500),
    "mirror": (60, 1800),
    "filesize": (60, 1600),
    "unlink": (25, 500),
    "aligned": (40, 1000),
    "methods": (60, 2100),
}


def budget(name: str) -> int:
    return BUDGET[name][1 if THOROUGH else 0]


def fuzz_settings(name: str) -> settings:
    return settings(
        max_examples=budget(name),
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )


# ---------------------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzWorker]:
    w = FuzzWorker(tmp_path_factory.mktemp("fuzz"))
    yield w
    w.close()


def run(worker: FuzzWorker, recipe: Recipe) -> None:
    try:
        problems = worker.call(recipe)
    except WorkerDied as died:
        pytest.fail(f"CRASH: {died}\nargument set: {recipe!r}")
    assert not problems, f"argument set {recipe!r} broke the contract:\n" + "\n".join(problems)


def fuzz_test(name: str, strategy: st.SearchStrategy[Recipe]) -> Any:
    @fuzz_settings(name)
    @given(recipe=strategy)
    def body(worker: FuzzWorker, recipe: Recipe) -> None:
        run(worker, recipe)

    def test(worker: FuzzWorker) -> None:
        start = worker.calls
        body(worker)
        tried = worker.calls - start
        print(f"{name}: {tried} argument sets tried")
        # Hypothesis may stop early only if the space is exhausted; ours is not.
        assert tried >= budget(name) * 0.9, f"only {tried} argument sets were tried"

    test.__name__ = f"test_hostile_{name}"
    return test


test_hostile_map = fuzz_test("map", map_recipes())
test_hostile_mirror = fuzz_test("mirror", mirror_recipes())
test_hostile_filesize = fuzz_test("filesize", filesize_recipes())
test_hostile_unlink = fuzz_test("unlink", unlink_recipes())
test_hostile_aligned_and_pagesize = fuzz_test("aligned", aligned_recipes())
test_hostile_map_and_mirror_methods = fuzz_test("methods", method_recipes())


# Every edge value, one argument at a time, over a call that would otherwise succeed:
# deterministic, so that no default run can miss one (Hypothesis samples them).
EDGES = NUMBER_EDGES + WRONG_TYPES
FILE_EDGES: list[Any] = (
    [("fd", kind, PAGE) for kind in FD_KINDS]
    + [("fobj", kind, PAGE) for kind in FOBJ_KINDS]
    + [("path", "missing", 0, text, "str") for text in HOSTILE_TEXT]
    + [("path", "dir", 0, "", "str"), ("path", "existing", 0, "", "bytes")]
    + [("lit", v) for v in ["", b"", "/", ".", "\0", -1, 2**64 + 1, *WRONG_TYPES]]
)
ADDR_EDGES = [("addr", kind) for kind in ADDR_KINDS] + [("lit", v) for v in EDGES]
EXISTING = ("path", "existing", 3 * PAGE, "", "str")
SWEEPS: dict[str, tuple[str, list[str], list[list[Any]], dict[str, list[Any]]]] = {
    "map": (
        "map",
        MAP_NAMES,
        [
            [("lit", None), ("lit", "w"), ("lit", PAGE), "omit", "omit", "omit"],
            [EXISTING, ("lit", "w"), "omit", ("lit", 0), "omit", "omit"],
            [("lit", None), ("lit", "w"), ("lit", PAGE), "omit", "omit", ("tag", "", None)],
        ],
        {
            "file": FILE_EDGES,
            "access": [("lit", v) for v in ["r", "W", "xw", "ww", "wc", None, b"w", 1, "w\0"]],
            "size": [("lit", v) for v in EDGES],
            "offset": [("lit", v) for v in EDGES],
            "addr": ADDR_EDGES,
            "tagname": [("tag", t, None) for t in HOSTILE_TEXT]
            + [("lit", v) for v in ["", 5, b"x", True]],
        },
    ),
    "mirror": (
        "mirror",
        MIRROR_NAMES,
        [
            [("fd", "r+", PAGE), ("lit", PAGE), "omit", "omit"],
            [("fd", "r+", PAGE), ("lit", PAGE), ("lit", 1), "omit"],  # 1 copy: no product check
        ],
        {
            "file": FILE_EDGES,
            "size": [("lit", v) for v in EDGES],
            "times": [("lit", v) for v in [0, -1, 2**31, 2**63, 2**64, 10**6, *WRONG_TYPES]],
            "addr": ADDR_EDGES,
        },
    ),
    "filesize": (
        "filesize",
        ["file", "size"],
        [[EXISTING, "omit"], [EXISTING, ("lit", PAGE)]],
        {
            "file": FILE_EDGES,
            "size": [("lit", v) for v in EDGES],
        },
    ),
    "aligned_size": (
        "aligned_size",
        ["n", "dir"],
        [[("lit", PAGE + 1), "omit"]],
        {
            "n": [("lit", v) for v in EDGES],
            "dir": [
                ("lit", v) for v in ["left", "right", None, "LEFT", "up", "", 0, True, b"left"]
            ],
        },
    ),
    "aligned_addr": (
        "aligned_addr",
        ["ptr", "dir"],
        [[("lit", PAGE + 1), "omit"]],
        {
            "ptr": [("lit", v) for v in EDGES],
            "dir": [("lit", v) for v in ["left", "right", None, "LEFT", "up", "", 0, True]],
        },
    ),
    "unlink": (
        "unlink",
        ["tagname"],
        [[("tag", "", PAGE)]],
        {
            "tagname": [("tag", t, None) for t in HOSTILE_TEXT]
            + [("lit", v) for v in ["", 5, b"x", True, None, "x" * 300]],
        },
    ),
}


@pytest.mark.parametrize("name", sorted(SWEEPS))
def test_every_edge_value_one_argument_at_a_time(worker: FuzzWorker, name: str) -> None:
    func, names, bases, edges = SWEEPS[name]
    failures = []
    tried = 0
    for base in bases:
        for param, values in edges.items():
            for value in values:
                args = list(base)
                args[names.index(param)] = value
                recipe = call(func, names, args, [False] * len(names))
                tried += 1
                try:
                    problems = worker.call(recipe)
                except WorkerDied as died:
                    problems = [f"CRASH: {died}"]
                if problems:
                    failures.append(f"{recipe!r}:\n  " + "\n  ".join(problems))
    print(f"{name} sweep: {tried} argument sets tried")
    assert not failures, f"{len(failures)} of {tried} argument sets broke the contract:\n" + (
        "\n".join(failures[:10])
    )


def test_a_crash_in_the_worker_is_caught_and_reported(tmp_path: Path) -> None:
    """The machinery itself: a segfault in the worker is reported as a crash with
    its signal, and the next call runs in a fresh worker."""
    w = FuzzWorker(tmp_path)
    try:
        with pytest.raises(WorkerDied, match="SIGSEGV"):
            w.call({"func": "_crash"})
        assert w.call({"func": "pagesize", "args": [], "kwargs": {}}) == []
    finally:
        w.close()
