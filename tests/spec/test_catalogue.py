"""The catalogue linter (test262-style: the metadata is kept true by a test).

* every clause quotes the document verbatim (whitespace folded); the document is
  ``spec/mmap.md``, the canonical copy, shipped in the package;
* clause IDs are unique and well-formed; a 'fails' clause names its errcode; needs
  are capability names an adapter can declare; sections are the document's;
* every spec test names clauses that exist, and every clause has a test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mmapspec.adapters.interface import DOCUMENTED_ERRCODES, FILE_KINDS, Capabilities
from mmapspec.spec import catalogue
from mmapspec.spec.catalogue import BY_ID, CLAUSES, OS_ERRCODE


@pytest.mark.parametrize("clause", CLAUSES, ids=lambda c: c.id)
def test_quote_stands_in_the_document(clause: catalogue.Clause) -> None:
    if clause.basis == "safety":
        pytest.skip(f"{clause.id}: a safety clause quotes our own words, not the document's")
    assert catalogue.fold(clause.quote) in catalogue.fold(catalogue.document()), (
        f"{clause.id}: quote not found in mmap.md: {clause.quote!r}"
    )


def test_ids_are_unique() -> None:
    ids = [c.id for c in CLAUSES]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    assert len(BY_ID) == len(CLAUSES)


ALL_CAPABILITIES = Capabilities(file_kinds=frozenset(FILE_KINDS)).names() | {
    "form:table",
    "form:positional",
}


@pytest.mark.parametrize("clause", CLAUSES, ids=lambda c: c.id)
def test_clause_is_well_formed(clause: catalogue.Clause) -> None:
    assert catalogue.ID_PATTERN.match(clause.id), f"{clause.id}: not <function>.<topic>.<rule>"
    assert clause.id.split(".")[0] in catalogue.ID_PREFIXES, f"{clause.id}: unknown function prefix"
    assert clause.section in catalogue.SECTIONS, f"{clause.id}: unknown section {clause.section!r}"
    assert clause.function.startswith(("mmap.", "map:")), (
        f"{clause.id}: function {clause.function!r}"
    )
    assert clause.kind in ("returns", "fails", "raises", "crashes", "invariant")
    if clause.kind == "fails":
        assert clause.errcode in (*DOCUMENTED_ERRCODES, OS_ERRCODE), (
            f"{clause.id}: fails without errcode"
        )
    else:
        assert clause.errcode is None, f"{clause.id}: errcode on a {clause.kind!r} clause"
    assert clause.needs <= ALL_CAPABILITIES, (
        f"{clause.id}: unknown needs {clause.needs - ALL_CAPABILITIES}"
    )
    assert clause.quote.strip() and (clause.reading is None or clause.reading.strip())


def test_counts_by_section_cover_every_clause() -> None:
    counts = catalogue.counts_by_section()
    print("\nclauses per documentation section:")
    for section, n in counts.items():
        print(f"  {section:28} {n}")
    print(f"  {'total':28} {sum(counts.values())}")
    assert sum(counts.values()) == len(CLAUSES)
    assert list(counts) == [s for s in catalogue.SECTIONS if s in counts]


@pytest.fixture(scope="module")
def spec_tests(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Every spec test and the clauses it names, as pytest itself collects them."""
    dump = tmp_path_factory.mktemp("collect") / "clauses.json"
    env = dict(os.environ, MMAPSPEC_CLAUSE_DUMP=str(dump))
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(Path(__file__).parent), env.get("PYTHONPATH")])
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            "mmapspec.spec",
            "--collect-only",
            "-q",
            "-p",
            "_clause_collector",
            "-p",
            "no:randomly",
            "-p",
            "no:xdist",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=dump.parent,
        timeout=120,
    )
    assert done.returncode == 0, (
        f"collecting the spec failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    tests: dict[str, list[str]] = json.loads(dump.read_text())
    assert tests, "no spec tests collected"
    return tests


def test_every_test_names_existing_clauses(spec_tests: dict[str, list[str]]) -> None:
    unmarked = sorted(t for t, ids in spec_tests.items() if not ids)
    unknown = sorted(f"{t}: {i}" for t, ids in spec_tests.items() for i in ids if i not in BY_ID)
    assert unmarked == [], "spec tests without a clause marker"
    assert unknown == [], "clause markers naming no clause"


def test_every_clause_has_a_test(spec_tests: dict[str, list[str]]) -> None:
    tested = {i for ids in spec_tests.values() for i in ids}
    assert sorted(set(BY_ID) - tested) == [], "clauses without a test"
