"""Hostile arguments for every public function of the reference.

Hypothesis draws argument sets as plain data (recipes); a persistent child process
(_fuzz_worker.py) builds the real hostile objects and makes the call, and reports
every broken promise. A crash of the interpreter kills only that child: the test
fails with the signal and the argument set, and Hypothesis shrinks it by replaying
examples in a restarted child.

Argument sets are drawn two ways: every argument random, or a call that would
succeed with exactly one argument made hostile (so hostile values reach the code
past validation). A deterministic sweep adds every edge value, one argument at a
time, so that no run can miss one.

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

PAGE = os.sysconf("SC_PAGESIZE")
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


# --------------------------------------------------------------------------- values


def lit(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[str, Any]]:
    return strategy.map(lambda v: ("lit", v))


NUMBER_EDGES = [
    0,
    1,
    PAGE - 1,
    PAGE,
    PAGE + 1,
    2 * PAGE,
    3 * PAGE - 1,
    2**31 - 1,
    2**31,
    2**32,
    2**62,
    2**63 - PAGE,
    2**63 - 1,
    2**63,
    2**63 + PAGE,
    2**64 - 1,
    2**64,
    2**64 + 1,
    2**64 + PAGE,
    2**65 + 3 * PAGE,
    2**100,
    -1,
    -PAGE,
    -(2**63),
    -(2**63) - 1,
    -(2**64),
]
WRONG_TYPES = [
    None,
    True,
    False,
    0.0,
    1.5,
    float(PAGE),
    float("inf"),
    float("nan"),
    "4096",
    b"4096",
    [PAGE],
    object.__name__,
    complex(1, 1),
]

sizes = st.one_of(
    st.sampled_from(NUMBER_EDGES),
    st.integers(1, 4 * PAGE),
    st.integers(-(2**70), 2**70),
    st.sampled_from(WRONG_TYPES),
)
offsets = st.one_of(
    st.sampled_from(
        [
            0,
            PAGE,
            2 * PAGE,
            1,
            PAGE - 1,
            PAGE + 1,
            2**63 - PAGE,
            2**63,
            2**64,
            -PAGE,
            -1,
            None,
            1.0,
            True,
            "0",
        ]
    ),
    st.integers(0, 8).map(lambda k: k * PAGE),
)
accesses = st.one_of(
    st.sampled_from(["", "w", "c", "x", "wx", "cx"]),
    st.sampled_from([None, "r", "W", "xw", "ww", "wc", "rw", " w", "w\0", b"w", 1, True, "é"]),
    st.text(max_size=3),
)
HOSTILE_TEXT = [
    "",
    "/",
    "\\",
    "a/b",
    "a\\b",
    "\0",
    "a\0b",
    "..",
    "../x",
    "\udcff",
    "é",
    "x" * 300,
    "y" * 5000,
    " ",
    "\n",
]
suffixes = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=20))
paths = st.one_of(
    st.tuples(
        st.just("path"),
        st.sampled_from(["missing", "existing", "existing", "dir"]),
        st.sampled_from([0, 1, PAGE - 1, PAGE, PAGE + 1, 3 * PAGE]),
        st.sampled_from(["", "", ".dat", " x", "\\x"]),
        st.sampled_from(["str", "bytes", "pathlike"]),
    ),
    st.tuples(
        st.just("path"),
        st.just("missing"),
        st.just(0),
        suffixes,
        st.sampled_from(["str", "bytes", "pathlike"]),
    ),
    st.tuples(
        st.just("path"),
        st.just("missing"),
        st.just(0),
        st.sampled_from([b"\xff\xfe", b"a\x80b", b"\0"]),
        st.just("bytes"),
    ),
    lit(st.sampled_from(["", b"", "/", ".", "/dev/null", "\0"])),
)
FD_KINDS = [
    "r",
    "r+",
    "w+",
    "closed",
    "dir",
    "pipe_r",
    "pipe_w",
    "socket",
    "devnull_r",
    "devnull_rw",
    "devzero",
]
fds = st.one_of(
    st.tuples(
        st.just("fd"), st.sampled_from(FD_KINDS), st.sampled_from([0, 1, PAGE, PAGE + 1, 3 * PAGE])
    ),
    lit(st.sampled_from([-1, 0, 1, 2, 99999, 2**31, 2**63, 2**64 + 1, -(2**64)])),
)
FOBJ_KINDS = [
    "rb",
    "r+b",
    "wb+",
    "r+b-raw",
    "r+",
    "closed",
    "bytesio",
    "socket",
    "fileno_str",
    "fileno_raises",
    "fileno_neg",
    "fileno_huge",
]
FOBJ_SIZES = [0, 1, PAGE, 2 * PAGE + 5]
fobjs = st.tuples(st.just("fobj"), st.sampled_from(FOBJ_KINDS), st.sampled_from(FOBJ_SIZES))
files = st.one_of(paths, fds, fobjs, lit(st.sampled_from(WRONG_TYPES)))
# Only map promises to flush a file object's write buffer ("pending" has unflushed bytes).
map_files = st.one_of(
    files, st.tuples(st.just("fobj"), st.just("pending"), st.sampled_from(FOBJ_SIZES))
)
ADDR_KINDS = ["canary", "canary_mid", "canary_unaligned", "heap", "code", "free", "free_unaligned"]
addrs = st.one_of(
    st.tuples(st.just("addr"), st.sampled_from(ADDR_KINDS)),
    lit(
        st.sampled_from(
            [
                None,
                0,
                1,
                PAGE,
                2**47,
                2**63,
                2**64,
                2**64 + PAGE,
                -PAGE,
                -1,
                float(PAGE),
                True,
                "0x1000",
            ]
        )
    ),
)
tagnames = st.one_of(
    st.tuples(st.just("tag"), suffixes, st.sampled_from([None, None, 0, PAGE, 3 * PAGE])),
    lit(st.sampled_from(["", "/", "a/b", "\\", "\0", 5, b"name", True])),
)
directions = st.one_of(
    st.sampled_from(["left", "right"]), st.sampled_from([None, "LEFT", "up", "", 0, True, b"left"])
)
times_ = st.one_of(
    st.integers(1, 4),
    st.sampled_from([0, -1, 2**31, 2**63, 2**64, 10**6, 1.0, 2.5, None, True, "2"]),
)

Recipe = dict[str, Any]


def call(func: str, names: list[str], values: list[Any], keyword_mask: list[bool]) -> Recipe:
    """A recipe passing values positionally up to the first keyword, then by keyword;
    omitted arguments (the string "omit") are not passed at all."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    positional = True
    for name, value, as_kw in zip(names, values, keyword_mask, strict=True):
        if value == "omit":
            positional = False
            continue
        if positional and not as_kw:
            args.append(value)
        else:
            positional = False
            kwargs[name] = value
    return {"func": func, "args": args, "kwargs": kwargs}


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just("omit"), strategy)


