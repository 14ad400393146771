"""Weight bounds and asset-class group bounds for the mean-variance strategies.

`weight_bounds: [lo, hi]` applies to every eligible asset; `group_bounds: {asset_class: [lo, hi]}`
bounds the summed weight of the portfolio's assets of that class (classes from the universe).
Bounds are checked against the full universe when the config loads; if, on a date, the assets
left after the history filter cannot meet them, the strategy applies its `fallback`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from pydantic import field_validator

from pipelines.allocation.base import Allocation, AllocationContext, StrategyParams
from pipelines.allocation.inputs import ReturnWindow, WindowedStrategy, fallback_weights
from pipelines.allocation.solvers.mean_variance import Constraints


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


def bounded_weights(strategy: WindowedStrategy, ctx: AllocationContext, win: ReturnWindow,
                    symbols: list[str],
                    solve: Callable[[np.ndarray, Constraints], Allocation]) -> Allocation:
    """Covariance-based weights under weight and asset-class bounds: `solve(cov, constraints)`
    over the eligible assets, or the strategy's fallback when they cannot meet the bounds."""
    p = strategy.params
    try:
        cons = build_constraints(p, win.symbols, ctx.asset_classes)
    except ValueError as exc:
        return fallback_weights(ctx, symbols, p.fallback, strategy.name,
                                f"eligible assets {win.symbols} cannot meet the bounds: {exc}")
    return solve(strategy.covariance(ctx, win), cons)
