"""Hypothesis profiles for the spec: ``ci``, ``dev`` and ``thorough``.

Registered only when the spec runs: the mmapspec pytest plugin calls
:func:`register` in its ``pytest_configure``, ahead of Hypothesis's own plugin, so
that ``--hypothesis-profile NAME`` works even though the spec is collected with
``--pyargs`` (its conftest loads too late for that), and loads ``ci`` when the
``CI`` environment variable is set and no profile was asked for, ``dev`` otherwise.
``mmapspec run`` checks ``--hypothesis-profile`` against :data:`PROFILES` before
the run (importing this module does not import Hypothesis).
"""

from __future__ import annotations

from typing import Any

PROFILES = ("ci", "dev", "thorough")


def register() -> None:
    from hypothesis import HealthCheck, Phase, settings

    # Files come from pytest's tmp_path (function scoped): each example makes its own
    # uniquely named files in it, so sharing the directory across examples is safe.
    common: dict[str, Any] = {
        "deadline": None,
        "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    }
    # ci: derandomized, and no shrinking: a failing binding's run must cost about what a
    # passing one does (shrinking a stateful test took minutes). The example reported is
    # the first one that failed, replayable exactly with the @reproduce_failure blob;
    # the dev profile shrinks it to a minimal one.
    no_shrink = tuple(p for p in Phase if p is not Phase.shrink)
    settings.register_profile(
        "ci", derandomize=True, max_examples=25, print_blob=True, phases=no_shrink, **common
    )
    # dev and thorough explore (random, shrinking) wherever they run: said outright,
    # since Hypothesis's own defaults turn derandomized when it detects a CI machine.
    explore: dict[str, Any] = {"derandomize": False, "phases": tuple(Phase)}
    settings.register_profile("dev", max_examples=40, **explore, **common)
    settings.register_profile("thorough", max_examples=1000, **explore, **common)
