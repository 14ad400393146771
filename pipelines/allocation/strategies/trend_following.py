"""Trend following (Faber-style timing): hold each asset's base weight while its trend is up,
move that weight to the safe asset (or cash) while it is down.

Signal for asset i on D: SMA_fast(D) > SMA_slow(D), where SMA_k is the mean of the last k
closes ending at D (`fast_days: 1` means the close itself: price above its `sma_days` moving
average). It switches on the first day the inequality holds and off on the first day it
fails (a price exactly on its average counts as out). An asset with fewer than `sma_days`
closes up to D has no signal yet and counts as out (documented fallback). The safe asset is
never filtered. Base weights default to equal weights over the portfolio's symbols other than
the safe asset; given, they must sum to one (the cash symbol may take a part).

Example portfolio params (10-month SMA ~ 210 trading days, out into 10y Treasuries):

    strategy: trend_following
    universe: [SPX, WTI, UST10Y]
    params: {sma_days: 210, safe_asset: UST10Y, base_weights: {SPX: 0.6, WTI: 0.1, UST10Y: 0.3}}
    # or equal weights, out into cash, on a 50/200-day moving-average cross:
    params: {sma_days: 200, fast_days: 50}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field, field_validator, model_validator

from pipelines.allocation.base import Allocation, AllocationContext, Needs, Strategy, StrategyParams
from pipelines.allocation.inputs import with_cash_parts
from pipelines.allocation.registry import register

if TYPE_CHECKING:
    from pipelines.config import Universe


class TrendFollowingParams(StrategyParams):
    sma_days: int = Field(210, ge=2, le=2520, description="slow moving average, trading days")
    fast_days: int = Field(1, ge=1, description="fast moving average; 1 = the close itself")
    safe_asset: str | None = Field(None, description="where weight goes when out; default cash")
    base_weights: dict[str, float] | None = None

    @field_validator("base_weights")
    @classmethod
    def _sum_to_one(cls, w: dict[str, float] | None) -> dict[str, float] | None:
        if w is not None:
            bad = {k: v for k, v in w.items() if not 0 <= v <= 1}
            if not w or bad:
                raise ValueError(f"base weights must be non-empty and lie in [0, 1]: {bad}")
            if abs(sum(w.values()) - 1) > 1e-9:
                raise ValueError(f"base weights must sum to 1, got {sum(w.values()):.6f}")
        return w

    @model_validator(mode="after")
    def _fast_below_slow(self) -> TrendFollowingParams:
        if self.fast_days >= self.sma_days:
            raise ValueError(f"fast_days ({self.fast_days}) must be below sma_days ({self.sma_days})")
        return self


def trend_signal(prices: np.ndarray, sma_days: int, fast_days: int = 1) -> np.ndarray:
    """(n_assets,) True where SMA_fast > SMA_slow on the last row of `prices` (n_dates, n_assets);
    False where fewer than `sma_days` finite closes end at the last row."""
    window = prices[-sma_days:]
    full = (len(window) == sma_days) & np.isfinite(window).all(axis=0)
    with np.errstate(invalid="ignore"):
        slow = window.mean(axis=0)
        fast = window[-fast_days:].mean(axis=0)
        return full & (fast > slow)


@register
class TrendFollowing(Strategy):
    name = "trend_following"
    Params = TrendFollowingParams
    params: TrendFollowingParams

    @classmethod
    def resolve_universe(cls, params: TrendFollowingParams, given: Sequence[str] | None,
                         universe: Universe) -> list[str]:
        symbols = list(given) if given is not None else cls._default_universe(params, universe)
        cls._check_universe(params, symbols, universe)
        return symbols

    @classmethod
    def _default_universe(cls, params: TrendFollowingParams, universe: Universe) -> list[str]:
        if params.base_weights is None:
            return super().resolve_universe(params, None, universe)
        syms = [s for s in params.base_weights if s != universe.cash_symbol]
        if params.safe_asset and params.safe_asset not in syms and params.safe_asset != universe.cash_symbol:
            syms.append(params.safe_asset)
        return syms

    @classmethod
    def _check_universe(cls, params: TrendFollowingParams, symbols: Sequence[str],
                        universe: Universe) -> None:
        cash = universe.cash_symbol
        if params.safe_asset is not None and params.safe_asset not in symbols and params.safe_asset != cash:
            raise ValueError(f"safe_asset {params.safe_asset!r} is not in the portfolio's universe")
        if params.base_weights is not None:
            outside = [s for s in params.base_weights if s not in symbols and s != cash]
            if outside:
                raise ValueError(f"base_weights name symbols outside the portfolio's universe: {outside}")
        elif [s for s in symbols if s != params.safe_asset] == []:
            raise ValueError("no asset to time: the universe holds only the safe asset")

    @property
    def needs(self) -> Needs:
        return Needs(lookback=self.params.sma_days)

    def _base(self, ctx: AllocationContext, safe: str) -> tuple[list[str], np.ndarray]:
        if self.params.base_weights is not None:
            return list(self.params.base_weights), np.array(list(self.params.base_weights.values()), dtype=float)
        timed = [s for s in ctx.symbols if s not in (safe, ctx.cash_symbol)]
        return timed, np.full(len(timed), 1.0 / len(timed))

    def allocate(self, ctx: AllocationContext) -> Allocation:
        p = self.params
        safe = p.safe_asset or ctx.cash_symbol
        labels, w = self._base(ctx, safe)
        timed_at = [i for i, s in enumerate(labels) if s not in (safe, ctx.cash_symbol)]
        cols = ctx.prices.columns.get_indexer([labels[i] for i in timed_at])
        all_prices = ctx.prices.to_numpy(dtype=float)
        prices = np.where(cols >= 0, all_prices[:, np.maximum(cols, 0)], np.nan) if len(cols) else \
            np.empty((len(all_prices), 0))
        on = trend_signal(prices, p.sma_days, p.fast_days)
        off_at = np.array(timed_at, dtype=np.intp)[~on]
        out = float(w[off_at].sum())
        w = w.copy()
        w[off_at] = 0.0
        if safe in labels:
            i = labels.index(safe)
            w[i] = w[i] + out
        else:
            labels, w = [*labels, safe], np.append(w, 0.0 + out)
        return Allocation(*with_cash_parts(labels, w, ctx.cash_symbol))
