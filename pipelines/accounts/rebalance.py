"""The daily account rebalance: one (accounts, symbols) array pass, cash flows first.

For every live account, in this order of preference:
1. an account that is new, whose model's targets changed, or that switched model trades back
   to target (reason new_account / model_change);
2. on a day with flows, new cash buys the underweight symbols and cash to pay out (withdrawals,
   fees) is raised from the overweight ones, each ticket sized so its cash flow, cost included,
   is exactly its share (bt's convention): most drift is fixed without a sell;
3. when the drift (sum over symbols and cash of |weight - target| / 2) still exceeds the
   account's tolerance after that, the account trades back to target instead (reason drift),
   provided that brings it within the tolerance or cuts its drift by at least half the
   tolerance (a whole-unit account that cannot get closer does not churn); when the flow
   trades cannot fund the payout it trades back to target whatever (the flow's reason).
Trading back to target uses the model's fill convention and cost model. Every sizing, cost,
rounding (whole units, or 10^-6 lots), minimum ticket and cash floor comes from
`pipelines.portfolio.trading.size_trades`; this module only decides who trades and toward
what. Trades are sized on the account after the day's payout, so the cash they leave has
paid it and keeps the buffer: never negative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.portfolio.costs import CostArrays
from pipelines.portfolio.trading import DUST, Rebalance, TradeSpec, cap_risky, size_trades

REASONS = ("deposit", "withdrawal", "fee", "drift", "model_change", "new_account")
DEPOSIT, WITHDRAWAL, FEE, DRIFT, MODEL_CHANGE, NEW_ACCOUNT = range(len(REASONS))
NO_TRADE = -1


@dataclass(frozen=True)
class Book:
    """The static arrays of a shard's K accounts over its N symbols."""

    model: np.ndarray          # (K,) model index
    fractional: np.ndarray     # (K,) bool
    tolerance: np.ndarray      # (K,) drift tolerance
    buffer: np.ndarray         # (K,) minimum cash, fraction of NAV
    min_trade: np.ndarray      # (K,) smallest ticket
    fee_rate: np.ndarray       # (K,) advisory fee, fraction of NAV a year
    restricted: np.ndarray     # (R, 3) account, restricted symbol, substitute symbol (-1: cash)
    costs: CostArrays          # K rows: each account's model's cost model
    bt: np.ndarray             # (K,) bool: the model fills by bt's convention
    lot: float



@dataclass(frozen=True)
class DayTrades:
    delta: np.ndarray      # (K, N) signed units traded
    cost: np.ndarray       # (K, N) cost per ticket
    cash: np.ndarray       # (K,) cash after the trades and the payout
    reason: np.ndarray     # (K,) reason code of the account's tickets, NO_TRADE if none


def account_targets(weights: np.ndarray, book: Book) -> np.ndarray:
    """(K, N) risky targets: each account's model weights (weights: (M, N)), a restricted
    symbol's weight moved to its substitute (or to cash), scaled to leave the cash buffer."""
    w = weights[book.model]
    if len(book.restricted):
        k, r, s = book.restricted.T
        moved = w[k, r]
        w[k, r] = 0.0
        to_symbol = s >= 0
        np.add.at(w, (k[to_symbol], s[to_symbol]), moved[to_symbol])
    return cap_risky(w, book.buffer)


