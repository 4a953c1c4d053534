"""Static checks of the Windows backend, on any OS (it runs on Windows or Wine only:
``test_windows_run.py``).

The modules are never imported: the backend (``_windows.py``, with its mirrors in
``_win_mirror.py``) is type-checked with ``mypy --platform win32`` against the Backend
Protocol, and it and the Win32 API it calls (``_win32.py``) are parsed with ``ast`` to
compare the constants, ctypes prototypes, calls and structure layouts with the Windows
SDK. None of this shows that the backend works on Windows; running it does.
"""

from __future__ import annotations

import ast
import ctypes
import importlib.util
import shutil
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

_PLATFORM = importlib.util.find_spec("mmapspec.reference._platform")
assert _PLATFORM is not None and _PLATFORM.submodule_search_locations
PLATFORM_DIR = Path(next(iter(_PLATFORM.submodule_search_locations)))
WINDOWS = PLATFORM_DIR / "_windows.py"
WIN32 = PLATFORM_DIR / "_win32.py"
WIN_MIRROR = PLATFORM_DIR / "_win_mirror.py"
BASE = PLATFORM_DIR / "base.py"

# Every Win32 constant the backend uses: name -> (value, header that defines it).
SDK_CONSTANTS: dict[str, tuple[int, str]] = {
    "GENERIC_READ": (0x80000000, "winnt.h"),
    "GENERIC_WRITE": (0x40000000, "winnt.h"),
    "GENERIC_EXECUTE": (0x20000000, "winnt.h"),
    "FILE_SHARE_READ": (0x1, "winnt.h"),
    "FILE_SHARE_WRITE": (0x2, "winnt.h"),
    "FILE_SHARE_DELETE": (0x4, "winnt.h"),
    "FILE_ATTRIBUTE_NORMAL": (0x80, "winnt.h"),
    "PAGE_NOACCESS": (0x01, "winnt.h"),
    "PAGE_READONLY": (0x02, "winnt.h"),
    "PAGE_READWRITE": (0x04, "winnt.h"),
    "PAGE_WRITECOPY": (0x08, "winnt.h"),
    "PAGE_EXECUTE_READ": (0x20, "winnt.h"),
    "PAGE_EXECUTE_READWRITE": (0x40, "winnt.h"),
    "PAGE_EXECUTE_WRITECOPY": (0x80, "winnt.h"),
    "MEM_PRESERVE_PLACEHOLDER": (0x00000002, "winnt.h"),
    "MEM_RESERVE": (0x00002000, "winnt.h"),
    "MEM_REPLACE_PLACEHOLDER": (0x00004000, "winnt.h"),
    "MEM_RELEASE": (0x00008000, "winnt.h"),
    "MEM_RESERVE_PLACEHOLDER": (0x00040000, "winnt.h"),
    "OPEN_EXISTING": (3, "fileapi.h"),
    "OPEN_ALWAYS": (4, "fileapi.h"),
    "FILE_TYPE_UNKNOWN": (0x0000, "winbase.h"),
    "FILE_TYPE_DISK": (0x0001, "winbase.h"),
    "FILE_TYPE_CHAR": (0x0002, "winbase.h"),
    "FILE_TYPE_PIPE": (0x0003, "winbase.h"),
    "SECTION_MAP_EXECUTE": (0x0008, "winnt.h"),
    "FILE_MAP_COPY": (0x0001, "memoryapi.h"),
    "FILE_MAP_WRITE": (0x0002, "memoryapi.h"),
    "FILE_MAP_READ": (0x0004, "memoryapi.h"),
    "FILE_MAP_EXECUTE": (0x0020, "memoryapi.h"),
    "FILE_ALLOCATION_INFO_CLASS": (5, "minwinbase.h (FileAllocationInfo)"),
    "FILE_END_OF_FILE_INFO_CLASS": (6, "minwinbase.h (FileEndOfFileInfo)"),
    "MAX_PATH": (260, "minwindef.h"),
    "ERROR_INVALID_FUNCTION": (1, "winerror.h"),
    "ERROR_FILE_NOT_FOUND": (2, "winerror.h"),
    "ERROR_PATH_NOT_FOUND": (3, "winerror.h"),
    "ERROR_ACCESS_DENIED": (5, "winerror.h"),
    "ERROR_INVALID_HANDLE": (6, "winerror.h"),
    "ERROR_NOT_ENOUGH_MEMORY": (8, "winerror.h"),
    "ERROR_OUTOFMEMORY": (14, "winerror.h"),
    "ERROR_INVALID_PARAMETER": (87, "winerror.h"),
    "ERROR_HANDLE_DISK_FULL": (39, "winerror.h"),
    "ERROR_DISK_FULL": (112, "winerror.h"),
    "ERROR_PROC_NOT_FOUND": (127, "winerror.h"),
    "ERROR_ALREADY_EXISTS": (183, "winerror.h"),
    "ERROR_FILE_TOO_LARGE": (223, "winerror.h"),
    "ERROR_INVALID_ADDRESS": (487, "winerror.h"),
    "ERROR_COMMITMENT_LIMIT": (1455, "winerror.h"),
}

