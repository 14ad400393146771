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

from pipelines.allocation.base import AllocationContext
from pipelines.allocation.constraints import BoundsParams, build_constraints, check_bounds
from pipelines.allocation.covariance import estimate_covariance
from pipelines.allocation.inputs import (ReturnWindow, WindowParams, WindowedStrategy,
                                         fallback_weights, with_cash)
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
    def check_universe(cls, params: MinVarianceParams, symbols: Sequence[str],
                       universe: "Universe") -> None:
        check_bounds(params, symbols, universe.asset_classes)

    def window_weights(self, ctx: AllocationContext, win: ReturnWindow, symbols: list[str]) -> pd.Series:
        p = self.params
        try:
            cons = build_constraints(p, win.symbols, ctx.asset_classes)
        except ValueError as exc:
            return fallback_weights(ctx, symbols, p.fallback, self.name,
                                    f"eligible assets {win.symbols} cannot meet the bounds: {exc}")
        cov = estimate_covariance(win.returns, p.covariance, p.halflife_days,
                                  symbols=win.symbols, date=ctx.date)
        w = min_variance_weights(cov, cons)
        return with_cash(pd.Series(w, index=win.symbols), ctx)
