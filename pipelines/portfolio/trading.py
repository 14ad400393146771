"""The money arithmetic of a rebalance, written once: both kernels and the account book call it.

Fill convention (trades fill at the close of the decision date, at the close price):
- "net" (default): target values are set on the NAV net of the costs of the trades themselves,
  a fixed point f = cost(w (1 - f)) / NAV (`solve_cost_fraction`), so an all-invested target
  leaves cash at zero. The scale-free form of the same equation (proportional costs, fractional
  units: f = sum(rate |w (1 - f) - x|) over pre-trade weights x) is what the vectorised kernel
  solves for a whole history at once (`proportional_cost_fraction`).
- "bt": bt's convention. Each ticket's cash flow, cost included, equals the change in value
  the target asks for (w_i NAV - value_i): a buy of amount A fills value v with v + cost = A, a
  sell raises |A| net of its cost (`bt_ticket_value`). Costs come out of the position.
Limits, in this order: risky weights are capped to 1 - cash_buffer (no leverage) or to a gross
exposure of `max_leverage` (leverage allowed); whole-unit portfolios round every target toward
zero (fractional ones to a multiple of `lot` when a batch sets one); tickets below the minimum
trade size are dropped (and a ticket under a billionth of NAV,
float round-off of an unchanged target); buys are then scaled down (bisection) when cash would
fall below its floor (the buffer, or (1 - max_leverage) x NAV with leverage), and a buy scaled
below the minimum is dropped too, so no ticket under the minimum ever trades and cash never
goes below its floor. An asset without a fresh price is never traded (`tradable`). Rows are
independent: a portfolio's result never depends on what else is in the batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pipelines.portfolio.costs import CostArrays, ticket_costs

COST_SWEEPS = 12      # fixed-point sweeps of the net convention (exact in a few for real costs)
DUST = 1e-9           # |cash| below DUST x NAV after an all-invested trade is float round-off
DUST_TICKET = 1e-9    # a ticket under DUST_TICKET x NAV is round-off of an unchanged target: not traded


@dataclass(frozen=True)
class Rebalance:
    delta: np.ndarray       # signed quantity traded per symbol
    cost: np.ndarray        # cost per ticket
    quantities: np.ndarray  # holdings after the trades
    cash: np.ndarray        # cash after the trades and their costs


@dataclass(frozen=True)
class TradeSpec:
    """Per-portfolio trading limits of a batch, each shaped (K,)."""

    fractional: np.ndarray
    allow_leverage: np.ndarray
    cash_buffer: np.ndarray
    min_trade_value: np.ndarray
    min_trade_weight: np.ndarray
    convention: str = "net"
    max_leverage: np.ndarray | None = None   # gross exposure / NAV cap where leverage is allowed
    lot: float | None = None                 # fractional rows hold multiples of this (None: any units)

    def rows(self, mask: np.ndarray) -> TradeSpec:
        lev = None if self.max_leverage is None else self.max_leverage[mask]
        return TradeSpec(self.fractional[mask], self.allow_leverage[mask], self.cash_buffer[mask],
                         self.min_trade_value[mask], self.min_trade_weight[mask], self.convention, lev, self.lot)

    @property
    def leverage(self) -> np.ndarray:
        n = len(self.fractional)
        return np.ones(n) if self.max_leverage is None else self.max_leverage


# --------------------------------------------------------------------------- shared primitives


def bound_weights(w: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Clip each held weight into [lo, hi]; what is cut goes to cash (documented convention)."""
    if lo == 0.0 and hi >= 1.0:
        return w
    return np.where(w > 0, np.clip(w, lo, hi), 0.0)