def drift(value: np.ndarray, cash: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(K,) sum over symbols and cash of |weight - target| / 2 (0 for an empty account)."""
    nav = cash + value.sum(axis=1)
    safe = np.where(nav > 0, nav, 1.0)
    gap = np.abs(value / safe[:, None] - w).sum(axis=1) + np.abs(cash / safe - (1.0 - w.sum(axis=1)))
    return np.where(nav > 0, gap / 2.0, 0.0)


def rebalance(q: np.ndarray, cash: np.ndarray, p: np.ndarray, can: np.ndarray, w: np.ndarray,
              payout: np.ndarray, forced: np.ndarray, flow_reason: np.ndarray, book: Book) -> DayTrades:
    """The day's trades of every account.

    q: (K, N) units; cash: (K,) after the day's deposits; p: (N,) marks (finite where held);
    can: (N,) where a ticket may trade (a fresh price); w: (K, N) targets (`account_targets`);
    payout: (K,) withdrawals and fees, paid at the close; forced: (K,) reason code of a full
    rebalance (NEW_ACCOUNT, MODEL_CHANGE) or NO_TRADE; flow_reason: (K,) DEPOSIT / WITHDRAWAL /
    FEE on a day with flows, NO_TRADE otherwise (rows without a live account must have both
    NO_TRADE and no payout). The trades are sized on the account after the payout (its cash less
    the payout, possibly negative before the sells), so the cash they leave is the cash after
    paying out, at or above the buffer. The minimum ticket never blocks a payout: when it would,
    the sells funding it trade whatever their size.
    """
    day = _Day(q, cash, p, can, w, payout, book)
    K, N = q.shape
    out = Rebalance(np.zeros((K, N)), np.zeros((K, N)), q.copy(), day.left.copy())   # no trade
    reason = np.full(K, NO_TRADE, dtype=np.int8)
    live = day.after > 0
    must = (forced >= 0) & live               # back to target whatever it gains
    reason[must] = forced[must]
    flow = (forced < 0) & (flow_reason >= 0) & live
    if flow.any():
        day.buying = flow_reason == DEPOSIT
        rows, r = day.funded(np.flatnonzero(flow), day.flow_trades)
        short = day.short(rows, r)
        out = _set(out, rows[~short], _take(r, ~short))
        reason[rows] = flow_reason[rows]
        must[rows[short]] = True
    before = drift(out.quantities * day.pm, out.cash, w)
    full = must | ((forced < 0) & live & (before > book.tolerance))
    if full.any():
        rows, r = day.funded(np.flatnonzero(full), day.to_target)
        gap = drift(r.quantities * day.pm, r.cash, w[rows])
        worth = must[rows] | (gap <= book.tolerance[rows]) | (gap <= before[rows] - book.tolerance[rows] / 2)
        out = _set(out, rows[worth], _take(r, worth))
        drifted = rows[worth & ~must[rows]]
        reason[drifted] = DRIFT
    traded = (out.delta != 0).any(axis=1)
    reason[~traded] = NO_TRADE
    return DayTrades(out.delta, out.cost, out.cash, reason)


class _Day:
    """One day's arrays and the two ways to trade a set of accounts."""

    def __init__(self, q, cash, p, can, w, payout, book: Book) -> None:
        self.q, self.p, self.can, self.w, self.book = q, p, can, w, book
        self.pm = np.where(np.isfinite(p), p, 0.0)
        self.value = q * self.pm
        self.left = cash - payout
        self.after = self.left + self.value.sum(axis=1)
        self.buying = np.zeros(len(cash), dtype=bool)   # flow trades may buy (a day of net deposits)

    def short(self, rows: np.ndarray, r: Rebalance) -> np.ndarray:
        """Rows whose trades leave less cash than the buffer (the payout is already taken)."""
        return r.cash < (self.book.buffer[rows] - DUST) * self.after[rows]

    def funded(self, rows: np.ndarray, trade) -> tuple[np.ndarray, Rebalance]:
        """`trade(rows, min_trade)`, and again without the minimum ticket for rows it left short."""
        r = trade(rows, self.book.min_trade[rows])
        short = self.short(rows, r)
        if short.any():
            again = trade(rows[short], np.zeros(int(short.sum())))
            r = Rebalance(*(_merge(getattr(r, f), getattr(again, f), short)
                            for f in ("delta", "cost", "quantities", "cash")))
        return rows, r

    def _spec(self, rows, min_trade, convention: str) -> TradeSpec:
        b = self.book
        return TradeSpec(b.fractional[rows], np.zeros(len(rows), dtype=bool), b.buffer[rows], min_trade,
                         np.zeros(len(rows)), convention, None, b.lot)

    def to_target(self, rows: np.ndarray, min_trade: np.ndarray) -> Rebalance:
        """Back to target on the NAV left after the payout, in the model's fill convention."""
        out = None
        for bt in (False, True):
            sub = self.book.bt[rows] == bt
            if not sub.any():
                continue
            rr = rows[sub]
            r = size_trades(self.q[rr], self.left[rr], self.p, self.w[rr], self.book.costs.rows(rr),
                            self._spec(rr, min_trade[sub], "bt" if bt else "net"), tradable=self.can)
            out = r if out is None and sub.all() else _place(out, r, sub, self.q.shape[1])
        return out

    def flow_trades(self, rows: np.ndarray, min_trade: np.ndarray) -> Rebalance:
        """Cash flows first: on a day of net deposits the cash above the target cash buys the
        underweight symbols, largest gap first, never past the target; cash missing after the
        payout is raised from the overweight ones the same way. Each ticket's cash flow, cost
        included, is its amount (bt's convention)."""
        v, ww, nav = self.value[rows], self.w[rows], self.after[rows]
        dev = (v - ww * nav[:, None]) * self.can
        excess = self.left[rows] - (1.0 - ww.sum(axis=1)) * nav
        buy = _largest_first(np.maximum(-dev, 0.0), np.where(self.buying[rows], np.maximum(excess, 0.0), 0.0))
        sell = _largest_first(np.maximum(dev, 0.0), np.maximum(-excess, 0.0))
        return size_trades(self.q[rows], self.left[rows], self.p, (v + buy - sell) / nav[:, None],
                           self.book.costs.rows(rows), self._spec(rows, min_trade, "bt"), tradable=self.can)


def _largest_first(gap: np.ndarray, total: np.ndarray) -> np.ndarray:
    """(k, N) amounts covering `total` from the largest gaps down, each at most its gap."""
    order = np.argsort(-gap, axis=1, kind="stable")
    g = np.take_along_axis(gap, order, axis=1)
    before = np.cumsum(g, axis=1) - g
    take = np.clip(total[:, None] - before, 0.0, g)
    out = np.empty_like(take)
    np.put_along_axis(out, order, take, axis=1)
    return out


def _take(r: Rebalance, mask: np.ndarray) -> Rebalance:
    return Rebalance(r.delta[mask], r.cost[mask], r.quantities[mask], r.cash[mask])


def _set(out: Rebalance, rows: np.ndarray, r: Rebalance) -> Rebalance:
    """`out` with rows `rows` replaced by `r` (in place: `out` is the day's own result)."""
    out.delta[rows], out.cost[rows], out.quantities[rows], out.cash[rows] = r.delta, r.cost, r.quantities, r.cash
    return out


def _merge(a: np.ndarray, b: np.ndarray, rows: np.ndarray) -> np.ndarray:
    out = a.copy()
    out[rows] = b
    return out


def _place(acc: Rebalance | None, r: Rebalance, sub: np.ndarray, N: int) -> Rebalance:
    """Rows `sub` of a batch result set from `r` (the others from `acc`, or zero)."""
    n = len(sub)
    base = acc or Rebalance(np.zeros((n, N)), np.zeros((n, N)), np.zeros((n, N)), np.zeros(n))
    return Rebalance(*(_merge(getattr(base, f), getattr(r, f), sub) for f in ("delta", "cost", "quantities", "cash")))
