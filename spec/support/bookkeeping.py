"""The maps, mirrors and tagnames of one test, released when it ends whatever happens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mmapspec.adapters.interface import Adapter, AdapterError, MapInfo, MirrorInfo
from mmapspec.spec.support.outcomes import Outcome, assert_value, outcome_of
from mmapspec.spec.support.tagnames import new_tagname, remove_tagname_through_os


class Maps:
    """Maps, mirrors and tagnames of one test (or one Hypothesis example), released at
    the end whatever happens, so that a failing test leaks nothing into the next."""

    def __init__(self, adapter: Adapter) -> None:
        self.adapter = adapter
        self._live: list[int] = []
        self._tagnames: list[str] = []

    def __enter__(self) -> Maps:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def tagname(self) -> str:
        """A fresh tagname, unlinked when this bookkeeping closes."""
        name = new_tagname()
        self._tagnames.append(name)
        return name

    def map(self, *args: Any, **kwargs: Any) -> MapInfo:
        """``adapter.map`` that must succeed; the map is freed at the end."""
        info: MapInfo = assert_value(outcome_of(self.adapter.map, *args, **kwargs))
        self._live.append(info.handle)
        return info

    def try_map(self, *args: Any, **kwargs: Any) -> Outcome:
        """``adapter.map`` whatever its outcome; a map it returns is freed at the end."""
        outcome = outcome_of(self.adapter.map, *args, **kwargs)
        if outcome.kind == "value":
            self._live.append(outcome.value.handle)
        return outcome

    def mirror(self, *args: Any, **kwargs: Any) -> MirrorInfo:
        info: MirrorInfo = assert_value(outcome_of(self.adapter.mirror, *args, **kwargs))
        self._live.append(info.handle)
        return info

    def try_mirror(self, *args: Any, **kwargs: Any) -> Outcome:
        outcome = outcome_of(self.adapter.mirror, *args, **kwargs)
        if outcome.kind == "value":
            self._live.append(outcome.value.handle)
        return outcome

    def free(self, info: MapInfo | MirrorInfo) -> None:
        """Free now (the test is about what happens after)."""
        self._live.remove(info.handle)
        self.adapter.free(info.handle)

    def close(self) -> None:
        """Free every map, then unlink every tagname through the binding and through
        the OS. Each step runs whatever the one before raised (a binding that
        answers nonsense or dies must not leave shared memory behind); the first
        unexpected error is raised at the end."""
        errors: list[BaseException] = []
        for handle in reversed(self._live):
            self._quietly(errors, self.adapter.free, handle)
        self._live.clear()
        unlink = "unlink" in self.adapter.capabilities.names()
        for name in self._tagnames:
            if unlink:
                self._quietly(errors, self.adapter.unlink, name)
            self._quietly(errors, remove_tagname_through_os, name)
        self._tagnames.clear()
        if errors:
            raise errors[0]

    @staticmethod
    def _quietly(errors: list[BaseException], fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except AdapterError:
            pass  # an outcome the binding may give: freed twice, unknown name, a crash
        except Exception as exc:  # noqa: BLE001 - kept, and raised once cleanup is done
            errors.append(exc)


def free_address(adapter: Adapter, maps: Maps, size: int) -> int:
    """An address where ``size`` bytes are free right now: map that much, note where, free."""
    probe = maps.map(None, "w", size)
    assert probe.addr, "the implementation reports no address"
    maps.free(probe)
    return probe.addr
