"""The handles tests see, kept apart from the handles each child gives.

A fresh child numbers its maps afresh, so a dead child's handle must never reach
the new one: every handle the runner hands out names a child (its generation) and
that child's own handle, and one from a dead child is refused with the reason."""

from __future__ import annotations

from typing import Any

from mmapspec.adapters.interface import ArgumentError, Handle


class ChildHandles:
    """The runner's handles, each naming a child (its generation) and that child's own handle."""

    def __init__(self) -> None:
        self._key_of: dict[Handle, tuple[int, Any]] = {}
        self._handle_of: dict[tuple[int, Any], Handle] = {}

    def ours(self, generation: int, theirs: Any) -> Handle:
        """The runner's handle for child ``generation``'s handle ``theirs``."""
        key = (generation, theirs)
        handle = self._handle_of.get(key)
        if handle is None:
            handle = len(self._key_of) + 1
            self._key_of[handle] = key
            self._handle_of[key] = handle
        return handle

    def theirs(self, handle: Handle, generation: int) -> Any:
        """The child's handle behind ``handle``, if that child is the running one
        (generation ``generation``; 0 when none runs)."""
        try:
            born, theirs = self._key_of[handle]
        except (KeyError, TypeError):
            raise ArgumentError(
                f"handle {handle!r}: no map or mirror was ever given this handle"
            ) from None
        if born != generation:
            raise ArgumentError(
                f"handle {handle!r}: its harness process died, and its maps with it"
            )
        return theirs