def cap_risky(w: np.ndarray, cash_buffer: np.ndarray, allow_leverage: np.ndarray | bool = False,
              max_leverage: np.ndarray | None = None) -> np.ndarray:
    """Risky weights (..., N) within the portfolio's limits; `cash_buffer` etc. broadcast over
    the leading axes. Without leverage the risky sum is scaled down to 1 - cash_buffer; with
    leverage the gross exposure sum |w| to `max_leverage`."""
    risky = w.sum(axis=-1)
    cap = 1.0 - cash_buffer
    over = (risky > cap) & (risky > 0) & ~np.asarray(allow_leverage, dtype=bool)
    w = np.where(over[..., None], w * (cap / np.where(over, risky, 1.0))[..., None], w)
    if max_leverage is not None:
        gross = np.abs(w).sum(axis=-1)
        lev = np.asarray(max_leverage, dtype=float)
        big = np.asarray(allow_leverage, dtype=bool) & (gross > lev)
        w = np.where(big[..., None], w * (lev / np.where(big, gross, 1.0))[..., None], w)
    return w


def round_units(target: np.ndarray, fractional: np.ndarray, lot: float | None = None) -> np.ndarray:
    """Whole-unit portfolios (fractional False) round toward zero (float dust absorbed); with a
    `lot`, fractional ones round the same way to a multiple of it (e.g. 1e-6 units), snapped to
    the nearest float of that decimal so sums of stored quantities reconcile exactly."""
    if lot is None:
        return np.where(fractional[:, None], target, np.floor(target + 1e-9))
    steps = float(round(1.0 / lot))  # an integer number of lots per unit (lot = 10^-d)
    fine = np.round(np.floor(target * steps + 1e-6)) / steps
    return np.where(fractional[:, None], fine, np.floor(target + 1e-9))


def solve_cost_fraction(cost_of: Callable[[np.ndarray, np.ndarray | None], np.ndarray], n: int,
                        sweeps: int = COST_SWEEPS) -> np.ndarray:
    """(n,) cost fractions f with f = cost_of(f) by fixed-point sweeps from 0.

    `cost_of(f, rows)` returns the cost fraction implied by f for `rows` (None: every row).
    Each row is its own equation, so a row that maps to itself exactly is final: once most are,
    later sweeps run only on the rows still moving (bit-identical to sweeping everything)."""
    f = np.zeros(n)
    active: np.ndarray | None = None
    for _ in range(sweeps):
        cur = f if active is None else f[active]
        new = cost_of(cur, active)
        moving = new != cur
        if active is None:
            f = new
        else:
            f[active] = new
        n_moving = int(moving.sum())
        if n_moving == 0:
            break
        if n_moving < 0.7 * len(cur):
            idx = np.flatnonzero(moving)
            active = idx if active is None else active[idx]
    return f