# Win32 functions: name -> (DLL that exports it, number of parameters in the docs).
SDK_FUNCTIONS: dict[str, tuple[str, int]] = {
    "GetSystemInfo": ("kernel32", 1),
    "CreateFileW": ("kernel32", 7),
    "DeleteFileW": ("kernel32", 1),
    "CloseHandle": ("kernel32", 1),
    "GetFileType": ("kernel32", 1),
    "GetFileSizeEx": ("kernel32", 2),
    "SetFileInformationByHandle": ("kernel32", 4),
    "FlushFileBuffers": ("kernel32", 1),
    "CreateFileMappingW": ("kernel32", 6),
    "OpenFileMappingW": ("kernel32", 3),
    "MapViewOfFileEx": ("kernel32", 6),
    "UnmapViewOfFile": ("kernel32", 1),
    "FlushViewOfFile": ("kernel32", 2),
    "VirtualQuery": ("kernel32", 3),
    "VirtualAlloc": ("kernel32", 4),
    "VirtualFree": ("kernel32", 3),
    "GetCurrentProcess": ("kernel32", 0),
    "VirtualAlloc2": ("kernelbase", 7),
    "MapViewOfFile3": ("kernelbase", 9),
}

# What each access mode asks of CreateFileMappingW / MapViewOfFileEx / OpenFileMappingW,
# per their documentation: the section's protection must allow the view's access.
R, W, C, X = "FILE_MAP_READ", "FILE_MAP_WRITE", "FILE_MAP_COPY", "FILE_MAP_EXECUTE"
SX = "SECTION_MAP_EXECUTE"  # what an executable view needs of an opened section's handle
EXPECTED_ACCESS = {
    "": ("PAGE_READONLY", {R}, {R}),
    "w": ("PAGE_READWRITE", {W}, {R, W}),
    "c": ("PAGE_WRITECOPY", {C}, {R}),
    "x": ("PAGE_EXECUTE_READ", {R, X}, {R, X, SX}),
    "wx": ("PAGE_EXECUTE_READWRITE", {W, X}, {R, W, X, SX}),
    "cx": ("PAGE_EXECUTE_WRITECOPY", {C, X}, {R, X, SX}),
}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _class(tree: ast.Module, name: str) -> ast.ClassDef:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return node
    raise AssertionError(f"class {name} not found")


def _members(cls: ast.ClassDef) -> dict[str, ast.stmt]:
    """Attributes (annotated or assigned) and methods defined in a class body."""
    out: dict[str, ast.stmt] = {}
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out[node.target.id] = node
        elif isinstance(node, ast.Assign):
            out.update({t.id: node for t in node.targets if isinstance(t, ast.Name)})
        elif isinstance(node, ast.FunctionDef):
            out[node.name] = node
    return out


def _module_constants(tree: ast.Module) -> dict[str, int]:
    """Module-level ``NAME = <int literal>`` assignments with upper-case names."""
    out = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id.isupper()
            and isinstance(node.value, ast.Constant)
            and type(node.value.value) is int
        ):
            out[node.targets[0].id] = node.value.value
    return out


def _eval(node: ast.expr, names: dict[str, Any]) -> Any:
    """Evaluate a constant expression from the module with only ``names`` in scope."""
    code = compile(ast.Expression(node), str(WINDOWS), "eval")
    return eval(code, {"__builtins__": {}}, names)  # noqa: S307 - our own source, no builtins


def _value_of(tree: ast.Module, name: str) -> ast.expr:
    for node in tree.body:
        targets = (
            [node.target]
            if isinstance(node, ast.AnnAssign)
            else node.targets
            if isinstance(node, ast.Assign)
            else []
        )
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            assert isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None
            return node.value
    raise AssertionError(f"{name} is not assigned at module level")


@pytest.fixture(scope="module")
def win() -> ast.Module:
    return _tree(WINDOWS)


@pytest.fixture(scope="module")
def api() -> ast.Module:
    return _tree(WIN32)


@pytest.fixture(scope="module")
def mirrors() -> ast.Module:
    return _tree(WIN_MIRROR)


