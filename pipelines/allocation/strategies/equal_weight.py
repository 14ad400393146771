"""1/N over the portfolio's symbols that have a price on the date.

Example portfolio params (none needed; the universe says what is held):

    strategy: equal_weight
    universe: [AAPL, AMD, BAC, BBY, CVX, GE, HD, JNJ, JPM, KO]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipelines.allocation.base import AllocationError, PriceOnlyStrategy
from pipelines.allocation.registry import register


@register
class EqualWeight(PriceOnlyStrategy):
    name = "equal_weight"

    def price_weights(self, symbols: Sequence[str], prices: np.ndarray) -> np.ndarray:
        finite = np.isfinite(prices)
        n = finite.sum(axis=1, keepdims=True)
        if np.any(n == 0):
            raise AllocationError("equal_weight: no symbol has a price")
        return np.where(finite, 1.0 / np.maximum(n, 1), 0.0)
