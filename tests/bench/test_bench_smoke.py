"""The benchmark's own code, run for real with tiny sizes (``--quick``).

These tests check that every case runs, that every row measures what it claims
(the variants' checks compare bytes and mirror copies), and that the arithmetic
of the report is right. They never assert anything about speed.
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Any

import pytest
from mmapspec.bench import cli, native
from mmapspec.bench import libc as clib
from mmapspec.bench.cases import load_reference
from mmapspec.bench.timing import Comparison, Group, Limit, Settings, Stats, Variant, measure

EXPECTED_GROUPS = ["anon", "file", "bulk", "flush", "mirror", "ring", "suite", "pipe", "failing"]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any], str]:
    """One quick run of every case, shared by the tests below."""
    out = tmp_path_factory.mktemp("bench") / "quick.json"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        status = cli.main(["--quick", "--json", str(out)])
    return status, json.loads(out.read_text()), buf.getvalue()


def _variants(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["key"]: v for g in doc["groups"] for v in g["variants"]}


def test_every_case_runs_without_error(quick_run: tuple[int, dict[str, Any], str]) -> None:
    status, doc, text = quick_run
    assert status == 0, text
    assert [g["id"] for g in doc["groups"]] == EXPECTED_GROUPS
    for g in doc["groups"]:
        assert g["error"] is None, g
        for v in g["variants"]:
            assert v["error"] is None, v
            if v["skip"] is None:
                assert v["median_s"] > 0 and v["rounds"] >= 1 and v["ops_per_batch"] >= 1, v
                assert len(v["per_op_s"]) == v["rounds"]
                assert v["q1_s"] <= v["median_s"] <= v["q3_s"]
            else:
                assert v["skip"].strip(), "a skip must say why"


def test_rows_are_skipped_only_when_their_piece_is_missing(
    quick_run: tuple[int, dict[str, Any], str],
) -> None:
    _, doc, _ = quick_run
    variants = _variants(doc)
    always = [
        "anon.cpython",
        "anon.ctypes",
        "file.cpython",
        "file.cpython_fd",
        "bulk.cpython_write",
        "bulk.memcpy",
        "bulk.cpython_read",
        "flush.cpython",
        "flush.cpython_range",
        "ring.split",
        "pipe.floor",
    ]
    for key in always:
        assert variants[key]["skip"] is None, key
    if native.find_compiler() is not None:
        for key in ("anon.c", "mirror.64KiB.c", "mirror.64KiB.c_ctypes", "mirror.4MiB.c"):
            assert variants[key]["skip"] is None, variants[key]
    ref, _ = load_reference()
    if ref is not None:
        for key in [k for k in variants if ".reference" in k] + ["ring.mirror"]:
            if key.startswith(("mirror.", "ring.")) and not hasattr(ref, "mirror"):
                continue
            assert variants[key]["skip"] is None, variants[key]


def test_ratios_are_medians_of_the_per_round_ratios(
    quick_run: tuple[int, dict[str, Any], str],
) -> None:
    _, doc, _ = quick_run
    variants = _variants(doc)
    checked = 0
    for g in doc["groups"]:
        for c in g["comparisons"]:
            case, base = variants[c["case"]], variants[c["baseline"]]
            if case["median_s"] is None or base["median_s"] is None:
                assert c["ratio"] is None and c["met"] is None
                continue
            # Rounds are aligned: every live variant runs once per round.
            pairs = zip(case["per_op_s"], base["per_op_s"], strict=True)
            per_round = [a / b if c["kind"] == "time" else b / a for a, b in pairs]
            expected = statistics.median(per_round)
            assert math.isclose(c["ratio"], expected, rel_tol=1e-9)
            assert c["round_q1"] <= c["ratio"] <= c["round_q3"]
            of_medians = case["median_s"] / base["median_s"]
            if c["kind"] == "speed":
                of_medians = 1 / of_medians
            assert math.isclose(c["ratio_of_medians"], of_medians, rel_tol=1e-9)
            if c["limit"] is not None:
                ok = expected <= c["limit"] if c["kind"] == "time" else expected >= c["limit"]
                assert c["met"] == ok
            checked += 1
    assert checked >= 2  # at least the baseline-only ratios (ctypes/C, CPython/memcpy)


def test_json_describes_the_machine_and_the_table_shows_it(
    quick_run: tuple[int, dict[str, Any], str],
) -> None:
    _, doc, text = quick_run
    m = doc["machine"]
    for field in ("cpu", "cores", "kernel", "python", "workdir_fs"):
        assert m[field], field
    assert doc["quick"] is True and doc["format"] == "mmapspec-bench/1"
    assert text.startswith("machine: ") and m["cpu"] in text.splitlines()[0]
    assert "QUICK MODE" in text  # the ring and the suite say they did less than the full run
    assert "targets:" in text


def test_compare_sets_two_runs_side_by_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert cli.main(["--quick", "--only", "anon", "--json", str(first)]) == 0
    assert (
        cli.main(["--quick", "--only", "anon", "--json", str(second), "--compare", str(first)]) == 0
    )
    out = capsys.readouterr().out
    assert "compared with the run of" in out
    assert "ratio ctypes / c:" in out or native.find_compiler() is None
    line = next(
        ln
        for ln in out.splitlines()
        if "mmap.mmap(-1, 4096).close()" in ln and "%" in ln.split()[-1]
    )
    assert line.split()[-1].endswith("%")


def test_compare_rejects_a_file_that_is_not_a_bench_result(tmp_path: Path) -> None:
    bogus = tmp_path / "x.json"
    bogus.write_text("{}")
    with pytest.raises(SystemExit):
        cli.main(
            [
                "--quick",
                "--only",
                "anon",
                "--compare",
                str(bogus),
                "--json",
                str(tmp_path / "y.json"),
            ]
        )


def test_unknown_case_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--only", "nosuchcase"])


def test_stats_quartiles() -> None:
    st = Stats.of([5.0, 1.0, 4.0, 2.0, 3.0])
    assert (st.q1, st.median, st.q3, st.iqr) == (2.0, 3.0, 4.0, 2.0)
    assert Stats.of([7.0]).iqr == 0.0


def test_measure_reports_a_failing_check_and_a_raising_variant_without_figures() -> None:
    calls = {"ok": 0}

    def ok(n: int) -> None:
        calls["ok"] += n

    def broken(n: int) -> None:
        raise OSError("boom")

    def bad_check() -> None:
        raise AssertionError("wrong bytes")

    group = Group(
        "g",
        "test group",
        [
            Variant("g.ok", "ok", ok),
            Variant("g.bad", "bad", ok, role="case", check=bad_check),
            Variant("g.broken", "broken", broken),
            Variant("g.skip", "skip", None, skip="absent"),
        ],
        [Comparison("g.bad", "g.ok", limit=2.0)],
        limits=[Limit("g.ok", 10.0)],
    )
    res = measure(group, Settings(min_batch_s=0.0005, samples=3))
    by = {v.key: v for v in res.variants}
    assert len(by["g.ok"].per_op) == 3 and by["g.ok"].error is None and calls["ok"] > 0
    assert by["g.bad"].error and "wrong bytes" in by["g.bad"].error and not by["g.bad"].per_op
    assert by["g.broken"].error and "boom" in by["g.broken"].error
    assert by["g.skip"].skip == "absent"
    assert res.comparisons[0].ratio is None and res.comparisons[0].met is None
    assert res.limits[0].met is True


def test_c_floor_is_skipped_with_a_message_without_a_compiler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CC", "/nonexistent/cc")
    why = native.compile_helper(tmp_path)
    assert isinstance(why, str) and "C floor skipped" in why


@pytest.mark.skipif(native.find_compiler() is None, reason="no C compiler: nothing to compile")
def test_c_helper_builds_a_real_mirror(tmp_path: Path) -> None:
    from mmapspec.bench.cases import _check_mirror

    helper = native.compile_helper(tmp_path)
    assert isinstance(helper, native.Helper), helper
    helper.check(
        helper.anon_loop(
            3, 4096, clib.PROT_READ | clib.PROT_WRITE, clib.MAP_PRIVATE | clib.MAP_ANONYMOUS
        ),
        "anon_loop",
    )
    path = bytes(tmp_path / "m.bin")
    addr = helper.mirror(path, 65536, 2)
    try:
        _check_mirror(addr, 65536)
    finally:
        helper.check(helper.mirror_free(addr, 65536, 2), "mirror_free")
    assert (tmp_path / "m.bin").stat().st_size == 65536
    with pytest.raises(native.NativeError):
        helper.check(
            helper.anon_loop(1, 0, clib.PROT_READ, clib.MAP_PRIVATE | clib.MAP_ANONYMOUS),
            "anon_loop of size 0",
        )


def test_registers_as_a_subcommand_of_another_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """How the runner's ``mmapspec`` command wires ``mmapspec bench``."""
    import argparse

    top = argparse.ArgumentParser(prog="mmapspec")
    sub = top.add_subparsers(dest="command", required=True)
    cli.register(sub)
    ns = top.parse_args(["bench", "--quick", "--only", "anon", "--json", str(tmp_path / "r.json")])
    assert ns.func(ns) == 0
    assert json.loads((tmp_path / "r.json").read_text())["groups"][0]["id"] == "anon"
    with pytest.raises(SystemExit):
        top.parse_args(["bench", "--help"])
    assert "--compare" in capsys.readouterr().out


@pytest.mark.skipif(
    load_reference()[0] is None, reason="profiles the reference's rows: no reference"
)
def test_profile_mode_prints_where_the_reference_spends_its_time(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["--quick", "--only", "anon", "--profile"]) == 0
    out = capsys.readouterr().out
    assert "== reference  mm.map(None, 'w', 4096).free():" in out
    assert "function calls" in out and "_map.py" in out  # the reference's own frames
