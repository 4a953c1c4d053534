"""The values hostile calls are made of: edge numbers, wrong types, hostile text, and
Hypothesis strategies for each argument (files, descriptors, file objects, sizes,
offsets, addresses, tagnames), as plain data for the fuzz worker to materialise."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import strategies as st

PAGE = os.sysconf("SC_PAGESIZE")


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
