"""What this spec package gives the conformance runner (``mmapspec run --spec``):
the runner reads these names from ``PACKAGE.contract`` and from nowhere else in the
package, so that a fork or an extension of the spec can give its own
(:class:`mmapspec.plugin.spec_contract.SpecContract` lists them).

* the Hypothesis profiles the tests may run under, and how to register them;
* the failures that say whose a failure is (:mod:`mmapspec.spec.attribution`);
* the environment variable holding a run's tagname prefix, and how the runner
  removes every shared-memory object a run created (:mod:`mmapspec.spec.support`).

The markers a test carries (``clause``, ``prerequisites``, ``needs``) are the
runner's own and are declared by it.
"""

from __future__ import annotations

from mmapspec.spec._profiles import PROFILES
from mmapspec.spec._profiles import register as register_profiles
from mmapspec.spec.attribution import PrerequisiteFailed, Violation
from mmapspec.spec.support.tagnames import RUN_PREFIX_VARIABLE


def remove_tagnames_by_prefix(prefix: str) -> object:
    """Remove the shared-memory objects whose names begin with ``prefix`` (a run's)."""
    from mmapspec.spec.support import remove_tagnames_by_prefix as remove

    return remove(prefix)


__all__ = [
    "PROFILES",
    "RUN_PREFIX_VARIABLE",
    "PrerequisiteFailed",
    "Violation",
    "register_profiles",
    "remove_tagnames_by_prefix",
]
