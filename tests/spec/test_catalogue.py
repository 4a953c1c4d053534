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
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mmapspec.adapters.interface import DOCUMENTED_ERRCODES, FILE_KINDS, Capabilities
from mmapspec.spec import catalogue
from mmapspec.spec.catalogue import BY_ID, CLAUSES, OS_ERRCODE

QUOTING = [c for c in CLAUSES if c.basis != "safety"]
"""Clauses that quote the document (a safety clause's quote is its promise in our words)."""


@pytest.mark.parametrize("clause", QUOTING, ids=lambda c: c.id)
def test_quote_stands_in_the_document(clause: catalogue.Clause) -> None:
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


SPEC_DIR = Path(catalogue.__file__).resolve().parent
SpecTests = dict[str, dict[str, Any]]
MULTI_CLAUSE_FILES = {"test_model.py"}
"""The stateful model exercises several clauses in one run and attributes each failure
to the clause of the rule that broke (``spec.attribution.checking``); every other
spec test gives a status to exactly one clause."""


@pytest.fixture(scope="module")
def spec_tests(tmp_path_factory: pytest.TempPathFactory) -> SpecTests:
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
    tests: SpecTests = json.loads(dump.read_text())
    assert tests, "no spec tests collected"
    return tests


def test_every_test_names_existing_clauses(spec_tests: SpecTests) -> None:
    unmarked = sorted(t for t, info in spec_tests.items() if not info["clauses"])
    unknown = sorted(
        f"{t}: {i}" for t, info in spec_tests.items() for i in info["clauses"] if i not in BY_ID
    )
    assert unmarked == [], "spec tests without a clause marker"
    assert unknown == [], "clause markers naming no clause"


def test_every_clause_has_a_test(spec_tests: SpecTests) -> None:
    tested = {i for info in spec_tests.values() for i in info["clauses"]}
    assert sorted(set(BY_ID) - tested) == [], "clauses without a test"


def test_a_test_gives_a_status_to_one_clause(spec_tests: SpecTests) -> None:
    several = sorted(
        f"{t}: {info['clauses']}"
        for t, info in spec_tests.items()
        if len(info["clauses"]) > 1 and info["file"] not in MULTI_CLAUSE_FILES
    )
    assert several == [], "tests naming several clauses: split them, or declare prerequisites"


def _prerequisite_graph(spec_tests: SpecTests) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for info in spec_tests.values():
        for cid in info["clauses"]:
            graph.setdefault(cid, set()).update(info["prerequisites"])
    return graph


def test_prerequisites_are_document_clauses(spec_tests: SpecTests) -> None:
    """A prerequisite blocks what relies on it: it must be a promise of the document's
    words, never a reading (a binding may read a silent spot differently) or a safety
    expectation, and never the test's own clause."""
    wrong = sorted(
        f"{t}: {p}"
        for t, info in spec_tests.items()
        for p in info["prerequisites"]
        if p not in BY_ID or BY_ID[p].basis != "document" or p in info["clauses"]
    )
    assert wrong == [], "prerequisites that are unknown, not basis='document', or the clause itself"


def test_prerequisites_have_no_cycles(spec_tests: SpecTests) -> None:
    """Two clauses that block each other would hide both failures."""
    graph = _prerequisite_graph(spec_tests)
    done: set[str] = set()

    def visit(cid: str, path: tuple[str, ...]) -> None:
        assert cid not in path, f"prerequisite cycle: {' -> '.join((*path, cid))}"
        if cid in done:
            return
        for p in sorted(graph.get(cid, ())):
            visit(p, (*path, cid))
        done.add(cid)

    for cid in sorted(graph):
        visit(cid, ())


def test_prerequisites_at_calls_name_document_clauses() -> None:
    """``prerequisite("id", ...)`` in the spec's source names a document clause."""
    pattern = re.compile(r"""prerequisite\(\s*["']([^"']+)["']""")
    wrong = []
    for path in sorted(SPEC_DIR.glob("test_*.py")):
        for cid in pattern.findall(path.read_text(encoding="utf-8")):
            if cid not in BY_ID or BY_ID[cid].basis != "document":
                wrong.append(f"{path.name}: {cid}")
    assert wrong == [], "prerequisite() naming an unknown or non-document clause"


@pytest.mark.parametrize("clause", CLAUSES, ids=lambda c: c.id)
def test_basis_and_reading_agree(clause: catalogue.Clause) -> None:
    """A reading clause states its reading; a document or safety clause has none (how
    it is checked goes in ``checked``); safety clauses live in their own section."""
    if clause.basis == "reading":
        assert clause.reading and clause.reading.strip(), f"{clause.id}: reading without text"
    else:
        assert clause.reading is None, f"{clause.id}: basis {clause.basis!r} with a reading"
    assert (clause.basis == "safety") == (clause.section == catalogue.S_SAFETY), clause.id
