"""Strategies by name: the `portfolios.strategy` column holds a key of this registry.

A strategy named `x` is the class registered by the module `pipelines.allocation.strategies.x`;
asking for a name imports that one module (parsing a config does not load every strategy).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from typing import TypeVar

from pipelines.allocation import strategies
from pipelines.allocation.base import Strategy

_REGISTRY: dict[str, type[Strategy]] = {}
S = TypeVar("S", bound=type[Strategy])
NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def register(cls: S) -> S:
    """Class decorator: make a strategy available under its `name` (the module's name)."""
    module = cls.__module__.rsplit(".", 1)[-1]
    if cls.name != module:
        raise ValueError(f"strategy {cls.name!r} must live in strategies/{cls.name}.py, not {module}.py")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"strategy name {cls.name!r} registered twice")
    _REGISTRY[cls.name] = cls
    return cls


def available_strategies() -> list[str]:
    """Every strategy module's name (imports nothing)."""
    return sorted(m.name for m in pkgutil.iter_modules(strategies.__path__) if not m.name.startswith("_"))


def get_strategy_class(name: str) -> type[Strategy]:
    if name not in _REGISTRY:
        if not isinstance(name, str) or not NAME.match(name) or name not in available_strategies():
            raise KeyError(f"unknown strategy {name!r}; known: {', '.join(available_strategies())}")
        importlib.import_module(f"{strategies.__name__}.{name}")
        if name not in _REGISTRY:
            raise KeyError(f"module strategies/{name}.py registers no strategy named {name!r}")
    return _REGISTRY[name]
