"""Reports are written atomically, only as regular files, and an old one never
outlives a run looking current. Real files, a real FIFO, real devices."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from mmapspec.results import report_files


def test_a_fifo_a_device_and_a_folder_are_refused_before_the_run(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/full"), tmp_path):
        problem = report_files.check_writable(path)
        assert problem is not None and "not a regular file" in problem, path
        assert "\n" not in problem


def test_a_missing_folder_and_a_plain_file_are_told_apart(tmp_path: Path) -> None:
    assert "not an existing folder" in str(report_files.check_writable(tmp_path / "no/r.json"))
    assert report_files.check_writable(tmp_path / "r.json") is None
    assert not (tmp_path / "r.json").exists()  # the check creates nothing


def test_a_write_replaces_the_whole_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("old")
    report_files.write(path, "new \ud800 text")
    assert path.read_text(encoding="utf-8") == "new ? text"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_a_reader_sees_the_old_report_or_the_new_never_a_part(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    old, new = "a" * 4_000_000, "b" * 4_000_000
    path.write_text(old)
    seen: set[str] = set()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.add(path.read_text()[:1] + str(len(path.read_text())))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(5):
            report_files.write(path, new)
            report_files.write(path, old)
    finally:
        stop.set()
        reader.join()
    assert seen <= {"a4000000", "b4000000"}


def test_a_full_disk_is_one_line_and_the_old_report_stays_whole(tmp_path: Path) -> None:
    """The disk fills mid-write (a file-size limit of 64 KiB in a child process, the
    OS's EFBIG as a full disk's ENOSPC would be): one line, the old report whole, no
    temporary file left."""
    path = tmp_path / "r.json"
    path.write_text("old")
    child = f"""
import resource, signal
from mmapspec.results import report_files
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))
try:
    report_files.write({str(path)!r}, "x" * 1_000_000)
except report_files.ReportWriteError as exc:
    print(exc)
"""
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1 and "cannot write" in done.stdout, done.stdout
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_retire_removes_a_report_and_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("old")
    report_files.retire(path)
    assert not path.exists()
    report_files.retire(tmp_path)  # a folder is left alone
    report_files.retire(tmp_path / "missing")
    assert tmp_path.is_dir()
