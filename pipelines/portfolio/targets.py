"""Target weights as the engine uses them: bounded, and precomputed for price-only strategies.

Static mix and equal weight depend only on which symbols have a price, so their targets at
every rebalance date are computed in one numpy expression instead of one strategy call per date
(tests check they equal the strategies' own `target_weights`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipelines.allocation.base import AllocationError

PRICE_ONLY = frozenset({"static_mix", "equal_weight"})


def precomputed_weights(strategy: str, params, symbols: Sequence[str], prices: np.ndarray) -> np.ndarray:
    """(m, N) risky target weights at m dates from the (m, N) prices of those dates."""
    finite = np.isfinite(prices)
    if strategy == "static_mix":
        w = np.array([params.weights.get(s, 0.0) for s in symbols], dtype=float)
        out = np.broadcast_to(w, prices.shape).copy()
        if np.any((out > 0) & ~finite):
            raise AllocationError("static_mix: target weight on a symbol without a price")
        return out
    if strategy == "equal_weight":
        n = finite.sum(axis=1, keepdims=True)
        if np.any(n == 0):
            raise AllocationError("equal_weight: no symbol has a price")
        return np.where(finite, 1.0 / np.maximum(n, 1), 0.0)
    raise KeyError(f"no precomputed weights for strategy {strategy!r}")


def apply_bounds(w: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Clip each held weight into [lo, hi]; what is cut goes to cash (documented convention)."""
    if lo == 0.0 and hi >= 1.0:
        return w
    return np.where(w > 0, np.clip(w, lo, hi), 0.0)
