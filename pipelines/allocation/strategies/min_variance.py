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

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from pipelines.allocation.base import Allocation, AllocationContext
from pipelines.allocation.constraints import BoundsParams, bounded_weights, check_bounds
from pipelines.allocation.inputs import ReturnWindow, WindowedStrategy, WindowParams, with_cash
from pipelines.allocation.registry import register
from pipelines.allocation.solvers.mean_variance import min_variance_weights

if TYPE_CHECKING:
    from pipelines.config import Universe


class MinVarianceParams(WindowParams, BoundsParams):
    pass


@register
class MinVariance(WindowedStrategy):
    name = "min_variance"
    Params = MinVarianceParams
    params: MinVarianceParams

    @classmethod
    def resolve_universe(cls, params: MinVarianceParams, given: Sequence[str] | None,
                         universe: Universe) -> list[str]:
        symbols = super().resolve_universe(params, given, universe)
        check_bounds(params, symbols, universe.asset_classes)
        return symbols

    def from_window(self, ctx: AllocationContext, win: ReturnWindow, symbols: list[str]) -> Allocation:
        return bounded_weights(
            self, ctx, win, symbols,
            lambda cov, cons: with_cash(pd.Series(min_variance_weights(cov, cons), index=win.symbols), ctx))
