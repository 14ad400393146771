"""Hierarchical risk parity (Lopez de Prado): cluster on correlation distance, order assets
by the dendrogram, split weight by recursive bisection in inverse proportion to cluster
variance (`solvers.hrp`). Needs no matrix inversion, so a singular covariance is fine.

`linkage` is scipy's method (single as in the paper, ward, average, complete);
`optimal_ordering: true` reorders leaves with scipy's optimal leaf ordering (skfolio's default).
Assets without enough history get zero weight; with none eligible the `fallback` applies.

Example portfolio params:

    strategy: hrp
    universe: [AAPL, AMD, BAC, BBY, CVX, GE, HD, JNJ, JPM, KO, LLY, MRK, MSFT, PEP, PFE, PG, RRC, UNH, WMT, XOM]
    params: {linkage: ward, covariance: ledoit_wolf, window_days: 252}
"""

from __future__ import annotations

import pandas as pd

from pipelines.allocation.base import AllocationContext, Strategy
from pipelines.allocation.covariance import estimate_covariance
from pipelines.allocation.inputs import (WindowParams, fallback_weights, return_window,
                                         risky_symbols, with_cash)
from pipelines.allocation.registry import register
from pipelines.allocation.solvers.hrp import Linkage, hrp_weights


class HRPParams(WindowParams):
    linkage: Linkage = "single"
    optimal_ordering: bool = False


@register
class HierarchicalRiskParity(Strategy):
    name = "hrp"
    Params = HRPParams
    params: HRPParams

    @property
    def lookback_days(self) -> int:
        return self.params.window_days + 1

    def weights(self, ctx: AllocationContext) -> pd.Series:
        p = self.params
        symbols = risky_symbols(ctx)
        win = return_window(ctx, symbols, p.window_days, p.min_history_days)
        if not win.symbols:
            return fallback_weights(ctx, symbols, p.fallback, self.name,
                                    f"no asset has {p.min_history_days} returns in the window")
        cov = estimate_covariance(win.returns, p.covariance, p.halflife_days,
                                  symbols=win.symbols, date=ctx.date)
        w = hrp_weights(cov, p.linkage, p.optimal_ordering)
        return with_cash(pd.Series(w, index=win.symbols), ctx)
