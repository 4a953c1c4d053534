"""Hostile files: FIFOs, directories and devices where a file is expected, and
shared memory objects planted under a tagname by another user.

Real FIFOs (os.mkfifo), real /dev/shm objects, real users: the attacker (uid
65534) and an unprivileged victim (uid 65533) are children started with
``setpriv``, which needs root. They run a copy of the reference laid out where
every user can read it, with an interpreter every user can run, so the tests run
wherever the checkout is (a 0700 ``mktemp -d`` or home directory). Every call that
could hang runs in a child with a hard timeout, so a regression fails the test
instead of hanging the suite.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mmapspec import reference as mm

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="FIFOs in /dev/shm and setpriv are Linux"
)

PS = mm.pagesize()
ATTACKER = 65534
VICTIM = 65533
TIMEOUT = 60.0
"""A call that returns at once takes milliseconds; one waiting on a FIFO never returns."""

needs_two_users = pytest.mark.skipif(
    getattr(os, "geteuid", lambda: -1)() != 0 or shutil.which("setpriv") is None,
    reason="acting as two other users needs root and setpriv",
)

PRELUDE = """
import json, os, sys
if {readable!r}:
    sys.path.insert(0, {readable!r})
from mmapspec import reference as mm
results = []
def attempt(name, fn):
    try:
        r = fn()
    except mm.MmapError as e:
        results.append([name, "MmapError", e.errcode, str(e)])
        return
    except Exception as e:
        results.append([name, type(e).__name__, None, str(e)])
        return
    if isinstance(r, (mm.Map, mm.Mirror)):
        data = r[0:8].decode("latin-1")
        r.free()
        r = data
    results.append([name, "ok", r, ""])
