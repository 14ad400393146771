"""Fixed weights (60/40, 80/20, all-weather style mixes), restored on every rebalance.

The weights name the portfolio's symbols (the cash symbol may take a part) and sum to one;
the portfolio's `rebalance` rule (calendar and/or drift bands) says when they are restored.

Example portfolio params (config/portfolios.yaml):

    strategy: static_mix
    params: {weights: {SPX: 0.6, UST10Y: 0.4}}            # 60/40
    params: {weights: {SPX: 0.8, UST10Y: 0.2}}            # 80/20
    params: {weights: {SPX: 0.4, UST10Y: 0.6}}            # 40/60
    # all-weather style (Dalio's published mix approximated with the bundled series:
    # 30% equity, 40% long and 15% intermediate Treasuries, 15% commodities):
    params: {weights: {SPX: 0.30, UST10Y: 0.40, UST5Y: 0.15, WTI: 0.15}}
    # permanent-portfolio style, cash explicit:
    params: {weights: {SPX: 0.25, UST10Y: 0.25, WTI: 0.25, CASH: 0.25}}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from pydantic import field_validator

from pipelines.allocation.base import AllocationError, PriceOnlyStrategy, StrategyParams
from pipelines.allocation.registry import register

if TYPE_CHECKING:
    from pipelines.config import Universe


class StaticMixParams(StrategyParams):
    weights: dict[str, float]

    @field_validator("weights")
    @classmethod
    def _valid(cls, w: dict[str, float]) -> dict[str, float]:
        if not w:
            raise ValueError("at least one weight is required")
        bad = {k: v for k, v in w.items() if not 0 <= v <= 1}
        if bad:
            raise ValueError(f"weights must lie in [0, 1]: {bad}")
        total = sum(w.values())
        if abs(total - 1) > 1e-9:
            raise ValueError(f"weights must sum to 1 (cash included), got {total:.6f}")
        return w


@register
class StaticMix(PriceOnlyStrategy):
    name = "static_mix"
    Params = StaticMixParams
    params: StaticMixParams

    @classmethod
    def resolve_universe(cls, params: StaticMixParams, given: Sequence[str] | None,
                         universe: Universe) -> list[str]:
        if given is None:
            return [s for s in params.weights if s != universe.cash_symbol]
        missing = [s for s in params.weights if s not in given and s != universe.cash_symbol]
        if missing:
            raise ValueError(f"weights name symbols outside the portfolio's universe: {missing}")
        return list(given)

    def constant_weights(self, symbols: Sequence[str]) -> np.ndarray:
        return np.array([self.params.weights.get(s, 0.0) for s in symbols], dtype=float)

    def price_weights(self, symbols: Sequence[str], prices: np.ndarray) -> np.ndarray:
        out = np.broadcast_to(self.constant_weights(symbols), prices.shape).copy()
        if np.any((out > 0) & ~np.isfinite(prices)):
            raise AllocationError("static_mix: target weight on a symbol without a price")
        return out
