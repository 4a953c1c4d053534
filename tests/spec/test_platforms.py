"""The spec asks which OS runs it in one place only: ``spec/support/platforms.py``
picks one ``platform_*`` module, and every one of them answers the same questions.

Read from the source (the Windows module cannot be imported on Linux): no spec test
or support module but the chooser names ``sys.platform`` or ``os.name``, and each OS
module defines every public function and constant the chooser's docstring promises,
with the same parameters.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SPEC = Path(__file__).resolve().parents[2] / "spec"
SUPPORT = SPEC / "support"
CHOOSER = SUPPORT / "platforms.py"
OS_MODULES = sorted(SUPPORT.glob("platform_*.py"))
"""The OS modules and what they share (types, the Win32 API): they may ask."""
PER_OS = [SUPPORT / f"platform_{name}.py" for name in ("linux", "posix", "windows")]
ASKS_THE_OS = re.compile(r"\bsys\.platform\b|\bos\.name\b|\bplatform\.system\(")


def _spec_modules() -> list[Path]:
    """Every module of the spec that tests or helpers run, but the OS modules and the
    chooser (where asking is their job)."""
    return sorted(
        p
        for p in SPEC.rglob("*.py")
        if p != CHOOSER and p not in OS_MODULES and "__pycache__" not in p.parts
    )


@pytest.mark.parametrize("module", _spec_modules(), ids=lambda p: str(p.relative_to(SPEC)))
def test_no_spec_module_asks_which_os_runs_it(module: Path) -> None:
    hits = [
        f"line {n}: {line.strip()}"
        for n, line in enumerate(module.read_text(encoding="utf-8").splitlines(), 1)
        if ASKS_THE_OS.search(line)
    ]
    assert not hits, (
        f"{module.relative_to(SPEC)} asks which OS runs it; ask a helper of "
        "spec/support/platforms.py instead: " + "; ".join(hits)
    )


def _public(module: Path) -> dict[str, list[str]]:
    """The module's public functions (with their parameter names) and constants."""
    found: dict[str, list[str]] = {}
    for node in ast.parse(module.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            found[node.name] = [a.arg for a in node.args.args]
        elif isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            for name in names:
                if name.islower() and not name.startswith("_"):
                    found[name] = []
    return found


def test_there_is_a_module_per_os() -> None:
    assert all(m.is_file() for m in PER_OS)
    chooser = CHOOSER.read_text(encoding="utf-8")
    for module in PER_OS:
        assert f"import {module.stem} as current" in chooser, f"the chooser never picks {module}"


@pytest.mark.parametrize("module", PER_OS, ids=lambda p: p.stem)
def test_every_os_module_answers_the_same_questions(module: Path) -> None:
    """Each OS module has the functions of the chooser's list, with the parameters
    the Linux module gives them (what one OS lacks, another's tests would call)."""
    promised = set(re.findall(r"``(\w+)(?:\(|``)", CHOOSER.read_text(encoding="utf-8")))
    linux = _public(SUPPORT / "platform_linux.py")
    assert promised <= set(linux), f"the Linux module lacks {sorted(promised - set(linux))}"
    here = _public(module)
    missing = sorted(promised - set(here))
    assert not missing, f"{module.name} lacks {missing}"
    differing = sorted(n for n in promised if linux[n] != here[n])
    assert not differing, f"{module.name}: parameters differ from Linux's for {differing}"


def test_the_check_sees_a_platform_test() -> None:
    """The pattern catches both spellings (so a test naming them would fail)."""
    assert ASKS_THE_OS.search('if sys.platform.startswith("linux"):')
    assert ASKS_THE_OS.search('elif os.name == "posix":')
    assert not ASKS_THE_OS.search("the platform_name of it")


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="needs POSIX shared memory in /dev/shm")
def test_the_posix_view_of_tagnames_agrees_with_linux() -> None:
    """The macOS view (shm_open, no /proc) run here, where POSIX shared memory is also
    the file /dev/shm/NAME: both say the same of an object and of one that is gone."""
    import os
    import uuid

    from mmapspec.spec.support import platform_linux as linux
    from mmapspec.spec.support import platform_posix as posix

    name = f"mmapspec-test-{uuid.uuid4().hex}"
    fd = os.open(f"/dev/shm/{name}", os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, b"posix view" + bytes(100))
        assert posix.tagname_exists(name) and linux.tagname_exists(name)
        assert posix.tagname_bytes(name, 10) == linux.tagname_bytes(name, 10) == b"posix view"
        assert posix.tagname_mode(name) == linux.tagname_mode(name) == 0o600
        posix.remove_tagname(name)
        assert not posix.tagname_exists(name) and not linux.tagname_exists(name)
        assert posix.tagname_bytes(name, 10) is None
        assert posix.mappings_unseen(os.getpid()) and posix.descriptors_unseen(os.getpid())
    finally:
        os.close(fd)
        linux.remove_tagname(name)
