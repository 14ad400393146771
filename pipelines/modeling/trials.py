"""The hyper-parameter trials the model registry recorded, counted for the deflated Sharpe ratio.

Every refit stores the configurations it tried (`meta["trials"]`, each with an `id`); a
configuration tried at several refits is one strategy variant, so it counts once per model
name. A model that records no trials (fixed hyper-parameters) counts as one configuration.
Only versions trained by the date count: a registry that also holds later refits must not
change the evidence for an earlier date.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from models.registry import Registry


def recorded_trials(models_dir: Path, as_of: dt.date) -> dict[str, int]:
    """Distinct hyper-parameter configurations per model name, over versions trained by `as_of`."""
    registry = Registry(models_dir)
    out: dict[str, int] = {}
    for name in registry.names():
        records = [r for r in registry.records(name) if r.trained_through <= as_of]
        if not records:
            continue
        ids = {str(t["id"]) for r in records for t in r.meta.get("trials") or []}
        out[name] = max(len(ids), 1)
    return out
