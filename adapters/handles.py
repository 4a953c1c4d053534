"""The handles an in-process adapter gives out for the maps and mirrors it holds."""

from __future__ import annotations

import itertools
from typing import Generic, TypeVar

from mmapspec.adapters.interface import ArgumentError, Handle

T = TypeVar("T")


class Handles(Generic[T]):
    """Live objects by handle: 1, 2, 3... in the order they were issued, never reused,
    so a handle of a freed map stays unknown instead of naming a newer one."""

    def __init__(self) -> None:
        self._live: dict[Handle, T] = {}
        self._ids = itertools.count(1)

    def issue(self, obj: T) -> Handle:
        handle = next(self._ids)
        self._live[handle] = obj
        return handle

    def get(self, handle: Handle) -> T:
        """The live object, or the raised error a test sees for a bad handle."""
        try:
            return self._live[handle]
        except (KeyError, TypeError):  # TypeError: a handle of an unhashable type
            raise ArgumentError(f"handle {handle!r}: no live map or mirror has it") from None

    def __contains__(self, handle: object) -> bool:
        return handle in self._live

    def forget(self, handle: Handle) -> T | None:
        """Drop the handle; what it held, or None if it held nothing."""
        return self._live.pop(handle, None)

    def newest_first(self) -> list[tuple[Handle, T]]:
        """The live handles and their objects, the last issued first (a mirror
        before its maps); a copy, so that the caller may forget them meanwhile."""
        return list(reversed(self._live.items()))
