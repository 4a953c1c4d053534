"""What a release promises: one version, the spec's version in reports, a changelog
and a README whose links work on the package index's page."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import mmapspec

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
REPOSITORY = PYPROJECT["project"]["urls"]["Repository"]


def test_one_version_defined_once() -> None:
    from mmapspec.adapters.reference_adapter import ReferenceAdapter

    assert "version" not in PYPROJECT["project"]
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "mmapspec.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", mmapspec.__version__)
    assert ReferenceAdapter.version == mmapspec.__version__
    assert mmapspec.version() == mmapspec.__version__
    from mmapspec.spec import __version__ as spec_version

    assert spec_version == mmapspec.__version__


def test_the_changelog_has_the_version_and_the_policy() -> None:
    log = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"\n## {mmapspec.__version__}\n" in log
    assert "never reused for another promise" in log
    assert "minor version" in log


def test_readme_links_are_absolute_and_name_files_that_exist() -> None:
    """A relative link is dead on the package index's page: every link into the
    repository is absolute, and names a file or folder of this checkout."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", readme)
    assert len(targets) > 40
    relative = [t for t in targets if not t.startswith(("https://", "http://"))]
    assert relative == []
    ours = [t for t in targets if t.startswith(REPOSITORY + "/")]
    for target in ours:
        match = re.fullmatch(re.escape(REPOSITORY) + r"/(blob|tree|raw)/main/([^#]+)(#.*)?", target)
        assert match, target
        assert (REPO / match[2]).exists(), target
