"""Weight bounds and asset-class group bounds for the mean-variance strategies.

`weight_bounds: [lo, hi]` applies to every eligible asset; `group_bounds: {asset_class: [lo, hi]}`
bounds the summed weight of the portfolio's assets of that class (classes from the universe).
Bounds are checked against the full universe when the config loads; if, on a date, the assets
left after the history filter cannot meet them, the strategy applies its `fallback`.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pydantic import field_validator

from pipelines.allocation.base import AllocationContext, StrategyParams
from pipelines.allocation.covariance import estimate_covariance
from pipelines.allocation.inputs import ReturnWindow, WindowedStrategy, fallback_weights
from pipelines.allocation.solvers.mean_variance import Constraints

if TYPE_CHECKING:
    from pipelines.config import Universe


def _check_pair(lo: float, hi: float, what: str) -> None:
    if not (0.0 <= lo <= hi <= 1.0):
        raise ValueError(f"{what} must satisfy 0 <= min <= max <= 1, got [{lo}, {hi}]")


class BoundsParams(StrategyParams):
    weight_bounds: tuple[float, float] = (0.0, 1.0)
    group_bounds: dict[str, tuple[float, float]] = {}

    @field_validator("weight_bounds")
    @classmethod
    def _weights(cls, v: tuple[float, float]) -> tuple[float, float]:
        _check_pair(*v, "weight_bounds")
        return v

    @field_validator("group_bounds")
    @classmethod
    def _groups(cls, v: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for k, pair in v.items():
            _check_pair(*pair, f"group_bounds.{k}")
        return v


def build_constraints(params: BoundsParams, symbols: Sequence[str],
                      asset_classes: Mapping[str, str]) -> Constraints:
    """Constraints over `symbols`; raises ValueError when they cannot be met."""
    n = len(symbols)
    classes = np.array([asset_classes.get(s, "") for s in symbols])
    groups = [(classes == k, lo, hi) for k, (lo, hi) in params.group_bounds.items()]
    cons = Constraints.box(n, *params.weight_bounds, groups=groups)
    cons.check_feasible()
    return cons


def check_bounds(params: BoundsParams, symbols: Sequence[str], asset_classes: Mapping[str, str]) -> None:
    """Load-time check: group keys are asset classes of the portfolio and bounds are feasible."""
    present = {asset_classes.get(s) for s in symbols}
    unknown = sorted(k for k in params.group_bounds if k not in present)
    if unknown:
        raise ValueError(f"group_bounds name asset classes the portfolio does not hold: {unknown}; "
                         f"held: {sorted(c for c in present if c)}")
    build_constraints(params, symbols, asset_classes)


class BoundedWindowStrategy(WindowedStrategy):
    """Covariance-based strategies with weight and asset-class bounds: the bounds are checked
    when the config loads, and the fallback applies when the eligible assets cannot meet them."""

    @classmethod
    def check_universe(cls, params: BoundsParams, symbols: Sequence[str], universe: Universe) -> None:
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
        return self.bounded_weights(ctx, win, cov, cons)

    @abstractmethod
    def bounded_weights(self, ctx: AllocationContext, win: ReturnWindow, cov: np.ndarray,
                        cons: Constraints) -> pd.Series:
        """Weights of the eligible assets (`win.symbols`) under the constraints."""
