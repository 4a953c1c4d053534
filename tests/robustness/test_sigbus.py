"""The documented limitation: "I/O errors from accessing mmapped memory cause a
crash". Shown in a child: truncate a mapped file, read past the new end,
and the child dies of SIGBUS. The reference must say so in its docstrings, with
how to avoid it."""

from __future__ import annotations

import re
import signal
from pathlib import Path

from mmapspec import reference as mm

from ._children import describe_exit, run_child


def test_reading_past_the_end_of_a_truncated_mapped_file_is_sigbus(tmp_path: Path) -> None:
    result = run_child(
        """
        import ctypes, os
        from mmapspec import reference as mm
        page = mm.pagesize()
        with open("data", "wb") as f:
            f.write(b"d" * (2 * page))
        m = mm.map("data", "", 2 * page)
        assert ctypes.string_at(m.addr + page, 1) == b"d"  # readable while the file is whole
        os.truncate("data", 0)  # what the doc warns against: resizing a mapped file
        print("truncated", flush=True)
        ctypes.string_at(m.addr + page, 1)
        report("survived")
    """,
        cwd=tmp_path,
    )
    assert result.signal == signal.SIGBUS, (
        f"expected SIGBUS, the child {describe_exit(result.returncode)}: {result.stderr[-2000:]}"
    )
    assert result.data is None  # it died at the read, not after


def test_the_reference_documents_the_crash_and_how_to_avoid_it() -> None:
    docs = "\n".join(
        filter(
            None,
            (
                mm.__doc__,
                mm.map.__doc__,
                mm.filesize.__doc__,
                getattr(mm, "Map", None) and mm.Map.__doc__,
            ),
        )
    )
    assert re.search(r"SIGBUS", docs), "the reference's docstrings do not mention SIGBUS"
    # How to avoid it: do not truncate/resize a file while it is mapped.
    assert re.search(
        r"(truncat|resiz|shrink|set the (file )?size)[^.]*(while|mapped)",
        docs,
        re.IGNORECASE | re.DOTALL,
    ), "no advice on avoiding it (truncating while mapped)"
