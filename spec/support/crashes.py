"""How the OS kills a process for a bad memory access (POSIX: SIGSEGV or SIGBUS;
Windows: an access violation or an in-page error), for the documented crashes."""

from __future__ import annotations

from mmapspec.adapters.interface import ImplementationCrashed
from mmapspec.spec.support.platforms import current

memory_faults: str = current.memory_faults
"""How the OS kills a process for a bad memory access, as messages name it."""


def is_memory_fault(crash: ImplementationCrashed) -> bool:
    """Whether the implementation's process died as the OS kills one for a bad memory
    access (not, say, by an exit or an unrelated signal)."""
    return current.is_memory_fault(crash)
