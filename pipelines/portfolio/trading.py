"""Turn current holdings and target weights into trades.

Convention: trades fill at the close of the decision date. Target values are set on the NAV
net of the costs of the trades themselves (solved by fixed-point iteration), so an all-invested
target leaves cash at zero rather than negative. Without leverage, buys are scaled down if
cash would still go below the buffer. Whole-unit portfolios round every target toward zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.config import CostModel
from pipelines.portfolio.costs import trade_costs


@dataclass(frozen=True)
class Rebalance:
    delta: np.ndarray      # signed quantity traded per symbol
    cost: np.ndarray       # cost per ticket
    quantities: np.ndarray  # holdings after the trades
    cash: float            # cash after the trades and their costs


def rebalance_to_target(quantities: np.ndarray, cash: float, prices: np.ndarray, weights: np.ndarray,
                        rates: np.ndarray, costs: CostModel, *, fractional: bool = True,
                        allow_leverage: bool = False, cash_buffer: float = 0.0) -> Rebalance:
    """weights: risky target weights aligned with `prices` (cash is the remainder)."""
    weights = np.asarray(weights, dtype=float)
    risky = weights.sum()
    if risky > 1 - cash_buffer and risky > 0:
        weights = weights * (1 - cash_buffer) / risky
    nav = cash + float(quantities @ prices)
    if nav <= 0:
        raise ValueError(f"cannot rebalance a portfolio with non-positive NAV {nav:.2f}")
    total_cost = 0.0
    for _ in range(8):
        target = weights * (nav - total_cost) / prices
        if not fractional:
            target = np.floor(target + 1e-9)
        delta = target - quantities
        cost = trade_costs(delta * prices, rates, costs)
        new_total = float(cost.sum())
        if abs(new_total - total_cost) <= 1e-12 * nav:
            break
        total_cost = new_total
    new_cash = cash - float(delta @ prices) - float(cost.sum())
    floor_cash = cash_buffer * nav if not allow_leverage else -np.inf
    if new_cash < floor_cash - 1e-9 * nav:
        delta, cost, new_cash = _scale_buys(quantities, cash, prices, delta, rates, costs,
                                            fractional, floor_cash)
    if not allow_leverage and -1e-9 * nav < new_cash < 0:
        new_cash = 0.0  # float dust of an all-invested target
    return Rebalance(delta=delta, cost=cost, quantities=quantities + delta, cash=new_cash)


def _scale_buys(quantities, cash, prices, delta, rates, costs, fractional, floor_cash):
    buys = delta > 0
    sells_delta = np.where(buys, 0.0, delta)
    sell_cost = trade_costs(sells_delta * prices, rates, costs)
    available = cash - float(sells_delta @ prices) - float(sell_cost.sum()) - floor_cash
    lo, hi = 0.0, 1.0
    for _ in range(60):  # bisection on the share of the buys that cash can fund
        mid = (lo + hi) / 2
        d = np.where(buys, delta * mid, 0.0)
        if not fractional:
            d = np.floor(d + 1e-9)
        need = float((d * prices).sum()) + float(trade_costs(d * prices, rates, costs).sum())
        lo, hi = (mid, hi) if need <= available else (lo, mid)
    d = np.where(buys, delta * lo, 0.0)
    if not fractional:
        d = np.floor(d + 1e-9)
    new_delta = sells_delta + d
    cost = trade_costs(new_delta * prices, rates, costs)
    new_cash = cash - float(new_delta @ prices) - float(cost.sum())
    return new_delta, cost, new_cash
