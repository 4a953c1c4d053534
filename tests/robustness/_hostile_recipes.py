"""Hostile argument sets (recipes) for each public function: every argument random,
or a call that would succeed with exactly one argument made hostile."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from ._hostile_values import (
    PAGE,
    accesses,
    addrs,
    directions,
    files,
    lit,
    map_files,
    offsets,
    sizes,
    tagnames,
    times_,
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
