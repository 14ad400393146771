"""Risk parity: long-only weights whose risk contributions match budgets (equal by default).

Risk contribution of asset i is w_i (Sigma w)_i / w' Sigma w, on a covariance estimated over the
trailing window (sample, exponentially weighted or Ledoit-Wolf; see `covariance`). Solved by
Newton's method on the convex formulation (`solvers.risk_parity`). Assets without enough
history are left out and the budgets renormalised over the rest; with none eligible the
`fallback` applies (see `inputs`).

Example portfolio params (config/portfolios.yaml):

    strategy: risk_parity
    universe: [SPX, UST10Y, WTI]
    params: {covariance: ledoit_wolf, window_days: 252, min_history_days: 126}
    # general risk budgets, one per symbol (normalised to sum to one):
    params: {budgets: {SPX: 0.5, UST10Y: 0.3, WTI: 0.2}, covariance: ewma, halflife_days: 63}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pydantic import field_validator

from pipelines.allocation.base import Allocation, AllocationContext, AllocationError
from pipelines.allocation.inputs import ReturnWindow, WindowedStrategy, WindowParams, with_cash
from pipelines.allocation.registry import register
from pipelines.allocation.solvers.risk_parity import risk_budget_weights

if TYPE_CHECKING:
    from pipelines.config import Universe


class RiskParityParams(WindowParams):
    budgets: dict[str, float] | None = None

    @field_validator("budgets")
    @classmethod
    def _positive(cls, b: dict[str, float] | None) -> dict[str, float] | None:
        if b is not None:
            if not b:
                raise ValueError("give at least one budget or leave budgets out for equal risk")
            bad = {k: v for k, v in b.items() if not (v > 0 and np.isfinite(v))}
            if bad:
                raise ValueError(f"budgets must be positive: {bad}")
        return b


@register
class RiskParity(WindowedStrategy):
    name = "risk_parity"
    Params = RiskParityParams
    params: RiskParityParams

    @classmethod
    def resolve_universe(cls, params: RiskParityParams, given: Sequence[str] | None,
                         universe: Universe) -> list[str]:
        if given is None:
            return list(params.budgets) if params.budgets else super().resolve_universe(params, None, universe)
        symbols = list(given)
        if params.budgets is None:
            return symbols
        outside = [s for s in params.budgets if s not in symbols]
        missing = [s for s in symbols if s not in params.budgets]
        if outside or missing:
            raise ValueError(f"budgets must name exactly the portfolio's symbols: outside {outside}, "
                             f"missing {missing}")
        return symbols

    def from_window(self, ctx: AllocationContext, win: ReturnWindow, symbols: list[str]) -> Allocation:
        p = self.params
        cov = self.covariance(ctx, win)
        budgets = None if p.budgets is None else np.array([p.budgets[s] for s in win.symbols])
        try:
            w = risk_budget_weights(cov, budgets)
        except ValueError as exc:
            raise AllocationError(f"{self.name}: {exc} on {ctx.date.date()}") from exc
        return with_cash(pd.Series(w, index=win.symbols), ctx)
