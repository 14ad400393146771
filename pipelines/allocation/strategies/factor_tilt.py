"""Factor tilt: maximise the portfolio's exposure to chosen factors within a risk budget.

At date D the time-series factor model (models.factor_model: 60 monthly returns, factors known
at D) gives each asset's exposures B and the factor-model covariance S = B F B' + D. The
strategy solves

    maximise  sum_k tilt_k (B'w)_k
    s.t.      sum w = 1,  min_weight <= w_i <= max_weight,
              (w - b)' S (w - b) <= TE^2   (budget: tracking_error, b = equal weight), or
              w' S w <= vol^2              (budget: volatility)

through a bisection on the risk aversion of a QP (see `tilt_weights`). Before the model has
`min_months` of history the weights are the benchmark
(equal weight). Rows record the factor model version (its last month and window).

Example portfolio params:

    strategy: factor_tilt
    universe: [AAPL, AMD, ..., XOM]
    params: {tilts: {MOM: 1.0, LOWVOL: 1.0}, budget: tracking_error, budget_annual: 0.04,
             max_weight: 0.15}
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from pipelines.allocation.base import Allocation, AllocationContext, Needs, Strategy, StrategyParams
from pipelines.allocation.inputs import risky_symbols, with_cash
from pipelines.allocation.registry import register
from pipelines.allocation.solvers.qp import solve_qp

FACTOR_NAMES = ("MKT", "SMB", "HML", "TERM", "CREDIT", "INFL", "OIL", "MOM", "LOWVOL", "REV")


class FactorTiltParams(StrategyParams):
    tilts: dict[str, float]
    model_factors: tuple[str, ...] = FACTOR_NAMES
    window_months: int = Field(60, ge=12, le=240)
    min_months: int = Field(36, ge=12)
    budget: Literal["tracking_error", "volatility"] = "tracking_error"
    budget_annual: float = Field(0.04, gt=0, le=1)
    min_weight: float = Field(0.0, ge=0, lt=1)
    max_weight: float = Field(0.15, gt=0, le=1)

    @field_validator("tilts")
    @classmethod
    def _tilts(cls, v: dict[str, float]) -> dict[str, float]:
        if not v:
            raise ValueError("at least one factor tilt is required")
        unknown = sorted(set(v) - set(FACTOR_NAMES))
        if unknown:
            raise ValueError(f"unknown factors {unknown}; known: {list(FACTOR_NAMES)}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> FactorTiltParams:
        missing = sorted(set(self.tilts) - set(self.model_factors))
        if missing:
            raise ValueError(f"tilted factors {missing} are not in model_factors")
        if self.min_months > self.window_months:
            raise ValueError("min_months exceeds window_months")
        if self.min_weight > self.max_weight:
            raise ValueError("min_weight exceeds max_weight")
        return self


def tilt_weights(score: np.ndarray, cov: np.ndarray, bench: np.ndarray, budget_var: float,
                 lo: float, hi: float, tracking: bool) -> np.ndarray:
    """Solve the tilt problem above (monthly covariance and budget variance).

    The risk-budgeted linear objective is solved through its Lagrangian: for a risk aversion
    lam, minimise lam/2 (w-c)'S(w-c) - score'w under the linear constraints (a QP, solved by
    solvers.qp); risk falls as lam grows, so a bisection on log(lam) finds the largest score
    within the budget. When even the least risky portfolio breaks the budget, that one is used.
    """
    n = len(score)
    centre = bench if tracking else np.zeros(n)
    S = cov / budget_var
    s = score / max(float(np.abs(score).max()), 1e-12)
    A, b = np.ones((1, n)), np.ones(1)
    G = np.vstack([np.eye(n), -np.eye(n)])
    h = np.concatenate([np.full(n, hi), np.full(n, -lo)])

    def solve(log_lam: float) -> tuple[np.ndarray, float]:
        lam = 10.0 ** log_lam
        w = solve_qp(lam * S, -s - lam * S @ centre, A, b, G, h).x
        d = w - centre
        return w, float(d @ S @ d)

    lo_l, hi_l = -3.0, 6.0
    w_hi, r_hi = solve(hi_l)
    if r_hi > 1.0:
        return w_hi
    w_lo, r_lo = solve(lo_l)
    if r_lo <= 1.0:
        return w_lo
    for _ in range(16):
        mid = (lo_l + hi_l) / 2
        w_mid, r_mid = solve(mid)
        if r_mid <= 1.0:
            hi_l, w_hi = mid, w_mid
        else:
            lo_l = mid
    return w_hi


@register
class FactorTilt(Strategy):
    name = "factor_tilt"
    Params = FactorTiltParams
    params: FactorTiltParams

    @property
    def needs(self) -> Needs:
        return Needs(models=True)

    def allocate(self, ctx: AllocationContext) -> Allocation:
        p = self.params
        symbols = risky_symbols(ctx)
        live = [s for s in symbols if np.isfinite(ctx.prices[s].iloc[-1])]
        out = ctx.require_models(self.name).factor_fit(live, p.model_factors, p.window_months, p.min_months)
        fit = out.value
        bench_all = pd.Series(1.0 / len(live), index=live)
        if fit is None or len(fit.assets) < 2:
            return with_cash(bench_all, ctx)
        assets = fit.assets
        tilt = np.array([p.tilts.get(f, 0.0) for f in fit.factors])
        score = fit.exposures.to_numpy() @ tilt
        cov = fit.covariance(assets).to_numpy()
        lo, hi = p.min_weight, max(p.max_weight, 1.0 / len(assets))
        bench = np.full(len(assets), 1.0 / len(assets))
        w = tilt_weights(score, cov, bench, p.budget_annual ** 2 / 12.0, lo, hi,
                         p.budget == "tracking_error")
        return with_cash(pd.Series(w, index=assets), ctx, out.version)
