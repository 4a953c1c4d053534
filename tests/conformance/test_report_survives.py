"""A run's report survives what the machine throws at it at the end: a disk that
fills while the report is written (one line, exit 2, no partial file, no old report
left looking current) and a /dev/shm object under the run's prefix that the runner
cannot remove (the report is written all the same)."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

RUN = [sys.executable, "-m", "mmapspec.commands.cli", "run", "--adapter", "reference", "-n", "0"]
QUIET = ["--", "-p", "no:cacheprovider"]


def _small_files() -> None:  # in the child, before exec
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))


def test_a_report_that_cannot_be_written_is_one_line_and_no_old_report_stays(
    tmp_path: Path,
) -> None:
    report = tmp_path / "r.json"
    report.write_text('{"old": "a report of an earlier run"}')
    done = subprocess.run(
        [*RUN, "--clause", "aligned_size.*", "--json", str(report), *QUIET],
        preexec_fn=_small_files,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr
    assert done.stderr.splitlines() == [
        f"mmapspec: error: cannot write {str(report)!r}: File too large"
    ]
    assert "reports: NOT all written" in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(("json", "tmp"))) == []


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="tagnames are listed in /dev/shm (Linux)")
def test_an_object_the_runner_cannot_remove_is_left_and_the_rest_removed() -> None:
    """What the end of every run calls: a folder under the run's prefix (as another
    user's object would be, which the runner may not remove) is left without raising."""
    from mmapspec.spec.support import remove_tagnames_by_prefix

    prefix = f"mmapspec-t{uuid.uuid4().hex[:10]}-"
    blocker, ours = Path("/dev/shm", prefix + "a-folder"), Path("/dev/shm", prefix + "ours")
    blocker.mkdir()
    ours.write_bytes(b"x")
    try:
        removed = remove_tagnames_by_prefix(prefix)
    finally:
        ours.unlink(missing_ok=True)
        blocker.rmdir()
    assert removed == [ours.name]