def proportional_cost_fraction(W: np.ndarray, x: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """The net convention's cost fraction of rebalances from pre-trade weights x to targets W
    under proportional costs (..., N): f = sum(rate |W (1 - f) - x|), shape W.shape[:-1]."""
    shape, N = W.shape[:-1], W.shape[-1]
    Wa, xa = W.reshape(-1, N), x.reshape(-1, N)
    ra = np.broadcast_to(rate, W.shape).reshape(-1, N)
    buf = np.empty_like(Wa)

    def cost_of(f: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        w_, x_, r_ = (Wa, xa, ra) if rows is None else (Wa[rows], xa[rows], ra[rows])
        b = buf[:len(f)]
        np.multiply(w_, (1.0 - f)[:, None], out=b)
        np.subtract(b, x_, out=b)
        np.abs(b, out=b)
        np.multiply(r_, b, out=b)
        return sum_last(b)

    return solve_cost_fraction(cost_of, len(Wa)).reshape(shape)


def bt_ticket_value(amount: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """bt's convention: the value a ticket trades when its cash flow, cost included, is
    `amount` (buy: v (1 + rate) = A; sell: v (1 - rate) = |A|)."""
    return amount / (1.0 + rate * np.sign(amount))


def clamp_dust(cash: np.ndarray, nav: np.ndarray, allow_leverage: np.ndarray) -> np.ndarray:
    """Float dust of an all-invested target (cash in (-DUST x NAV, 0)) becomes zero."""
    dust = ~allow_leverage & (cash < 0) & (cash > -DUST * nav)
    return np.where(dust, 0.0, cash)


def sum_last(x: np.ndarray) -> np.ndarray:
    """x.sum(-1) of a C-contiguous array. Below 8 terms numpy adds the last axis left to right,
    so slice by slice gives the same bits without numpy's slow reduction over a tiny inner axis."""
    n = x.shape[-1]
    if n == 0 or n >= 8 or not x.flags.c_contiguous:
        return x.sum(-1)
    out = x[..., 0].copy()
    for i in range(1, n):
        out += x[..., i]
    return out


# --------------------------------------------------------------------------- one rebalance


def _net_fill(q, p, w, nav, costs: CostArrays, fractional, volume, lot=None):
    """Net convention in quantity space: the proportional fractional rows by the scale-free
    equation, the others (minimum commission, whole units, impact) by the same fixed point on
    their ticket costs."""
    simple = fractional & (costs.min_commission[:, 0] == 0)
    if volume is not None:
        simple &= (costs.impact[:, 0] == 0)
    x = q * p / nav[:, None]

    def targets(f: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return round_units(w[rows] * (nav[rows] * (1.0 - f))[:, None] / p[rows], fractional[rows], lot)

    f = np.zeros(len(nav))
    if simple.any():
        f[simple] = proportional_cost_fraction(w[simple], x[simple], costs.rows(simple).proportional)
    hard = np.flatnonzero(~simple)
    if len(hard):
        def cost_of(fr: np.ndarray, sub: np.ndarray | None) -> np.ndarray:
            rows = hard if sub is None else hard[sub]
            d = targets(fr, rows) - q[rows]
            vol = None if volume is None else volume[rows]
            return ticket_costs(d, p[rows], costs.rows(rows), vol).sum(axis=1) / nav[rows]

        f[hard] = solve_cost_fraction(cost_of, len(hard))
    all_rows = np.arange(len(nav))
    delta = targets(f, all_rows) - q
    return delta, ticket_costs(delta, p, costs, volume)


def _bt_fill(q, p, w, nav, costs: CostArrays, fractional, volume, lot=None):
    amount = w * nav[:, None] - q * p
    closing = (w == 0) & (q != 0)
    sign = np.sign(amount)
    d = bt_ticket_value(amount, costs.commission + costs.spread) / p
    if costs.has_minimum:  # where the minimum binds: q*p*(1 + spread*sign) + min = amount
        floor_binds = (d != 0) & (np.abs(d) * p * costs.commission < costs.min_commission)
        d_min = bt_ticket_value(amount - costs.min_commission, costs.spread) / p
        d = np.where(floor_binds, np.where(np.sign(d_min) == sign, d_min, 0.0), d)
    d = round_units(d, fractional, lot)
    # A sell grossed up for its cost (or rounded down to a lot) never sells more than is held:
    # a target a hair above zero would otherwise leave a negative holding of one lot.
    d = np.where(closing, -q, np.where(q > 0, np.maximum(d, -q), d))
    return d, ticket_costs(d, p, costs, volume)


def size_trades(q: np.ndarray, cash: np.ndarray, p: np.ndarray, weights: np.ndarray,
                costs: CostArrays, spec: TradeSpec, volume: np.ndarray | None = None,
                tradable: np.ndarray | None = None) -> Rebalance:
    """Trades moving each portfolio to its risky target weights (cash is the remainder).

    q: (K, N) holdings; cash: (K,); p: (N,) or (K, N) marking prices (finite where held or
    targeted; a stale price carried forward marks but does not trade); weights: (K, N) risky
    targets; tradable: (K, N) or (N,) where a ticket may trade (default: everywhere).
    """
    q = np.asarray(q, dtype=float)
    cash = np.asarray(cash, dtype=float)
    p = np.broadcast_to(np.asarray(p, dtype=float), q.shape)
    can = np.ones(q.shape, dtype=bool) if tradable is None else np.broadcast_to(tradable, q.shape)
    lev = spec.leverage
    w = cap_risky(np.asarray(weights, dtype=float), spec.cash_buffer, spec.allow_leverage, lev)
    if np.any(~np.isfinite(p) & ((q != 0) | (w != 0)) & can):
        raise ValueError("a held or targeted asset has no price to trade at")
    nav = cash + (q * np.where(np.isfinite(p), p, 0.0)).sum(axis=1)
    if np.any(nav <= 0):
        raise ValueError(f"cannot rebalance a portfolio with non-positive NAV {nav.min():.2f}")
    # An asset that cannot trade keeps its units and value; the fill sees it as absent.
    ps = np.where(can & np.isfinite(p), p, 1.0)
    fill = _bt_fill if spec.convention == "bt" else _net_fill
    delta, cost = fill(np.where(can, q, 0.0), ps, np.where(can, w, 0.0), nav, costs, spec.fractional, volume,
                       spec.lot)
    floor_trade = np.maximum(np.maximum(spec.min_trade_value, spec.min_trade_weight * nav), DUST_TICKET * nav)
    delta, cost = _drop_small(delta, cost, ps, floor_trade, costs, volume, delta != 0)
    floor_cash = np.where(spec.allow_leverage, (1.0 - lev) * nav, spec.cash_buffer * nav)
    new_cash = cash - (delta * ps).sum(axis=1) - cost.sum(axis=1)
    short = new_cash < floor_cash - DUST * nav
    if short.any():
        delta, cost, new_cash = _scale_buys(q, cash, ps, delta, cost, new_cash, costs, spec, short,
                                            floor_cash, volume)
        # a buy scaled below the minimum does not trade either (dropping buys only adds cash)
        delta, cost = _drop_small(delta, cost, ps, floor_trade, costs, volume, delta > 0)
        new_cash = cash - (delta * ps).sum(axis=1) - cost.sum(axis=1)
    new_cash = clamp_dust(new_cash, nav, spec.allow_leverage)
    return Rebalance(delta=delta, cost=cost, quantities=q + delta, cash=new_cash)


def _drop_small(delta, cost, p, floor_trade, costs, volume, candidates):
    """Tickets (among `candidates`) whose notional is under the portfolio's minimum do not trade."""
    small = candidates & (np.abs(delta) * p < floor_trade[:, None])
    if not small.any():
        return delta, cost
    delta = np.where(small, 0.0, delta)
    return delta, ticket_costs(delta, p, costs, volume)


def _scale_buys(q, cash, p, delta, cost, new_cash, costs, spec, rows, floor_cash, volume):
    """Shrink the buys of `rows` to the largest share cash can fund (bisection, vectorised)."""
    delta, cost, new_cash = delta.copy(), cost.copy(), new_cash.copy()
    d0, pr, cr = delta[rows], p[rows], costs.rows(rows)
    frac, lot = spec.fractional[rows], spec.lot
    buys = d0 > 0
    sells = np.where(buys, 0.0, d0)
    vol = None if volume is None else volume[rows]
    sell_cost = ticket_costs(sells, pr, cr, vol)
    available = (cash[rows] - (sells * pr).sum(axis=1) - sell_cost.sum(axis=1) - floor_cash[rows])
    lo, hi = np.zeros(len(d0)), np.ones(len(d0))
    for _ in range(60):
        mid = (lo + hi) / 2
        d = round_units(np.where(buys, d0 * mid[:, None], 0.0), frac, lot)
        need = (d * pr).sum(axis=1) + ticket_costs(d, pr, cr, vol).sum(axis=1)
        ok = need <= available
        lo, hi = np.where(ok, mid, lo), np.where(ok, hi, mid)
    d = sells + round_units(np.where(buys, d0 * lo[:, None], 0.0), frac, lot)
    c = ticket_costs(d, pr, cr, vol)
    delta[rows], cost[rows] = d, c
    new_cash[rows] = cash[rows] - (d * pr).sum(axis=1) - c.sum(axis=1)
    return delta, cost, new_cash
