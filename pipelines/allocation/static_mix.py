"""Fixed weights (60/40, 80/20, all-weather style mixes), restored on every rebalance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd
from pydantic import field_validator

from pipelines.allocation.base import AllocationContext, Strategy, StrategyParams
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
class StaticMix(Strategy):
    name = "static_mix"
    Params = StaticMixParams
    params: StaticMixParams

    @classmethod
    def default_universe(cls, params: StaticMixParams, universe: "Universe") -> list[str]:
        return [s for s in params.weights if s != universe.cash_symbol]

    @classmethod
    def check_universe(cls, params: StaticMixParams, symbols: Sequence[str],
                       universe: "Universe") -> None:
        missing = [s for s in params.weights if s not in symbols and s != universe.cash_symbol]
        if missing:
            raise ValueError(f"weights name symbols outside the portfolio's universe: {missing}")

    def weights(self, ctx: AllocationContext) -> pd.Series:
        return pd.Series(self.params.weights, dtype=float)
