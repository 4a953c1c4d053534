"""Every deviant in ``tests/deviants/`` is judged: a class written there and left out
of its registry would prove nothing, silently. Fast (no run): it reads the classes.

* the verdict deviants (``mapping``, ``lifecycle``, ``sizes``, ``ranges``,
  ``knockons``, ``crashes``) are each in ``verdicts.DEVIANTS``, or named below with
  why not, and each intended clause is in the catalogue;
* the safety deviants are each in ``safety.DEVIANTS``, with a safety clause;
* the deviants judged through the pipe are deviants.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from types import ModuleType

from mmapspec.bench.deviant import Deviant
from mmapspec.spec.catalogue import BY_ID

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the same module names as the runs use
    sys.path.insert(0, str(ROOT))

from tests.deviants import (  # noqa: E402
    crashes,
    knockons,
    lifecycle,
    mapping,
    ranges,
    safety,
    sizes,
    verdicts,
)
from tests.safety import test_deviants as safety_tests  # noqa: E402
from tests.verdicts import test_one_defect_one_clause as verdict_tests  # noqa: E402

NOT_IN_THE_WHOLE_RUN = {
    crashes.AddrMapCorruptsFilesizeCrashes: "whether a later call reaches the same "
    "process depends on the order the workers take the tests in (its docstring says "
    "how to run it by hand)",
}


def _deviants_defined_in(module: ModuleType) -> set[type[Deviant]]:
    return {
        cls
        for name, cls in vars(module).items()
        if inspect.isclass(cls)
        and issubclass(cls, Deviant)
        and cls.__module__ == module.__name__
        and not name.startswith("_")
    }


def test_every_verdict_deviant_is_judged() -> None:
    written = set().union(
        *map(_deviants_defined_in, (mapping, lifecycle, sizes, ranges, knockons, crashes))
    )
    left_out = written - set(verdicts.DEVIANTS) - set(NOT_IN_THE_WHOLE_RUN)
    assert left_out == set(), f"add to verdicts.DEVIANTS: {sorted(c.__name__ for c in left_out)}"


def test_every_verdict_deviant_names_existing_clauses() -> None:
    for cls in verdicts.DEVIANTS:
        ids = verdicts.intended(cls)
        # Only the bindings of narrower integers with no defect (ranges) intend none.
        assert ids or cls.__module__ == ranges.__name__, f"{cls.__name__}: no INTENDED clause"
        assert set(ids) <= set(BY_ID), f"{cls.__name__}: unknown {set(ids) - set(BY_ID)}"


def test_every_safety_deviant_is_judged_by_a_safety_clause() -> None:
    names = {cls.__name__ for cls in _deviants_defined_in(safety)}
    assert names == set(safety.DEVIANTS), "safety.DEVIANTS and the classes differ"
    for name, clause in safety.DEVIANTS.items():
        assert BY_ID[clause].basis == "safety", f"{name}: {clause} is not a safety clause"


def test_the_deviants_judged_through_the_pipe_exist() -> None:
    assert {c.__name__ for c in verdicts.DEVIANTS} >= verdict_tests.THROUGH_PIPE
    assert set(safety_tests.THROUGH_THE_PIPE) <= set(safety.DEVIANTS)
