"""Inverse volatility: weights proportional to 1 / sigma_i over the trailing window.

Volatility is the square root of the diagonal of the chosen covariance estimator (sample,
ewma, ledoit_wolf). Ignores correlations (that is what risk_parity and hrp add). Assets without
enough history get zero weight; with none eligible the `fallback` applies (see `inputs`).

Example portfolio params:

    strategy: inverse_vol
    universe: [SPX, UST10Y, WTI]
    params: {window_days: 63, min_history_days: 42, covariance: ewma, halflife_days: 21}
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.allocation.base import Allocation, AllocationContext
from pipelines.allocation.inputs import ReturnWindow, WindowedStrategy, WindowParams, with_cash
from pipelines.allocation.registry import register


@register
class InverseVol(WindowedStrategy):
    name = "inverse_vol"
    Params = WindowParams
    params: WindowParams

    def from_window(self, ctx: AllocationContext, win: ReturnWindow, symbols: list[str]) -> Allocation:
        vol = np.sqrt(np.diag(self.covariance(ctx, win)))
        inv = 1.0 / vol
        return with_cash(pd.Series(inv / inv.sum(), index=win.symbols), ctx)