def test_every_backend_member_is_defined_with_the_protocols_parameters(win: ast.Module) -> None:
    protocol = _members(_class(_tree(BASE), "Backend"))
    impl = _members(_class(win, "WindowsBackend"))
    assert protocol, "Backend Protocol has no members: base.py parsing is broken"
    missing = sorted(set(protocol) - set(impl))
    assert not missing, f"WindowsBackend lacks Backend members: {missing}"
    for name, node in protocol.items():
        if isinstance(node, ast.FunctionDef):
            got = impl[name]
            assert isinstance(got, ast.FunctionDef), f"{name} must be a method"
            want_args = [a.arg for a in node.args.args]
            assert [a.arg for a in got.args.args] == want_args, f"{name} parameters differ"


def test_constants_match_the_windows_sdk_headers(win: ast.Module, api: ast.Module) -> None:
    got = _module_constants(api)
    assert not _module_constants(win), "Win32 constants belong in _win32.py"
    unlisted = sorted(set(got) - set(SDK_CONSTANTS))
    assert not unlisted, f"constants without an SDK entry in this test's table: {unlisted}"
    wrong = {n: (got.get(n), v, h) for n, (v, h) in SDK_CONSTANTS.items() if got.get(n) != v}
    assert not wrong, f"(module value, SDK value, header): {wrong}"


def test_error_groups_tagname_limit_and_flags(win: ast.Module, api: ast.Module) -> None:
    names: dict[str, Any] = dict(
        win32=types.SimpleNamespace(**_module_constants(api)),
        frozenset=frozenset,
        len=len,
        _TAG_PREFIX=_eval(_value_of(win, "_TAG_PREFIX"), {}),
    )
    attrs = {
        n: _eval(node.value, names)
        for n, node in _members(_class(win, "WindowsBackend")).items()
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value
    }
    assert attrs["name"] == "windows"
    assert attrs["NOT_FOUND"] == {2, 3}
    assert attrs["DISK_FULL"] == {112, 39, 223}
    assert attrs["OUT_OF_MEM"] == {8, 14, 487, 1455}
    # MAX_PATH (260) minus the NUL and "Local\" (6 UTF-16 units).
    assert names["_TAG_PREFIX"] == "Local\\"
    assert attrs["TAGNAME_MAX"] == 253
    assert attrs["SHM_FILES"] is False and attrs["KEEPS_FILE"] is True
    # Handles that are not disk files fail as GetFileSizeEx fails on them.
    not_files = {"fifo": 1, "char": 1, "other": 1}
    assert attrs["UNSIZED"] == not_files and attrs["UNMAPPABLE"] == not_files
    assert attrs["FOREIGN"] == 5  # ERROR_ACCESS_DENIED
    groups = [attrs["NOT_FOUND"], attrs["DISK_FULL"], attrs["OUT_OF_MEM"]]
    assert sum(map(len, groups)) == len(set().union(*groups)), "an error is in two groups"


def test_access_modes_map_to_matching_protection_and_view_access(api: ast.Module) -> None:
    consts = _module_constants(api)
    table = _eval(_value_of(api, "ACCESS_FLAGS"), dict(consts))
    assert set(table) == set(EXPECTED_ACCESS)
    for access, (protect, view, opening) in EXPECTED_ACCESS.items():
        want = (consts[protect], sum(consts[f] for f in view), sum(consts[f] for f in opening))
        assert table[access] == want, f"access {access!r}"


def _bindings(api: ast.Module) -> dict[str, tuple[str, str, int]]:
    """Module variable -> (Win32 function, DLL, number of argtypes) from its ``_bind`` call."""
    dll_names = {}  # module variable -> DLL name, from `x = ctypes.WinDLL("name", ...)`
    for node in ast.walk(api):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and ast.unparse(node.value.func) == "ctypes.WinDLL"
        ):
            dll_names[ast.unparse(node.targets[0])] = _eval(node.value.args[0], {})
    out = {}
    for node in ast.walk(api):
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        if isinstance(value, ast.Call) and ast.unparse(value.func) == "_bind":
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            dll, name, _restype, *argtypes = value.args
            out[ast.unparse(target)] = (_eval(name, {}), dll_names[ast.unparse(dll)], len(argtypes))
    return out


def test_prototypes_have_the_documented_parameter_counts(api: ast.Module) -> None:
    bound = {fn: (dll, n) for fn, dll, n in _bindings(api).values()}
    assert bound == SDK_FUNCTIONS


def _called(node: ast.Call) -> str:
    """The called name, as ``_win32.py`` spells it: the backend calls ``win32.X``."""
    return ast.unparse(node.func).removeprefix("win32.")


