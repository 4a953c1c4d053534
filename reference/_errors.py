"""``MmapError`` and the translation of OS error numbers into documented errcodes."""

from __future__ import annotations

from typing import Literal

from ._platform import OsCallError, backend

Errcode = str | int
Step = Literal["open", "open_filesize", "reserve", "map"]
"""Where a call failed; the same OS error means different things in different steps."""


class MmapError(OSError):
    """A documented failure: the doc's ``nil, err, errcode``.

    ``errcode`` is ``'no_file'``, ``'file_too_short'``, ``'disk_full'`` or
    ``'out_of_mem'`` (``map``, ``mirror``), ``'not_found'`` (``filesize``), or the OS
    error number as an int. ``errno`` is the underlying OS error number where there
    was one (None for conditions this library detected itself, such as a short
    file), and ``filename`` the path involved, if any.
    """

    errcode: Errcode

    def __init__(
        self,
        errcode: Errcode,
        message: str,
        os_errno: int | None = None,
        filename: str | None = None,
    ) -> None:
        if os_errno is None:
            super().__init__(message)
        else:
            super().__init__(os_errno, message)
        self.errcode = errcode
        self.message = message
        self.filename = filename

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[type[MmapError], tuple[Errcode, str, int | None, str | None]]:
        return (type(self), (self.errcode, self.message, self.errno, self.filename))


def errcode_for(err: int, step: Step) -> Errcode:
    """The documented errcode an OS error number stands for at ``step``, else the number."""
    if step == "map":
        return "out_of_mem" if err in backend.OUT_OF_MEM else err
    if err in backend.DISK_FULL:  # creating, growing or reserving a file
        return "disk_full"
    if step == "open" and err in backend.NOT_FOUND:
        return "no_file"
    if step == "open_filesize" and err in backend.NOT_FOUND:
        return "not_found"
    return err


def os_failure(e: OsCallError, step: Step, what: str, filename: str | None = None) -> MmapError:
    """An :class:`MmapError` for a failed system call, with a message a person can act on."""
    code = errcode_for(e.err, step)
    tag = f" ({code})" if isinstance(code, str) else ""
    return MmapError(code, f"{what}: {backend.strerror(e.err)}{tag} [{e.call}]", e.err, filename)


def failure(errcode: str, message: str, filename: str | None = None) -> MmapError:
    """An :class:`MmapError` for a condition detected here rather than by the OS."""
    return MmapError(errcode, f"{message} ({errcode})", None, filename)


def at_address(addr: int | None) -> str:
    """The requested address for error messages ("in use" is the usual cause)."""
    return "" if addr is None else f" at address {addr:#x} (the whole range must be free)"
