"""A pytest plugin for the catalogue linter: after collecting the spec, write every
test's node ID, the clause IDs its ``clause`` markers name and the prerequisites its
``prerequisites`` markers declare to $MMAPSPEC_CLAUSE_DUMP."""

from __future__ import annotations

import json
import os

import pytest


def pytest_collection_finish(session: pytest.Session) -> None:
    dump = {
        item.nodeid: {
            "clauses": [cid for mark in item.iter_markers("clause") for cid in mark.args],
            "prerequisites": [
                cid for mark in item.iter_markers("prerequisites") for cid in mark.args
            ],
            "file": item.path.name,
        }
        for item in session.items
    }
    with open(os.environ["MMAPSPEC_CLAUSE_DUMP"], "w", encoding="utf-8") as out:
        json.dump(dump, out)
