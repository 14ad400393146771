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

from pipelines.allocation.base import Allocation, AllocationContext
from pipelines.allocation.inputs import ReturnWindow, WindowedStrategy, WindowParams, with_cash
from pipelines.allocation.registry import register
from pipelines.allocation.solvers.hrp import Linkage, hrp_weights


class HRPParams(WindowParams):
    linkage: Linkage = "single"
    optimal_ordering: bool = False


@register
class HierarchicalRiskParity(WindowedStrategy):
    name = "hrp"
    Params = HRPParams
    params: HRPParams

    def from_window(self, ctx: AllocationContext, win: ReturnWindow, symbols: list[str]) -> Allocation:
        p = self.params
        w = hrp_weights(self.covariance(ctx, win), p.linkage, p.optimal_ordering)
        return with_cash(pd.Series(w, index=win.symbols), ctx)
