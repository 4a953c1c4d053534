"""Expectation files that scale: one entry per missing capability, reasons that do
not change from run to run, ``--keep`` that edits a file without losing its
comments or other platforms' entries, TOML that always reads back, and the
packaged files named without a path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from mmapspec.results import expectations, expectations_writer

REPO = Path(__file__).resolve().parents[2]

NEEDS = {
    "map.tagname.a": frozenset({"tagname"}),
    "map.tagname.b": frozenset({"tagname", "unlink"}),
    "unlink.c": frozenset({"unlink"}),
    "map.size.d": frozenset(),
    "map.size.e": frozenset(),
    "mirror.f": frozenset({"mirror"}),
}


def report(
    **actual: tuple[str, str | None] | tuple[str, str, tuple[str, ...]],
) -> dict[str, object]:
    """A report's clauses: (actual, message) or (actual, message, missing capabilities)."""
    return {
        "platform": {"system": "linux"},
        "clauses": [
            {"id": cid.replace("__", "."), "actual": a[0], "message": a[1]}
            | ({"missing": a[2]} if len(a) == 3 else {})
            for cid, a in actual.items()
        ],
    }


DAY_ONE = report(
    # The missing capabilities are read from the typed field, whatever the message says.
    map__tagname__a=("unsupported", "the binding lacks it", ("tagname",)),
    map__tagname__b=("unsupported", "unsupported: tagname, unlink", ("tagname", "unlink")),
    unlink__c=("unsupported", "unsupported: unlink", ("unlink",)),
    map__size__d=(
        "fail",
        "AssertionError: map('/tmp/pytest-of-root/pytest-9/x0/f-3e61df95….bin', 'w', 0): "
        "got MapInfo(handle=12, addr=139985751355392, size=10) at 0x7f12ab34 and 0xbeef\x7f",
    ),
    map__size__e=("pass", None),
    mirror__f=("pass", None),
)


def test_one_entry_per_missing_capability_and_stable_reasons() -> None:
    text = expectations_writer.write(DAY_ONE, NEEDS)
    parsed = expectations.parse(text, platform="linux")  # reads back: U+007F escaped
    assert set(parsed.capabilities) == {"tagname", "unlink"}
    assert parsed.capabilities["tagname"].reason == "observed: tagname unsupported: 2 clause(s)"
    assert set(parsed.entries) == {"map.size.d"}
    reason = parsed.entries["map.size.d"].reason
    for unstable in ("/tmp/", "3e61df95", "139985751355392", "handle=12", "0x7f12ab34", "0xbeef"):
        assert unstable not in reason, (unstable, reason)
    # the DEL kept, shown as an escape (every string of a report is made visible)
    assert "size=10" in reason and "\\x7f" in reason
    # Spelled out, the capability entries cover exactly the clauses that need them.
    covered = parsed.covering(NEEDS).entries
    assert set(covered) == {"map.size.d", "map.tagname.a", "map.tagname.b", "unlink.c"}
    assert covered["map.tagname.b"].reason.endswith("(capability tagname)")


def test_the_missing_capability_is_read_from_its_field_not_the_message() -> None:
    """Where a clause carries ``missing``, its message is not read: a message naming
    a capability with no capability missing is an entry of its own. A report of the
    previous version (no field) is read by its message, as it was written."""
    typed = report(map__tagname__a=("unsupported", "unsupported: tagname", ()))
    parsed = expectations.parse(expectations_writer.write(typed, NEEDS), platform="linux")
    assert set(parsed.capabilities) == set() and set(parsed.entries) == {"map.tagname.a"}
    previous = report(map__tagname__a=("unsupported", "unsupported: tagname"))
    parsed = expectations.parse(expectations_writer.write(previous, NEEDS), platform="linux")
    assert set(parsed.capabilities) == {"tagname"} and not parsed.entries


def test_a_clause_entry_wins_and_an_unknown_capability_is_an_error() -> None:
    text = """
[capability.tagname]
reason = "no shared memory"

[clause."map.tagname.a"]
status = "fail"
reason = "its own"

[capability.nonesuch]
reason = "typo"
"""
    parsed = expectations.parse(text, "t.toml")
    with pytest.raises(expectations.ExpectationsError, match="nonesuch"):
        parsed.covering(NEEDS)
    del parsed.capabilities["nonesuch"]  # type: ignore[attr-defined]
    covered = parsed.covering(NEEDS).entries
    assert covered["map.tagname.a"].status == "fail"
    assert covered["map.tagname.b"].status == "unsupported"
    with pytest.raises(expectations.ExpectationsError, match='can only be "unsupported"'):
        expectations.parse('[capability.tagname]\nstatus = "fail"\nreason = "x"\n')


KEPT = """\
# Our binding's known deviations.

[clause."map.size.d"]
# tracked in our issue 12
status = "fail"
reason = "maps zero bytes"

[clause."mirror.f"]
status = "fail"
reason = "macOS only: the mirror's second copy"
platforms = ["darwin"]

[clause."map.size.e"]
status = "fail"
reason = "fixed since"

[capability.tagname]
reason = "no shared memory"
"""


def test_keep_edits_the_file_keeping_comments_and_other_platforms() -> None:
    text = expectations_writer.write(DAY_ONE, NEEDS, keep=KEPT)
    assert text.startswith("# Our binding's known deviations.\n")
    assert "# tracked in our issue 12" in text
    assert 'reason = "maps zero bytes"' in text  # the person's reason stays
    assert 'platforms = ["darwin"]' in text  # another platform's entry stays
    assert "map.size.e" not in text  # passes now: gone
    assert 'reason = "no shared memory"' in text
    parsed = expectations.parse(text, platform=None)
    assert set(parsed.capabilities) == {"tagname", "unlink"}  # unlink.c is new


def test_packaged_files_are_named_without_a_path(tmp_path: Path) -> None:
    shipped = expectations.load(REPO / "adapters" / "expectations" / "stdlib.toml")
    for name in ("stdlib", "mmapspec:stdlib.toml"):
        assert expectations.load(name).entries == shipped.entries
    with pytest.raises(expectations.ExpectationsError, match="packaged: .*stdlib"):
        expectations.load("nonesuch")
    proc = subprocess.run(
        [sys.executable, "-m", "mmapspec.commands.cli", "run", "--adapter", "stdlib"]
        + ["--expectations", "stdlib", "--clause", "map.size.*", "-n", "0", "-q"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "as expected" in proc.stdout