def test_every_call_passes_as_many_arguments_as_the_prototype(
    win: ast.Module, api: ast.Module, mirrors: ast.Module
) -> None:
    """ctypes would raise TypeError on Windows for a wrong count; mypy cannot see it
    (foreign functions are Any). ``*split(n)`` passes the two DWORDs of a 64-bit value."""
    bindings = _bindings(api)
    called = set()
    calls = [n for m in (win, api, mirrors) for n in ast.walk(m) if isinstance(n, ast.Call)]
    for node in calls:
        if _called(node) in bindings:
            fn, _dll, want = bindings[_called(node)]
            got = 0
            for arg in node.args:
                if isinstance(arg, ast.Starred):
                    assert ast.unparse(arg.value).removeprefix("win32.").startswith("split("), (
                        ast.unparse(node)
                    )
                    got += 2
                else:
                    got += 1
            assert not node.keywords and got == want, f"{fn}: {ast.unparse(node)}"
            called.add(fn)
    unused = sorted({fn for fn, _, _ in bindings.values()} - called)
    assert not unused, f"bound but never called: {unused}"


# Structures the backend reads: class -> (sizeof, {field: offset}) on x64 Windows.
SDK_LAYOUTS_X64 = {
    "SYSTEM_INFO": (48, {"dwPageSize": 4, "dwAllocationGranularity": 40}),
    "MEMORY_BASIC_INFORMATION": (48, {"RegionSize": 24}),
}


@pytest.mark.parametrize("cls", sorted(SDK_LAYOUTS_X64))
def test_structure_layouts_match_the_x64_sdk(api: ast.Module, cls: str) -> None:
    # Rebuild the structure with Windows' type sizes (DWORD is 32-bit there; c_ulong
    # on Linux is 64-bit, so ctypes.wintypes cannot be used for this here).
    if ctypes.sizeof(ctypes.c_void_p) != 8:
        pytest.skip("the expected offsets are those of 64-bit Windows")
    fields_node = next(
        n.value
        for n in _class(api, cls).body
        if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "_fields_"
    )
    wintypes = types.SimpleNamespace(DWORD=ctypes.c_uint32, WORD=ctypes.c_uint16)
    fields = _eval(fields_node, {"wintypes": wintypes, "ctypes": ctypes})
    struct = type(cls, (ctypes.Structure,), {"_fields_": fields})
    size, offsets = SDK_LAYOUTS_X64[cls]
    assert ctypes.sizeof(struct) == size
    assert {name: getattr(struct, name).offset for name in offsets} == offsets


def test_modules_say_what_they_were_run_on(
    win: ast.Module, api: ast.Module, mirrors: ast.Module
) -> None:
    for module in (win, api, mirrors):
        doc = ast.get_docstring(module) or ""
        assert "Wine 8" in doc and "NOT" in doc, "say what ran and what did not"


def _mypy(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (it is in the 'test' extra)")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--platform",
            "win32",
            "--strict",
            "--python-version",
            "3.10",
            "--no-error-summary",
            "--cache-dir",
            str(cwd / ".cache"),
            *args,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_mypy_win32_checks_protocol_conformance_and_catches_breaks(tmp_path: Path) -> None:
    """``mypy --platform win32 --strict`` passes on the backend, and fails on two
    planted defects (a missing method, a wrong signature), which shows the check is
    not vacuous (e.g. the module's platform assertion hiding it from mypy)."""
    source = WINDOWS.read_text(encoding="utf-8")
    planted = {
        "good": source,
        "missing_reserve": source.replace("def reserve(", "def reserve_renamed("),
        "unmap_signature": source.replace(
            "def unmap(self, addr: int, size: int)", "def unmap(self, addr: int)"
        ),
    }
    for pkg, text in planted.items():
        assert pkg == "good" or text != source, f"planting {pkg} failed: the source changed"
        d = tmp_path / pkg
        d.mkdir()
        (d / "__init__.py").write_text("")
        shutil.copy(BASE, d / "base.py")
        shutil.copy(WIN32, d / "_win32.py")
        shutil.copy(WIN_MIRROR, d / "_win_mirror.py")
        (d / "_windows.py").write_text(text, encoding="utf-8")
    proc = _mypy([*planted], tmp_path)
    errors = [ln for ln in proc.stdout.splitlines() if ": error:" in ln]
    assert not [e for e in errors if e.startswith("good")], proc.stdout + proc.stderr
    for pkg in planted.keys() - {"good"}:
        assert any(e.startswith(f"{pkg}/_windows.py") and "Backend" in e for e in errors), (
            f"mypy missed the planted defect {pkg}:\n{proc.stdout}{proc.stderr}"
        )
