"""``mmapspec compare``: hand-written reports, so that every kind of change is there."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mmapspec.viewer import compare

from .conftest import mmapspec


def clause(cid: str, status: str, actual: str | None = None, message: str | None = None) -> Any:
    return {
        "id": cid,
        "status": status,
        "actual": actual or status,
        "message": message,
        "expectation": None,
    }


def report(name: str, version: str, *clauses: Any) -> dict[str, Any]:
    return {
        "format": "mmapspec-report",
        "version": 1,
        "adapter": {"spec": name, "name": name, "version": version},
        "clauses": list(clauses),
    }


OLD = report(
    "lua:mmap",
    "1.0",
    clause("a.stays", "pass"),
    clause("b.breaks", "pass"),
    clause("c.crashes", "fail", message="wrong errcode"),
    clause("d.fixed", "fail", message="wrong size"),
    clause("e.unsupported-now", "pass"),
    clause("f.skip-to-blocked", "skipped"),
    clause("g.xfail-fixed", "expected-fail", "fail"),
    clause("h.removed", "fail"),
    clause("i.xfail-same", "expected-fail", "unsupported"),
)
NEW = report(
    "lua:mmap",
    "1.1",
    clause("a.stays", "pass"),
    clause("b.breaks", "fail", message="got 0 | expected 1"),
    clause("c.crashes", "crash", message="SIGSEGV in <memcpy>"),
    clause("d.fixed", "pass"),
    clause("e.unsupported-now", "unsupported", message="unsupported: mirror"),
    clause("f.skip-to-blocked", "blocked"),
    clause("g.xfail-fixed", "unexpected-pass", "pass"),
    clause("i.xfail-same", "unsupported"),
    clause("j.added", "fail", message="new clause"),
)


def ids(changes: list[compare.Change]) -> list[str]:
    return [c.clause for c in changes]


def test_changes_are_sorted_by_the_ranking() -> None:
    result = compare.compare(OLD, NEW)
    assert ids(result.worse) == ["b.breaks", "c.crashes", "e.unsupported-now"]
    assert ids(result.better) == ["d.fixed", "g.xfail-fixed"]
    # Same rank: blocked and skipped are both "not judged"; an expected failure that
    # lost its expectation is the same behaviour under another verdict.
    assert ids(result.changed) == ["f.skip-to-blocked", "i.xfail-same"]
    assert ids(result.added) == ["j.added"]
    assert ids(result.removed) == ["h.removed"]
    assert result.unchanged == 1
    assert result.exit_code == 1


def test_ranking_is_total_over_the_actual_statuses() -> None:
    order = ["crash", "fail", "blocked", "pass"]
    assert [compare.rank(s) for s in order] == sorted(compare.rank(s) for s in order)
    assert len({compare.rank(s) for s in order}) == 4
    assert {compare.rank(s) for s in ("skipped", "unsupported", "differs-from-reading")} == {
        compare.rank("blocked")
    }


def test_nothing_worse_is_exit_0() -> None:
    fixed = [clause("d.fixed", "pass") if c["id"] == "d.fixed" else c for c in OLD["clauses"]]
    result = compare.compare(OLD, report("lua:mmap", "1.0.1", *fixed))
    assert ids(result.better) == ["d.fixed"] and not result.worse
    assert result.exit_code == 0
    same = compare.compare(NEW, NEW)
    assert same.exit_code == 0 and same.unchanged == len(NEW["clauses"])


def test_text_output() -> None:
    text = compare.render_text(compare.compare(OLD, NEW))
    assert text.startswith("old: lua:mmap 1.0\nnew: lua:mmap 1.1\n")
    assert "  c.crashes: fail -> crash\n      SIGSEGV in <memcpy>\n" in text
    assert "  g.xfail-fixed: expected-fail (fail) -> unexpected-pass (pass)\n" in text
    assert "  h.removed: fail -> -\n" in text
    assert text.endswith("3 worse, 2 better, 2 changed, 1 added, 1 removed, 1 unchanged: worse\n")


def test_markdown_output() -> None:
    md = compare.render_markdown(compare.compare(OLD, NEW))
    assert md.startswith("## mmapspec: `lua:mmap 1.0` → `lua:mmap 1.1`\n")
    assert "### Worse: new failures or clauses no longer passing (3)" in md
    # A pipe in a message would end the table cell; a code span shows <memcpy> as written.
    assert "| `b.breaks` | `pass` | `fail` | `got 0 \\| expected 1` |" in md
    assert "| `c.crashes` | `fail` | `crash` | `SIGSEGV in <memcpy>` |" in md


def write(tmp_path: Path, name: str, doc: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return str(path)


def test_command_exit_codes(tmp_path: Path) -> None:
    old, new = write(tmp_path, "old.json", OLD), write(tmp_path, "new.json", NEW)
    worse = mmapspec("compare", old, new)
    assert worse.returncode == 1, worse.stderr
    assert "b.breaks: pass -> fail" in worse.stdout
    better = mmapspec("compare", new, old, "--markdown")
    assert better.returncode == 1  # the other way round, the fixes are regressions
    same = mmapspec("compare", new, new)
    assert same.returncode == 0 and "0 worse" in same.stdout


@pytest.mark.parametrize(
    "content",
    [None, "", "{", '{"format": "mmapspec-report", "clauses": [{"id": 1}]}', '{"clauses": []}'],
)
def test_command_refuses_unreadable_input(tmp_path: Path, content: str | None) -> None:
    good = write(tmp_path, "good.json", OLD)
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    for args in ((good, str(bad)), (str(bad), good)):
        proc = mmapspec("compare", *args)
        assert proc.returncode == 2
        assert proc.stdout == ""
        # the path as the message quotes it (repr: Windows' backslashes come doubled)
        assert len(proc.stderr.splitlines()) == 1 and repr(str(bad))[1:-1] in proc.stderr
