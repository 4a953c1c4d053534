"""``unlink(tagname)``: remove the name of a tagname's shared memory."""

from __future__ import annotations

from ._args import check_tagname
from ._errors import os_failure
from ._platform import OsCallError, backend


def unlink(tagname: str) -> None:
    """Remove the shared memory object of ``tagname`` (Linux, macOS; nothing to do on
    Windows). Existing maps are unaffected. Removing a missing object is not an error:
    afterwards it does not exist either way."""
    tagname = check_tagname(tagname)
    if not backend.SHM_FILES:
        return
    try:
        backend.unlink_tag(tagname)
    except OsCallError as e:
        raise os_failure(e, "open", f"unlink: cannot remove shared memory {tagname!r}") from None
