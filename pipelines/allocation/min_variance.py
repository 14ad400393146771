"""Minimum variance: the fully invested long-only portfolio of least variance, within weight
bounds and asset-class group bounds (`constraints`), solved as a QP by the interior point
solver in `solvers.qp`. A singular covariance is fine (the problem stays convex). Assets without
enough history are left out; if none is eligible or the rest cannot meet the bounds the
`fallback` applies (see `inputs`).

Example portfolio params:

    strategy: min_variance
    universe: [SPX, UST2Y, UST10Y, WTI, AAPL, JNJ, KO, XOM]
    params:
      covariance: ledoit_wolf
      window_days: 252
      weight_bounds: [0.0, 0.4]
      group_bounds: {government_bonds: [0.2, 0.6], equity: [0.2, 0.8]}
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.allocation.base import AllocationContext
from pipelines.allocation.constraints import BoundedWindowStrategy, BoundsParams
from pipelines.allocation.inputs import ReturnWindow, WindowParams, with_cash
from pipelines.allocation.registry import register
from pipelines.allocation.solvers.mean_variance import Constraints, min_variance_weights


class MinVarianceParams(WindowParams, BoundsParams):
    pass


@register
class MinVariance(BoundedWindowStrategy):
    name = "min_variance"
    Params = MinVarianceParams
    params: MinVarianceParams

    def bounded_weights(self, ctx: AllocationContext, win: ReturnWindow, cov: np.ndarray,
                        cons: Constraints) -> pd.Series:
        w = min_variance_weights(cov, cons)
        return with_cash(pd.Series(w, index=win.symbols), ctx)