"""


def _setpriv(uid: int) -> list[str]:
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]


_OTHER_USERS: list[tuple[str, Path]] = []


def _for_other_users() -> tuple[str, Path]:
    """An interpreter both other users can run, and a folder they can read holding a
    copy of ``mmapspec/__init__.py`` and the reference (standard library only), made
    once per session in /tmp. A checkout or a Python under a folder only its owner
    can enter (a ``mktemp -d`` folder, a home directory) is out of their reach."""
    if _OTHER_USERS:
        return _OTHER_USERS[0]
    import mmapspec

    folder = Path(tempfile.mkdtemp(prefix="mmapspec-other-users-", dir="/tmp"))
    atexit.register(shutil.rmtree, folder, True)
    package = folder / "mmapspec"
    package.mkdir()
    shutil.copy(mmapspec.__file__, package / "__init__.py")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(Path(mm.__file__).parent, package / "reference", ignore=ignore)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    check = "import sys; assert sys.version_info >= (3, 10); from mmapspec import reference"
    tried = []
    system = ["/usr/bin/python3", "/usr/local/bin/python3", "python3"]
    for python in dict.fromkeys([sys.executable, os.path.realpath(sys.executable), *system]):
        found = shutil.which(python)
        cmd = [*_setpriv(ATTACKER), str(found), "-I", "-S", "-c"]
        cmd.append(f"import sys; sys.path.insert(0, {str(folder)!r}); {check}")
        ok = found and subprocess.run(cmd, capture_output=True, timeout=TIMEOUT).returncode == 0
        if ok:
            _OTHER_USERS.append((str(found), folder))
            return _OTHER_USERS[0]
        tried.append(str(found or python))
    pytest.skip(f"no Python >= 3.10 that uid {ATTACKER} can run: tried {', '.join(tried)}")


def run_as(uid: int | None, body: str) -> list[list[Any]]:
    """Run ``body`` after PRELUDE in a fresh interpreter, as ``uid`` (None: as the
    test runs); returns its ``results``: [name, outcome, errcode or value, message].
    Not finishing within TIMEOUT fails the test as a hang."""
    readable = "" if uid is None else str(_for_other_users()[1])
    code = PRELUDE.format(readable=readable) + textwrap.dedent(body)
    code += "\nprint(json.dumps(results))\n"
    cmd = [sys.executable, "-c", code]
    if uid is not None:
        cmd = [*_setpriv(uid), _for_other_users()[0], "-I", "-S", "-c", code]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"hung: the child did not finish in {TIMEOUT:.0f}s (a FIFO open waiting?)")
    assert proc.returncode == 0, proc.stderr[-3000:]
    out: list[list[Any]] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def as_user(uid: int, code: str) -> None:
    """Run plain Python ``code`` as ``uid`` (the attacker planting something)."""
    proc = subprocess.run(
        [*_setpriv(uid), _for_other_users()[0], "-I", "-S", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


def refused(results: list[list[Any]], err: int, *words: str) -> None:
    """Every call failed with MmapError ``err``, its message naming ``words``."""
    for name, outcome, code, message in results:
        assert (outcome, code) == ("MmapError", err), (name, outcome, code, message)
        for w in words:
            assert w in message, (name, w, message)


@pytest.fixture
def shm_tag() -> Iterator[str]:
    """A tagname unique to this test; whatever ends up under it in /dev/shm (a file, a
    FIFO, a directory) is removed afterwards."""
    tag = f"mmapspec-ref-hostile-{uuid.uuid4().hex}"
    yield tag
    path = Path("/dev/shm") / tag
    if path.is_dir() and not path.is_symlink():
        path.rmdir()
    elif path.exists() or path.is_symlink():
        path.unlink()


# --------------------------------------------------------------------------- FIFOs


def test_a_fifo_is_refused_at_once_by_every_call(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    results = run_as(
        None,
        f"""
        f = {str(fifo)!r}
        attempt("filesize(fifo)", lambda: mm.filesize(f))
        attempt("filesize(fifo, 0)", lambda: mm.filesize(f, 0))
        fd = os.open(f, os.O_RDONLY | os.O_NONBLOCK)
        attempt("filesize(fd of fifo)", lambda: mm.filesize(fd))
        """,
    )
    refused(results, errno.ESPIPE, "FIFO", "has no size")
    refused(results[:2], errno.ESPIPE, repr(str(fifo)))
    results = run_as(
        None,
        f"""
        f = {str(fifo)!r}
        for access in mm.ACCESS_MODES:
            attempt(f"map(fifo, {{access!r}})", lambda: mm.map(f, access))
            attempt(f"map(fifo, {{access!r}}, size)", lambda: mm.map(f, access, {PS}))
        attempt("mirror(fifo)", lambda: mm.mirror(f, {PS}))
        """,
    )
    assert len(results) == 13
    refused(results, errno.ENODEV, repr(str(fifo)), "FIFO", "cannot be mapped")
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # left as it was


@needs_two_users
@pytest.mark.parametrize("victim", [None, VICTIM], ids=["root-victim", "unprivileged-victim"])
def test_a_fifo_planted_under_a_tagname_is_refused_at_once(
    shm_tag: str, victim: int | None
) -> None:
    fifo = f"/dev/shm/{shm_tag}"
    as_user(ATTACKER, f"import os; os.mkfifo({fifo!r}); os.chmod({fifo!r}, 0o666)")
    results = run_as(
        victim,
        f"""
        for access in mm.ACCESS_MODES:
            attempt(f"map(tagname, {{access!r}})", lambda: mm.map(tagname={shm_tag!r},
                                                                  access=access, size={PS}))
        attempt("map(tagname) without size", lambda: mm.map(tagname={shm_tag!r}))
        """,
    )
    assert len(results) == 7
    refused(results, errno.ENODEV, f"shared memory {shm_tag!r}", "FIFO")
    assert stat.S_ISFIFO(os.lstat(f"/dev/shm/{shm_tag}").st_mode)  # not removed: not ours


# --------------------------------------------------------------------- non-files


def test_filesize_of_a_directory_fifo_or_device_fails_clearly(tmp_path: Path) -> None:
    args: tuple[Any, ...]
    for args in [(tmp_path,), (tmp_path, 0)]:
        with pytest.raises(mm.MmapError) as ei:
            mm.filesize(*args)
        assert ei.value.errcode == errno.EISDIR, ei.value
        assert str(tmp_path) in str(ei.value)
    for args in [("/dev/null",), ("/dev/null", 0), ("/dev/zero", PS)]:
        with pytest.raises(mm.MmapError) as ei:
            mm.filesize(*args)
        assert ei.value.errcode == errno.EINVAL, ei.value
        assert "character device" in str(ei.value) and "has no size" in str(ei.value)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_map_of_a_directory_or_character_device_fails_clearly(tmp_path: Path) -> None:
    for access in ("", "c", "w"):
        with pytest.raises(mm.MmapError) as ei:
            mm.map(tmp_path, access, PS)
        assert ei.value.errcode == errno.EISDIR, ei.value
    with pytest.raises(mm.MmapError) as ei:
        mm.map(tmp_path)
    assert "is a directory, which cannot be mapped" in str(ei.value)
    for dev in ("/dev/zero", "/dev/null"):
        with pytest.raises(mm.MmapError) as ei:
            mm.map(dev, "", PS)
        assert ei.value.errcode == errno.ENODEV, ei.value
        assert repr(dev) in str(ei.value) and "character device" in str(ei.value)


def test_a_directory_under_a_tagname_is_refused(shm_tag: str) -> None:
    os.mkdir(f"/dev/shm/{shm_tag}", 0o700)
    for access in ("", "w"):
        with pytest.raises(mm.MmapError) as ei:
            mm.map(tagname=shm_tag, access=access, size=PS)
        # glibc's shm_open itself refuses a directory, with EINVAL; else it is EISDIR.
        assert ei.value.errcode in (errno.EINVAL, errno.EISDIR), ei.value
        assert repr(shm_tag) in str(ei.value)
    assert os.path.isdir(f"/dev/shm/{shm_tag}")


@contextlib.contextmanager
def _block_device(tmp_path: Path) -> Iterator[str]:
    """A real block device of known size: a loop device over a file of 3 pages and
    a bit, attached for the test (root and util-linux's losetup), detached after."""
    losetup = shutil.which("losetup")
    if os.geteuid() != 0 or losetup is None:
        pytest.skip("attaching a loop device needs root and losetup (util-linux)")
    backing = tmp_path / "disk.img"
    backing.write_bytes(b"\x5a" * (3 * PS + 512))
    attached = subprocess.run(
        [losetup, "--find", "--show", str(backing)], capture_output=True, text=True
    )
    if attached.returncode != 0:
        pytest.skip(f"losetup could not attach a loop device here: {attached.stderr.strip()}")
    dev = attached.stdout.strip()
    try:
        yield dev
    finally:
        subprocess.run([losetup, "--detach", dev], capture_output=True)


def test_a_block_device_has_the_size_of_the_device(tmp_path: Path) -> None:
    with _block_device(tmp_path) as dev:
        want = 3 * PS + 512  # what the device holds; fstat says 0 for any device
        assert os.stat(dev).st_size == 0
        fd = os.open(dev, os.O_RDONLY)
        try:
            assert mm.filesize(dev) == want
            assert mm.filesize(fd) == want
            assert os.lseek(fd, 0, os.SEEK_CUR) == 0  # the caller's position is kept
        finally:
            os.close(fd)


# ------------------------------------------------------------ foreign objects


def _plant(tag: str, mode: int, data: bytes = b"attacker") -> None:
    """The attacker creates /dev/shm/<tag> with ``mode`` (exactly: fchmod beats the umask)."""
    as_user(
        ATTACKER,
        f"""
        import os
        fd = os.open('/dev/shm/{tag}', os.O_RDWR | os.O_CREAT | os.O_EXCL, {mode:#o})
        os.fchmod(fd, {mode:#o})
        os.write(fd, {data!r} + bytes({PS} - {len(data)}))
        os.close(fd)
        """,
    )


@needs_two_users
@pytest.mark.parametrize("victim", [None, VICTIM], ids=["root-victim", "unprivileged-victim"])
def test_another_users_object_is_not_adopted(shm_tag: str, victim: int | None) -> None:
    # Mode 0666: an unprivileged victim could open it too, not only root.
    _plant(shm_tag, 0o666)
    body = f"""
        for access in ("", "c", "w"):
            attempt(access, lambda: mm.map(tagname={shm_tag!r}, access=access, size={PS}))
        attempt("no size", lambda: mm.map(tagname={shm_tag!r}))
        """
    results = run_as(victim, body)
    refused(results, errno.EACCES, repr(shm_tag), f"owned by uid {ATTACKER}")
    path = Path(f"/dev/shm/{shm_tag}")
    assert path.read_bytes()[:8] == b"attacker" and path.stat().st_uid == ATTACKER
    # Sharing across users is an explicit choice.
    results = run_as(victim, body.replace("size=", "shared_with_others=True, size="))
    assert [r[1:3] for r in results] == [["ok", "attacker"]] * 3 + [["MmapError", errno.EACCES]]


@needs_two_users
def test_root_does_not_adopt_another_users_private_object(shm_tag: str) -> None:
    _plant(shm_tag, 0o600)
    with pytest.raises(mm.MmapError) as ei:
        mm.map(tagname=shm_tag, access="w", size=PS)
    assert ei.value.errcode == errno.EACCES
    assert f"owned by uid {ATTACKER}, not by this user (uid 0)" in str(ei.value)
    assert "shared_with_others=True" in str(ei.value)
    assert os.path.exists(f"/dev/shm/{shm_tag}")  # refused, not removed
    with mm.map(tagname=shm_tag, access="w", size=PS, shared_with_others=True) as m:
        assert m[0:8] == b"attacker"


@needs_two_users
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o606, 0o666])
def test_an_own_object_that_others_may_open_is_not_adopted(shm_tag: str, mode: int) -> None:
    as_user(
        VICTIM,
        f"import os; os.fchmod(os.open('/dev/shm/{shm_tag}', os.O_CREAT | os.O_RDWR, 0), "
        f"{mode:#o})",
    )
    results = run_as(VICTIM, f"attempt('map', lambda: mm.map(tagname={shm_tag!r}, size=1))")
    refused(results, errno.EACCES, f"mode {mode:04o} lets other users open it")


