"""Strategies by name: the `portfolios.strategy` column holds a key of this registry."""

from __future__ import annotations

import importlib
import pkgutil
from typing import TypeVar

from pipelines.allocation.base import Strategy

_REGISTRY: dict[str, type[Strategy]] = {}
S = TypeVar("S", bound=type[Strategy])


def register(cls: S) -> S:
    """Class decorator: make a strategy available under its `name`."""
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"strategy name {cls.name!r} registered twice")
    _REGISTRY[cls.name] = cls
    return cls


_LOADED = False


def _load_all() -> None:
    """Import every strategy module once (the engine asks for a class per portfolio)."""
    global _LOADED
    if _LOADED:
        return
    import pipelines.allocation as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name not in {"base", "registry"} and not mod.name.startswith("_"):
            importlib.import_module(f"{pkg.__name__}.{mod.name}")
    _LOADED = True


def get_strategy_class(name: str) -> type[Strategy]:
    _load_all()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown strategy {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def available_strategies() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)