MAP_NAMES = ["file", "access", "size", "offset", "addr", "tagname"]
MIRROR_NAMES = ["file", "size", "times", "addr"]


@st.composite
def one_hostile(
    draw: st.DrawFn,
    func: str,
    names: list[str],
    valid: st.SearchStrategy[list[Any]],
    hostile: dict[str, st.SearchStrategy[Any]],
) -> Recipe:
    """A call that would succeed, with exactly one argument replaced by a hostile
    one: the argument then meets the code paths past validation (a read-only
    descriptor given to a writable map, a live address as a hint, times=10**6...)."""
    values = draw(valid)
    name = draw(st.sampled_from(sorted(hostile)))
    values[names.index(name)] = draw(hostile[name])
    return call(func, names, values, [False] * len(names))


valid_maps = st.one_of(
    st.tuples(  # the pagefile
        lit(st.none()),
        lit(st.sampled_from(["", "w", "c", "x", "wx", "cx"])),
        lit(st.integers(1, 3 * PAGE)),
        st.just("omit"),
        st.just("omit"),
        st.just("omit"),
    ),
    st.tuples(  # an existing file
        st.tuples(
            st.just("path"), st.just("existing"), st.just(3 * PAGE), st.just(""), st.just("str")
        ),
        lit(st.sampled_from(["", "w", "c", "x", "wx", "cx"])),
        st.one_of(st.just("omit"), lit(st.integers(1, 3 * PAGE))),
        lit(st.sampled_from([0, PAGE])),
        st.just("omit"),
        st.just("omit"),
    ),
    st.tuples(  # a new tagname
        lit(st.none()),
        lit(st.just("w")),
        lit(st.integers(1, 3 * PAGE)),
        st.just("omit"),
        st.just("omit"),
        st.tuples(st.just("tag"), st.just(""), st.just(None)),
    ),
).map(list)
map_hostile = {
    "file": map_files,
    "access": lit(accesses),
    "size": lit(sizes),
    "offset": lit(offsets),
    "addr": addrs,
    "tagname": tagnames,
}


@st.composite
def random_maps(draw: st.DrawFn) -> Recipe:
    file = draw(st.one_of(st.just("omit"), lit(st.none()), map_files))
    access = draw(maybe(lit(accesses)))
    size = draw(maybe(lit(sizes)))
    offset = draw(maybe(lit(offsets)))
    addr = draw(maybe(addrs))
    tag = draw(st.one_of(st.just("omit"), st.just("omit"), tagnames))
    mask = draw(st.lists(st.booleans(), min_size=6, max_size=6))
    return call("map", MAP_NAMES, [file, access, size, offset, addr, tag], mask)