@needs_two_users
def test_shared_with_others_creates_0666_and_another_user_shares_the_memory(
    shm_tag: str,
) -> None:
    results = run_as(
        VICTIM,
        f"""
        os.umask(0o022)
        m = mm.map(tagname={shm_tag!r}, access="w", size={PS}, shared_with_others=True)
        m[0:5] = b"hello"
        m.free()
        attempt("reopen", lambda: mm.map(tagname={shm_tag!r}, shared_with_others=True))
        attempt("reopen unshared", lambda: mm.map(tagname={shm_tag!r}))
        """,
    )
    assert results[0][1:3] == ["ok", "hello\0\0\0"]
    assert results[1][1:3] == ["MmapError", errno.EACCES]  # a shared object is opened as such
    st = os.stat(f"/dev/shm/{shm_tag}")
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (VICTIM, 0o666)  # despite the umask
    results = run_as(
        ATTACKER,
        f"""
        def share():
            m = mm.map(tagname={shm_tag!r}, access="w", shared_with_others=True)
            m[5:6] = b"!"
            return m
        attempt("share", share)
        attempt("unshared", lambda: mm.map(tagname={shm_tag!r}))
        """,
    )
    assert [r[1:3] for r in results] == [["ok", "hello!\0\0"], ["MmapError", errno.EACCES]]


def test_a_new_object_is_private_by_default(shm_tag: str) -> None:
    with mm.map(tagname=shm_tag, access="w", size=PS):
        st = os.stat(f"/dev/shm/{shm_tag}")
        assert st.st_uid == os.geteuid() and st.st_mode & 0o077 == 0


def test_shared_with_others_is_a_bool_for_tagnames_only() -> None:
    with pytest.raises(TypeError, match="shared_with_others must be a bool"):
        mm.map(tagname="x", size=1, shared_with_others=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tagname"):
        mm.map(size=PS, access="w", shared_with_others=True)
