"""Maximum Sharpe (tangency): the fully invested long-only portfolio maximising
(mu'w - rf) / sqrt(w' Sigma w) within weight and asset-class group bounds (`constraints`).

mu is the (plain or exponentially weighted) mean daily return over the window, Sigma the chosen
covariance estimator, rf either an annual rate (`risk_free_rate: 0.02`, used as rf / 252 per
day) or `cash`: the mean daily return of the cash symbol over the same window. Solved exactly
by the homogenised QP in `solvers.mean_variance`.

When no feasible portfolio has a positive expected excess return the tangency portfolio does
not exist; `no_positive_excess` then says what to hold: `cash` (default: the risk-free asset
dominates), `min_variance`, or `error`. Thin history is handled by `fallback` (see `inputs`).

Example portfolio params:

    strategy: max_sharpe
    universe: [SPX, UST2Y, UST10Y, WTI, AAPL, JNJ, KO, XOM]
    params:
      window_days: 504
      covariance: ledoit_wolf
      expected_returns: mean
      risk_free_rate: cash
      weight_bounds: [0.0, 0.35]
      group_bounds: {government_bonds: [0.2, 0.7]}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from pipelines.allocation.base import Allocation, AllocationContext, AllocationError
from pipelines.allocation.constraints import BoundsParams, bounded_weights, check_bounds
from pipelines.allocation.covariance import TRADING_DAYS, MeanMethod, estimate_mean
from pipelines.allocation.inputs import ReturnWindow, WindowedStrategy, WindowParams, with_cash
from pipelines.allocation.registry import register
from pipelines.allocation.solvers.mean_variance import (
    Constraints,
    NoTangencyError,
    max_sharpe_weights,
    min_variance_weights,
)

if TYPE_CHECKING:
    from pipelines.config import Universe


class MaxSharpeParams(WindowParams, BoundsParams):
    expected_returns: MeanMethod = "mean"
    risk_free_rate: float | Literal["cash"] = Field("cash", description="annual rate or 'cash'")
    no_positive_excess: Literal["cash", "min_variance", "error"] = "cash"


def daily_risk_free(ctx: AllocationContext, rate: float | str, window_days: int) -> float:
    """Daily risk-free rate: an annual rate / 252, or the cash symbol's mean daily return."""
    if rate != "cash":
        return float(rate) / TRADING_DAYS
    cash = ctx.prices[ctx.cash_symbol].to_numpy(dtype=float)[-(window_days + 1):]
    r = cash[1:] / cash[:-1] - 1.0
    r = r[np.isfinite(r)]
    return float(r.mean()) if len(r) else 0.0


@register
class MaxSharpe(WindowedStrategy):
    name = "max_sharpe"
    Params = MaxSharpeParams
    params: MaxSharpeParams

    @classmethod
    def resolve_universe(cls, params: MaxSharpeParams, given: Sequence[str] | None,
                         universe: Universe) -> list[str]:
        symbols = super().resolve_universe(params, given, universe)
        check_bounds(params, symbols, universe.asset_classes)
        return symbols

    def from_window(self, ctx: AllocationContext, win: ReturnWindow, symbols: list[str]) -> Allocation:
        return bounded_weights(self, ctx, win, symbols, lambda cov, cons: self._solve(ctx, win, cov, cons))

    def _solve(self, ctx: AllocationContext, win: ReturnWindow, cov: np.ndarray,
               cons: Constraints) -> Allocation:
        p = self.params
        mu = estimate_mean(win.returns, p.expected_returns, p.halflife_days)
        rf = daily_risk_free(ctx, p.risk_free_rate, p.window_days)
        try:
            w = max_sharpe_weights(mu, cov, rf, cons)
        except NoTangencyError as exc:
            if p.no_positive_excess == "error":
                raise AllocationError(f"{self.name}: {exc} on {ctx.date.date()}") from exc
            if p.no_positive_excess == "cash":
                return Allocation([ctx.cash_symbol], np.array([1.0]))
            w = min_variance_weights(cov, cons)
        return with_cash(pd.Series(w, index=win.symbols), ctx)