def map_recipes() -> st.SearchStrategy[Recipe]:
    return st.one_of(random_maps(), one_hostile("map", MAP_NAMES, valid_maps, map_hostile))


valid_mirrors = st.tuples(
    st.one_of(
        st.tuples(
            st.just("path"),
            st.sampled_from(["missing", "existing"]),
            st.just(3 * PAGE),
            st.just(""),
            st.just("str"),
        ),
        st.tuples(st.just("fd"), st.sampled_from(["r+", "w+"]), st.just(PAGE)),
        st.tuples(st.just("fobj"), st.just("r+b"), st.just(PAGE)),
    ),
    lit(st.integers(1, 3 * PAGE)),
    st.one_of(st.just("omit"), lit(st.integers(1, 4))),
    st.just("omit"),
).map(list)
mirror_hostile = {"file": files, "size": lit(sizes), "times": lit(times_), "addr": addrs}


@st.composite
def random_mirrors(draw: st.DrawFn) -> Recipe:
    file = draw(st.one_of(files, lit(st.none())))
    size = draw(lit(st.one_of(st.integers(1, 3 * PAGE), sizes)))
    times = draw(maybe(lit(times_)))
    addr = draw(maybe(addrs))
    mask = draw(st.lists(st.booleans(), min_size=4, max_size=4))
    return call("mirror", MIRROR_NAMES, [file, size, times, addr], mask)


def mirror_recipes() -> st.SearchStrategy[Recipe]:
    return st.one_of(
        random_mirrors(), one_hostile("mirror", MIRROR_NAMES, valid_mirrors, mirror_hostile)
    )


@st.composite
def filesize_recipes(draw: st.DrawFn) -> Recipe:
    file = draw(st.one_of(files, lit(st.none())))
    size = draw(maybe(lit(st.one_of(st.integers(0, 3 * PAGE), sizes))))
    return call("filesize", ["file", "size"], [file, size], [False, draw(st.booleans())])


@st.composite
def unlink_recipes(draw: st.DrawFn) -> Recipe:
    return call(
        "unlink",
        ["tagname"],
        [draw(st.one_of(tagnames, lit(st.sampled_from([None, 1.0, "", "x" * 300]))))],
        [False],
    )


@st.composite
def aligned_recipes(draw: st.DrawFn) -> Recipe:
    func = draw(st.sampled_from(["aligned_size", "aligned_addr", "pagesize"]))
    if func == "pagesize":
        return call(func, [], [], [])
    value = draw(lit(st.one_of(st.integers(-(2**70), 2**70), sizes)))
    direction = draw(maybe(lit(directions)))
    return call(
        func, ["n" if func == "aligned_size" else "ptr", "dir"], [value, direction], [False, False]
    )


@st.composite
def method_recipes(draw: st.DrawFn) -> Recipe:
    """A valid map (pagefile, file, tagname) or mirror, then hostile method calls."""
    source = draw(st.sampled_from(["pagefile", "file", "tag", "mirror"]))
    access = draw(st.sampled_from(["", "w", "c"]))
    size = draw(st.integers(1, 3 * PAGE))
    if source == "mirror":
        recipe = call("mirror", ["file", "size"], [("fd", "r+", 0), ("lit", size)], [False, False])
    else:
        file = {
            "pagefile": ("lit", None),
            "file": ("path", "existing", 3 * PAGE, "", "str"),
            "tag": ("lit", None),
        }[source]
        tag = ("tag", "", None) if source == "tag" else "omit"
        recipe = call(
            "map",
            ["file", "access", "size", "offset", "addr", "tagname"],
            [file, ("lit", "w" if source == "tag" else access), ("lit", size), "omit", "omit", tag],
            [False] * 6,
        )
    rel = st.one_of(
        st.sampled_from([0, 1, PAGE - 1, PAGE, size - 1, size, -1, -PAGE, 2**40]).map(
            lambda o: ("maprel", o)
        ),
        lit(st.sampled_from([None, 0, -1, 2**64, 1.5, "0"])),
    )
    n = lit(
        st.one_of(
            st.integers(0, 3 * PAGE), st.sampled_from([-1, 2**63, 2**64, None, 1.5, "1", True])
        )
    )
    async_ = lit(st.sampled_from([True, False, None, 0, 1, "yes", 2**64]))
    flush_args = draw(
        st.one_of(
            st.just([]),
            st.tuples(async_).map(list),
            st.tuples(rel, n).map(list),
            st.tuples(async_, rel, n).map(list),
        )
    )
    recipe["then"] = [("flush", flush_args)]
    if draw(st.booleans()):
        recipe["then"].append(("unlink", []))
    return recipe


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
