"""Turn current holdings and target weights into trades, for a batch of portfolios at once.

Fill convention (trades fill at the close of the decision date, at the close price):
- "net" (default): target values are set on the NAV net of the costs of the trades themselves
  (a fixed point, solved per portfolio), so an all-invested target leaves cash at zero.
- "bt": bt's convention. Each ticket's cash flow, cost included, equals the change in value
  the target asks for (w_i * NAV - value_i): a buy of amount A fills q with q*p + cost = A,
  a sell raises |A| net of its cost. Costs therefore come out of the position, not the cash.
Without leverage, buys are scaled down (bisection) if cash would go below the buffer; whole-unit
portfolios round every target toward zero; tickets below the minimum trade size are dropped.
Rows are independent: a portfolio's result never depends on what else is in the batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.config import CostModel
from pipelines.portfolio.costs import CostArrays, ticket_costs


@dataclass(frozen=True)
class Rebalance:
    delta: np.ndarray       # signed quantity traded per symbol
    cost: np.ndarray        # cost per ticket
    quantities: np.ndarray  # holdings after the trades
    cash: np.ndarray | float  # cash after the trades and their costs


@dataclass(frozen=True)
class TradeSpec:
    """Per-portfolio trading flags of a batch, each shaped (K,)."""

    fractional: np.ndarray
    allow_leverage: np.ndarray
    cash_buffer: np.ndarray
    min_trade_value: np.ndarray
    min_trade_weight: np.ndarray
    convention: str = "net"

    def rows(self, mask: np.ndarray) -> TradeSpec:
        return TradeSpec(self.fractional[mask], self.allow_leverage[mask], self.cash_buffer[mask],
                         self.min_trade_value[mask], self.min_trade_weight[mask], self.convention)


def _round(target: np.ndarray, fractional: np.ndarray) -> np.ndarray:
    return np.where(fractional[:, None], target, np.floor(target + 1e-9))


def _net_fill(q, cash, p, w, nav, costs: CostArrays, fractional, volume):
    K = len(nav)
    total = np.zeros(K)
    active = np.ones(K, dtype=bool)
    delta = np.zeros_like(q)
    cost = np.zeros_like(q)
    for _ in range(8):
        target = _round(w * (nav - total)[:, None] / p, fractional)
        d = target - q
        c = ticket_costs(d, p, costs, volume)
        new_total = c.sum(axis=1)
        delta = np.where(active[:, None], d, delta)
        cost = np.where(active[:, None], c, cost)
        done = np.abs(new_total - total) <= 1e-12 * nav
        total = np.where(active & ~done, new_total, total)
        active &= ~done
        if not active.any():
            break
    return delta, cost


def _bt_fill(q, cash, p, w, nav, costs: CostArrays, fractional, volume):
    amount = w * nav[:, None] - q * p
    closing = (w == 0) & (q != 0)
    sign = np.sign(amount)
    rate = costs.commission + costs.spread
    d = amount / (p * (1.0 + rate * sign))
    if costs.has_minimum:  # where the minimum binds: q*p*(1 + spread*sign) + min = amount
        floor_binds = (d != 0) & (np.abs(d) * p * costs.commission < costs.min_commission)
        d_min = (amount - costs.min_commission) / (p * (1.0 + costs.spread * sign))
        d = np.where(floor_binds, np.where(np.sign(d_min) == sign, d_min, 0.0), d)
    d = np.where(fractional[:, None], d, np.floor(d + 1e-9))
    d = np.where(closing, -q, d)
    cost = ticket_costs(d, p, costs, volume)
    return d, cost


def size_trades(q: np.ndarray, cash: np.ndarray, p: np.ndarray, weights: np.ndarray,
                costs: CostArrays, spec: TradeSpec, volume: np.ndarray | None = None) -> Rebalance:
    """Trades moving each portfolio to its risky target weights (cash is the remainder).

    q: (K, N) holdings; cash: (K,); p: (N,) or (K, N) prices (finite where held or targeted);
    weights: (K, N) risky targets. Returns (K, N) deltas and costs, new holdings and cash.
    """
    q = np.asarray(q, dtype=float)
    cash = np.asarray(cash, dtype=float)
    p = np.broadcast_to(np.asarray(p, dtype=float), q.shape)
    w = np.asarray(weights, dtype=float)
    risky = w.sum(axis=1)
    cap = 1.0 - spec.cash_buffer
    over = (risky > cap) & (risky > 0) & ~spec.allow_leverage
    w = np.where(over[:, None], w * (cap / np.where(over, risky, 1.0))[:, None], w)
    nav = cash + (q * p).sum(axis=1)
    if np.any(nav <= 0):
        raise ValueError(f"cannot rebalance a portfolio with non-positive NAV {nav.min():.2f}")
    fill = _bt_fill if spec.convention == "bt" else _net_fill
    delta, cost = fill(q, cash, p, w, nav, costs, spec.fractional, volume)
    floor_trade = np.maximum(spec.min_trade_value, spec.min_trade_weight * nav)
    if np.any(floor_trade > 0):
        small = (np.abs(delta) * p < floor_trade[:, None]) & (delta != 0)
        if small.any():
            delta = np.where(small, 0.0, delta)
            cost = ticket_costs(delta, p, costs, volume)
    new_cash = cash - (delta * p).sum(axis=1) - cost.sum(axis=1)
    floor_cash = np.where(spec.allow_leverage, -np.inf, spec.cash_buffer * nav)
    short = new_cash < floor_cash - 1e-9 * nav
    if short.any():
        delta, cost, new_cash = _scale_buys(q, cash, p, delta, cost, new_cash, costs, spec, short,
                                            floor_cash, volume)
    dust = ~spec.allow_leverage & (new_cash < 0) & (new_cash > -1e-9 * nav)
    new_cash = np.where(dust, 0.0, new_cash)  # float dust of an all-invested target
    return Rebalance(delta=delta, cost=cost, quantities=q + delta, cash=new_cash)


def _scale_buys(q, cash, p, delta, cost, new_cash, costs, spec, rows, floor_cash, volume):
    """Shrink the buys of `rows` to the largest share cash can fund (bisection, vectorised)."""
    delta, cost, new_cash = delta.copy(), cost.copy(), new_cash.copy()
    d0, pr, cr = delta[rows], p[rows], costs.rows(rows)
    frac = spec.fractional[rows]
    buys = d0 > 0
    sells = np.where(buys, 0.0, d0)
    sell_cost = ticket_costs(sells, pr, cr, None if volume is None else volume[rows])
    available = (cash[rows] - (sells * pr).sum(axis=1) - sell_cost.sum(axis=1) - floor_cash[rows])
    lo, hi = np.zeros(len(d0)), np.ones(len(d0))
    vol = None if volume is None else volume[rows]
    for _ in range(60):
        mid = (lo + hi) / 2
        d = _round(np.where(buys, d0 * mid[:, None], 0.0), frac)
        need = (d * pr).sum(axis=1) + ticket_costs(d, pr, cr, vol).sum(axis=1)
        ok = need <= available
        lo, hi = np.where(ok, mid, lo), np.where(ok, hi, mid)
    d = sells + _round(np.where(buys, d0 * lo[:, None], 0.0), frac)
    c = ticket_costs(d, pr, cr, vol)
    delta[rows], cost[rows] = d, c
    new_cash[rows] = cash[rows] - (d * pr).sum(axis=1) - c.sum(axis=1)
    return delta, cost, new_cash


def rebalance_to_target(quantities: np.ndarray, cash: float, prices: np.ndarray, weights: np.ndarray,
                        rates: np.ndarray, costs: CostModel, *, fractional: bool = True,
                        allow_leverage: bool = False, cash_buffer: float = 0.0,
                        convention: str = "net") -> Rebalance:
    """One portfolio: the batch function with K = 1 (rates are implied by `costs`)."""
    n = len(quantities)
    spread = np.asarray(rates, dtype=float) - costs.commission_bps / 1e4
    arrays = CostArrays(commission=np.array([[costs.commission_bps / 1e4]]),
                        min_commission=np.array([[costs.min_commission]]),
                        spread=spread.reshape(1, n), impact=np.array([[costs.impact_bps / 1e4]]))
    spec = TradeSpec(np.array([fractional]), np.array([allow_leverage]), np.array([cash_buffer]),
                     np.zeros(1), np.zeros(1), convention)
    r = size_trades(np.asarray(quantities, dtype=float)[None], np.array([cash]), prices,
                    np.asarray(weights, dtype=float)[None], arrays, spec)
    return Rebalance(delta=r.delta[0], cost=r.cost[0], quantities=r.quantities[0], cash=float(r.cash[0]))
