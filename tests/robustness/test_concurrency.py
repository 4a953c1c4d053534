"""Several threads map, write, flush, mirror and free at once.

The scenario runs in a child process (_concurrency_child.py) so that a clobbered
mapping that crashes the interpreter is a failed test, not a dead test run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from ._children import HERE, child_env, describe_exit, remove_shm

THOROUGH = os.environ.get("MMAPSPEC_THOROUGH") == "1"
THREADS, ROUNDS = (8, 300) if THOROUGH else (4, 25)


def test_threads_never_see_each_other_and_mirrors_keep_their_reservation(tmp_path: Path) -> None:
    tag_prefix = f"mmapspec-conc-{uuid.uuid4().hex[:12]}-"
    try:
        proc = subprocess.run(
            [
                sys.executable,
                str(HERE / "_concurrency_child.py"),
                str(tmp_path),
                str(THREADS),
                str(ROUNDS),
                tag_prefix,
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env=child_env(),
        )
    finally:
        remove_shm(tag_prefix)  # a thread that failed midway did not unlink its tagname
    assert proc.returncode == 0, (
        f"the threads' process {describe_exit(proc.returncode)}:\n{proc.stderr[-3000:]}"
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(
        f"thread rounds with no clobber: {result['rounds']}, "
        f"hinted maps into live mirrors refused: {result['hints_refused']}"
    )
    assert result["problems"] == []
    assert result["leaks"] == []
    assert result["rounds"] == THREADS * ROUNDS
    # The mirror-theft probe really ran (threads overlap; with 4+ threads and 25+
    # rounds some other mirror is always live at some point).
    assert result["hints_refused"] > 0
