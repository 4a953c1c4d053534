"""What a run is when nothing else is said: the adapter, the spec package, and whether
the spec is among pytest's arguments. Loaded with the inert entry point, so it imports
nothing beyond :mod:`pathlib`."""

from __future__ import annotations

from pathlib import Path

import pytest

DEFAULT_ADAPTER = "reference"
DEFAULT_SPEC = "mmapspec.spec"
_PACKAGE = Path(__file__).resolve().parent.parent
# Installed, the spec is the package's subfolder; in a checkout, the top-level spec/.
_SPEC_DIR = _PACKAGE / "spec" if (_PACKAGE / "spec").is_dir() else _PACKAGE.parent / "spec"


def spec_in_args(config: pytest.Config) -> bool:
    """Will spec tests run (``--pyargs mmapspec.spec``, a path into the spec, testpaths)?"""
    for arg in config.args:
        target = arg.split("::")[0]
        if target.startswith(DEFAULT_SPEC):
            return True
        path = Path(target).resolve()
        if path == _SPEC_DIR or _SPEC_DIR in path.parents:
            return True
    return False
