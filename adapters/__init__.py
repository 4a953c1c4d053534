"""Adapters: how the spec reaches an implementation. See ``interface.py``."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from mmapspec.adapters.interface import Adapter, AdapterSpec

ENTRY_POINT_GROUP = "mmapspec.adapters"

BUILTIN: dict[str, str] = {
    "reference": "mmapspec.adapters.reference_adapter:ReferenceAdapter",
    "stdlib": "mmapspec.adapters.stdlib:StdlibAdapter",
    "pipe": "mmapspec.adapters.pipe:PipeAdapter",
}


class AdapterLoadError(Exception):
    """The adapter could not be found, imported or constructed (one-line message)."""


def _resolve(target: str) -> object:
    module_name, _, attr = target.partition(":")
    try:
        obj: object = importlib.import_module(module_name)
    except Exception as exc:  # any import-time failure of a third-party binding
        reason = f"{type(exc).__name__}: {exc}"
        raise AdapterLoadError(f"cannot import {module_name!r}: {reason}") from exc
    for part in attr.split(".") if attr else ():
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise AdapterLoadError(f"module {module_name!r} has no attribute {attr!r}") from None
    return obj


def load(spec: AdapterSpec) -> Adapter:
    """Create the adapter ``spec`` names: a built-in name, ``module:attribute``, or
    an entry point in the ``mmapspec.adapters`` group. The attribute is an
    :class:`Adapter` subclass or factory, called with the spec's options as
    keyword arguments."""
    if spec.name in BUILTIN:
        target = BUILTIN[spec.name]
    elif ":" in spec.name:
        target = spec.name
    else:
        registered = entry_points(group=ENTRY_POINT_GROUP)
        found = [ep for ep in registered if ep.name == spec.name]
        if not found:
            known = ", ".join(sorted(BUILTIN) + sorted(ep.name for ep in registered))
            raise AdapterLoadError(
                f"unknown adapter {spec.name!r}: expected one of {known} or module:attribute"
            )
        target = found[0].value
    factory = _resolve(target)
    if not callable(factory):
        raise AdapterLoadError(f"{target!r} is not callable")
    try:
        adapter = factory(**dict(spec.options))
    except TypeError as exc:
        raise AdapterLoadError(f"{target!r} rejected its options: {exc}") from exc
    if not isinstance(adapter, Adapter):
        raise AdapterLoadError(f"{target!r} returned {type(adapter).__name__}, not an Adapter")
    adapter.spec = spec
    return adapter


__all__ = ["Adapter", "AdapterLoadError", "AdapterSpec", "load", "BUILTIN", "ENTRY_POINT_GROUP"]
