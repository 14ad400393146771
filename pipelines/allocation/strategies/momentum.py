"""Cross-asset momentum with top-k selection (12-1 month by default).

Momentum of asset i on D is its return from D - window_days to D - skip_days trading days
(252 / 21: the 12-month return skipping the most recent month). The `top_k` highest are held
at 1 / top_k each (ties: universe order). With `absolute_momentum: true` (dual momentum) a
selected asset whose momentum does not beat the cash symbol's return over the same span gives
its slot to the safe asset. Assets without both prices are not ranked; slots left empty go to
the safe asset (default cash). The safe asset is never ranked.

Example portfolio params:

    strategy: momentum
    universe: [SPX, UST2Y, UST10Y, WTI, AAPL, JNJ, KO, XOM]
    params: {window_days: 252, skip_days: 21, top_k: 3, absolute_momentum: true, safe_asset: UST2Y}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from pipelines.allocation.base import Allocation, AllocationContext, Needs, Strategy, StrategyParams
from pipelines.allocation.inputs import with_cash
from pipelines.allocation.registry import register

if TYPE_CHECKING:
    from pipelines.config import Universe


class MomentumParams(StrategyParams):
    window_days: int = Field(252, ge=2, le=2520, description="start of the momentum span, days ago")
    skip_days: int = Field(21, ge=0, description="end of the span, days ago (skip the last month)")
    top_k: int = Field(3, ge=1)
    absolute_momentum: bool = False
    safe_asset: str | None = None

    @model_validator(mode="after")
    def _span(self) -> MomentumParams:
        if self.skip_days >= self.window_days:
            raise ValueError(f"skip_days ({self.skip_days}) must be below window_days ({self.window_days})")
        return self


def momentum_scores(prices: np.ndarray, window_days: int, skip_days: int) -> np.ndarray:
    """(n_assets,) P[D - skip] / P[D - window] - 1 from (n_dates, n_assets) prices ending at D;
    NaN where either price is missing or the history is shorter than window_days + 1 rows."""
    if len(prices) < window_days + 1:
        return np.full(prices.shape[1], np.nan)
    start, end = prices[-1 - window_days], prices[-1 - skip_days]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((start > 0) & np.isfinite(end), end / start - 1.0, np.nan)


@register
class Momentum(Strategy):
    name = "momentum"
    Params = MomentumParams
    params: MomentumParams

    @classmethod
    def resolve_universe(cls, params: MomentumParams, given: Sequence[str] | None,
                         universe: Universe) -> list[str]:
        symbols = super().resolve_universe(params, given, universe)
        cash = universe.cash_symbol
        if params.safe_asset is not None and params.safe_asset not in symbols and params.safe_asset != cash:
            raise ValueError(f"safe_asset {params.safe_asset!r} is not in the portfolio's universe")
        ranked = [s for s in symbols if s != params.safe_asset]
        if params.top_k > len(ranked):
            raise ValueError(f"top_k ({params.top_k}) exceeds the {len(ranked)} ranked symbols")
        return symbols

    @property
    def needs(self) -> Needs:
        return Needs(lookback=self.params.window_days + 1)

    def allocate(self, ctx: AllocationContext) -> Allocation:
        p = self.params
        safe = p.safe_asset or ctx.cash_symbol
        ranked = [s for s in ctx.symbols if s not in (safe, ctx.cash_symbol)]
        prices = ctx.prices.reindex(columns=[*ranked, ctx.cash_symbol]).to_numpy(dtype=float)
        score = momentum_scores(prices, p.window_days, p.skip_days)
        mom, hurdle = score[:-1], score[-1]
        valid = np.flatnonzero(np.isfinite(mom))
        order = valid[np.argsort(-mom[valid], kind="stable")][: p.top_k]
        if p.absolute_momentum:
            bar = hurdle if np.isfinite(hurdle) else 0.0
            order = order[mom[order] > bar]
        w = pd.Series(1.0 / p.top_k, index=[ranked[i] for i in order], dtype=float)
        left = 1.0 - len(order) / p.top_k
        if left > 0:
            w[safe] = w.get(safe, 0.0) + left
        return with_cash(w, ctx)
