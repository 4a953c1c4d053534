"""What a report records about the run besides its tests: the adapter's name, version
and capabilities (read from the adapter, started once in each process), and
mmapspec's version, the date, the spec package and the Hypothesis profile and seed.
"""

from __future__ import annotations

import contextlib
import datetime
import inspect
import sys
from importlib import metadata

import mmapspec
import pytest
from mmapspec.adapters import AdapterLoadError
from mmapspec.adapters.interface import Adapter
from mmapspec.plugin.options import adapter_spec
from mmapspec.plugin.run_config import RunConfig, take_adapter
from mmapspec.results.records import AdapterInfo, HypothesisSettings, RunEnvironment


def probe_adapter(config: pytest.Config) -> AdapterInfo:
    """Load the adapter once on the controller: a bad name, an import error or a
    harness that will not start is one clear line here instead of an error per test."""
    runs_tests = not getattr(config.option, "numprocesses", None)
    try:
        # Where this process runs the tests too, the spec's fixture takes this one.
        impl = take_adapter(config, keep=runs_tests)
    except AdapterLoadError as exc:
        raise pytest.UsageError(f"adapter: {exc}") from None
    except Exception as exc:  # a harness that would not start, whatever its reason
        raise pytest.UsageError(
            f"adapter {adapter_spec(config)}: {type(exc).__name__}: {exc}"
        ) from None
    try:
        spec = adapter_spec(config)
        return AdapterInfo(
            spec=str(spec),
            selected=spec.name,
            options=spec.options,
            name=impl.name,
            version=adapter_version(impl),
            capabilities=tuple(sorted(impl.capabilities.names())),
            language=_language(impl),
        )
    finally:
        if not runs_tests:
            impl.close()


def _language(impl: Adapter) -> str | None:
    """The language a pipe harness says its binding is in, if it says."""
    said = (getattr(impl, "implementation", None) or {}).get("language")
    return said if isinstance(said, str) else None


def adapter_version(impl: Adapter) -> str:
    """The adapter's own version; where it names none, its package's ``__version__``
    or else the version of the distribution that installed that package."""
    if impl.version and impl.version != Adapter.version:
        return str(impl.version)
    top = type(impl).__module__.partition(".")[0]
    module = sys.modules.get(top)
    version = getattr(module, "__version__", None)
    if isinstance(version, str) and version:
        return version
    for dist in _distributions_of(top):
        with contextlib.suppress(metadata.PackageNotFoundError):
            return metadata.version(dist)
    return str(impl.version)


def _distributions_of(top: str) -> list[str]:
    """The distributions that installed the top-level module ``top``. Python 3.10's
    ``packages_distributions()`` reads only ``top_level.txt``, which setuptools writes
    and hatchling, flit, poetry-core and maturin do not: failing it, the modules are
    inferred from each distribution's list of files, as 3.11 does."""
    known = metadata.packages_distributions().get(top, [])
    if known:
        return list(known)
    found = []
    for dist in metadata.distributions():
        for path in dist.files or ():
            first = path.parts[0] if len(path.parts) > 1 else inspect.getmodulename(path.name)
            if first == top:
                found.append(dist.metadata["Name"])
                break
    return found


def _spec_version(spec: str) -> str | None:
    module = sys.modules.get(spec)
    version = getattr(module, "__version__", None)
    return version if isinstance(version, str) else None


def run_environment(config: pytest.Config) -> RunEnvironment:
    """What ran besides the adapter, for the report."""
    import hypothesis
    from hypothesis import settings

    seed = config.getoption("hypothesis_seed", None)
    run = RunConfig.from_pytest(config)
    spec = run.spec
    return RunEnvironment(
        mmapspec=mmapspec.version(),
        date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        spec=spec,
        spec_version=_spec_version(spec),
        timeout=run.timeout,
        hypothesis=HypothesisSettings(
            version=hypothesis.__version__,
            profile=settings.get_current_profile_name(),
            seed=None if seed is None else str(seed),
            derandomize=bool(settings().derandomize),
        ),
    )
