"""A shard of accounts through a run of trading days: one array pass per day, no loop over
accounts.

Each day, at the close, in this order:
1. accounts incepted today go live with their initial deposit;
2. cash accrues the cash index (the 3-month T-bill index, as the model portfolios' does);
3. on the first trading day of a month, the advisory fee accrued over the previous month is
   charged;
4. the day's flows apply (deposits into cash; withdrawals and one-off fees are paid after the
   trades); a withdrawal larger than what the account could raise by selling everything, net
   of costs, is rejected and recorded as such, never paid from negative cash;
5. the advisory fee accrues on the day's closing value (fee_bps / 365 per calendar day since
   the previous trading day);
6. the model's targets for the day (restricted symbols moved to their substitutes) drive
   `rebalance`: cash flows first, back to target beyond the tolerance or on a model change;
7. positions are marked: NAV (cash plus positions less the accrued fee), the time-weighted
   return of the day (flows at the end of the day), drift, running risk statistics.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from pipelines.accounts.rebalance import (
    DEPOSIT,
    FEE,
    MODEL_CHANGE,
    NEW_ACCOUNT,
    NO_TRADE,
    WITHDRAWAL,
    Book,
    account_targets,
    drift,
    rebalance,
)
from pipelines.accounts.returns import daily_return

FLOW_KINDS = ("initial_deposit", "deposit", "recurring", "withdrawal", "fee", "advisory_fee")
INITIAL, DEPOSIT_FLOW, RECURRING, WITHDRAWAL_FLOW, FEE_FLOW, ADVISORY = range(len(FLOW_KINDS))
INFLOW_KINDS = (INITIAL, DEPOSIT_FLOW, RECURRING)


@dataclass(frozen=True)
class Market:
    """The run's trading days and their prices over the shard's N symbols."""

    dates: pd.DatetimeIndex   # (T,) trading days to process
    days: np.ndarray          # (T,) calendar days since the previous trading day (fee accrual)
    new_month: np.ndarray     # (T,) bool: first trading day of a month (the fee is charged)
    marks: np.ndarray         # (T, N) prices, the last one carried forward within the stale limit
    fresh: np.ndarray         # (T, N) bool: a price of that day (tradable)
    cash_ratio: np.ndarray    # (T,) growth of the cash index since the previous trading day


@dataclass(frozen=True)
class Models:
    """The M models' targets in force each day, as the accounts follow them."""

    weights: np.ndarray       # (M, T, N) risky target weights in force (NaN: none yet)
    changed: np.ndarray       # (M, T) bool: targets different from the day before take effect
    version: np.ndarray       # (M, T) index into `versions` of the targets' model version, -1: none
    versions: list[str]
    nav_ratio: np.ndarray     # (M, T) the model's NAV growth over the day (NaN: no NAV)
    ids: list[str]


@dataclass
class State:
    """Every account's running state; (K,) arrays and the (K, N) units."""

    alive: np.ndarray
    model: np.ndarray         # model followed (-1 before inception)
    q: np.ndarray
    cash: np.ndarray
    fee_accrued: np.ndarray
    nav: np.ndarray
    twr_index: np.ndarray
    twr_peak: np.ndarray
    max_drawdown: np.ndarray
    n_returns: np.ndarray
    sum_returns: np.ndarray
    sum_sq_returns: np.ndarray
    deposits: np.ndarray
    withdrawals: np.ndarray
    fees_paid: np.ndarray
    costs_paid: np.ndarray
    model_index: np.ndarray

    @classmethod
    def empty(cls, K: int, N: int) -> State:
        z = np.zeros(K)
        return cls(np.zeros(K, dtype=bool), np.full(K, -1), np.zeros((K, N)), z.copy(), z.copy(), z.copy(),
                   np.ones(K), np.ones(K), z.copy(), np.zeros(K, dtype=np.int64), z.copy(), z.copy(), z.copy(),
                   z.copy(), z.copy(), z.copy(), np.ones(K))

    def scalar_fields(self) -> list[str]:
        return [f.name for f in fields(self) if f.name not in ("q", "alive")]


@dataclass(frozen=True)
class Flows:
    """The run's flow occurrences, sorted by day: (F,) arrays."""

    day: np.ndarray
    account: np.ndarray
    kind: np.ndarray
    amount: np.ndarray
    flow_id: np.ndarray       # object: the cash_flows id, None for initial deposits

    def bounds(self, T: int) -> np.ndarray:
        return np.searchsorted(self.day, np.arange(T + 1), side="left")


class Sink:
    """Where a simulation's rows go (see `pipelines.accounts.outputs.ShardOutputs`)."""

    def nav(self, t, rows, model, nav, cash, net_flow, ret, drift_, version) -> None: ...
    def trades(self, t, k, n, delta, price, cost, reason, model, version) -> None: ...
    def holdings(self, t, k, n, quantity) -> None: ...
    def flows(self, t, k, kind, amount, status, flow_id, note) -> None: ...
    def state(self, t, rows, state: State) -> None: ...


class Simulation:
    """Advance `state` through `market.dates` (the shard's accounts in `book`)."""

    def __init__(self, book: Book, state: State, market: Market, models: Models, flows: Flows,
                 inception_day: np.ndarray, ids: np.ndarray, symbols: list[str], checkpoint_days: set[int],
                 sink: Sink) -> None:
        self.book, self.s, self.market, self.models, self.flows = book, state, market, models, flows
        self.inception_day, self.ids, self.symbols = inception_day, ids, symbols
        self.checkpoints, self.sink = checkpoint_days, sink
        self.bounds = flows.bounds(len(market.dates))
        self.rate = book.costs.commission + book.costs.spread       # (K, N) proportional cost rate
        self.last_drift = np.zeros(len(ids))
        self.external: list[tuple[int, np.ndarray, np.ndarray]] = []  # (day, accounts, amounts) applied

    def run(self) -> State:
        for t in range(len(self.market.dates)):
            self.step(t)
        return self.s

    # ------------------------------------------------------------------ one day
    def step(self, t: int) -> None:
        s, m = self.s, self.market
        before = s.alive.copy()
        new = self.inception_day == t
        self._open(new)
        p, can = m.marks[t], m.fresh[t]
        self._check_marks(t, p)
        pm = np.where(np.isfinite(p), p, 0.0)
        s.cash[before] *= m.cash_ratio[t]
        due = s.fee_accrued.copy() if m.new_month[t] else np.zeros(len(s.cash))
        s.fee_accrued -= due
        day = _DayFlows.of(self.flows, self.bounds[t], self.bounds[t + 1], len(s.cash))
        gross = s.cash + (s.q * pm).sum(axis=1)
        s.fee_accrued += np.where(before, gross * self.book.fee_rate * m.days[t] / 365.0, 0.0)
        paid_fee, withdrawal, rejected = self._payable(day, due, pm, can)
        s.cash += day.inflow
        targets = self._targets(t)
        forced = np.where(new, NEW_ACCOUNT,
                          np.where(before & ((s.model != self.book.model) | self._changed(t)), MODEL_CHANGE, NO_TRADE))
        payout = withdrawal + paid_fee
        flow_reason = np.where(day.inflow > payout, DEPOSIT, np.where(withdrawal > 0, WITHDRAWAL,
                                                                      np.where(paid_fee > 0, FEE, NO_TRADE)))
        flow_reason = np.where(day.inflow + payout > 0, flow_reason, NO_TRADE)
        tr = rebalance(s.q, s.cash, p, can, targets, payout, forced.astype(np.int8), flow_reason.astype(np.int8),
                       self.book)
        if np.any(tr.cash < 0):
            bad = np.flatnonzero(tr.cash < 0)[0]
            raise RuntimeError(f"account {self.ids[bad]} would end {m.dates[t].date()} with negative cash "
                               f"{tr.cash[bad]:.6f}: a bug, nothing is written")
        self._apply(t, tr, p)
        model_growth = self.models.nav_ratio[np.maximum(s.model, 0), t]
        s.model_index = np.where(before, s.model_index * model_growth, s.model_index)
        s.model = np.where(s.alive, self.book.model, s.model)
        self._mark(t, pm, targets, day.inflow - withdrawal, new)
        s.withdrawals += withdrawal
        s.fees_paid += paid_fee
        self._record_flows(t, day, due, paid_fee, rejected, withdrawal)
        if t in self.checkpoints:
            self.sink.state(t, np.flatnonzero(s.alive), s)

    def _open(self, new: np.ndarray) -> None:
        s = self.s
        s.alive |= new
        for name in ("twr_index", "twr_peak", "model_index"):
            getattr(s, name)[new] = 1.0
        s.max_drawdown[new] = 0.0

    def _check_marks(self, t: int, p: np.ndarray) -> None:
        held = (self.s.q != 0) & ~np.isfinite(p)
        if held.any():
            k, n = np.argwhere(held)[0]
            raise ValueError(f"account {self.ids[k]} holds {self.symbols[n]}, which has no price on "
                             f"{self.market.dates[t].date()} nor in the days before (max_stale_days)")

    def _targets(self, t: int) -> np.ndarray:
        w = account_targets(self.models.weights[:, t], self.book)
        missing = self.s.alive & np.isnan(w).any(axis=1)
        if missing.any():
            k = np.flatnonzero(missing)[0]
            raise ValueError(f"model {self.models.ids[self.book.model[k]]} has no target weights on or before "
                             f"{self.market.dates[t].date()} (account {self.ids[k]}); run the portfolio pipeline first")
        return np.nan_to_num(w)

    def _changed(self, t: int) -> np.ndarray:
        return self.models.changed[self.book.model, t]

    def _payable(self, day: _DayFlows, due: np.ndarray, pm: np.ndarray, can: np.ndarray):
        """(fees paid, withdrawals paid, withdrawal rejected) per account: what selling
        everything tradable would raise, net of costs, bounds what can be paid out."""
        s = self.s
        asked = day.withdrawal + day.fee + due
        rows = np.flatnonzero(asked > 0)
        paid_fee, withdrawal = np.zeros(len(s.cash)), day.withdrawal.copy()
        rejected = np.zeros(len(s.cash), dtype=bool)
        if not len(rows):
            return paid_fee, withdrawal, rejected
        v = s.q[rows] * pm * can
        tickets = (v > 0).sum(axis=1)
        liquid = (s.cash[rows] + day.inflow[rows] + (v * (1.0 - self.rate[rows])).sum(axis=1)
                  - self.book.costs.min_commission[rows, 0] * tickets)
        fees = np.minimum(day.fee[rows] + due[rows], np.maximum(liquid, 0.0))
        bad = (day.withdrawal[rows] > 0) & (day.withdrawal[rows] + fees > liquid)
        paid_fee[rows] = fees
        withdrawal[rows[bad]] = 0.0
        rejected[rows[bad]] = True
        return paid_fee, withdrawal, rejected

    def _apply(self, t: int, tr, p: np.ndarray) -> None:
        s = self.s
        k, n = np.nonzero(tr.delta)
        if len(k):
            self.sink.trades(t, k, n, tr.delta[k, n], p[n], tr.cost[k, n], tr.reason[k], self.book.model[k],
                             self.models.version[self.book.model[k], t])
        q_new = _snap(s.q + tr.delta, self.book.fractional, self.book.lot)
        ck, cn = np.nonzero(q_new != s.q)
        if len(ck):
            self.sink.holdings(t, ck, cn, q_new[ck, cn])
        s.q = q_new
        s.cash = tr.cash
        s.costs_paid += tr.cost.sum(axis=1)

    def _mark(self, t: int, pm: np.ndarray, targets: np.ndarray, net_flow: np.ndarray, new: np.ndarray) -> None:
        s = self.s
        value = s.q * pm
        nav = s.cash + value.sum(axis=1) - s.fee_accrued
        rows = np.flatnonzero(s.alive)
        r = daily_return(nav[rows], s.nav[rows], net_flow[rows], new[rows])
        idx = s.twr_index[rows] * (1.0 + r)
        peak = np.maximum(s.twr_peak[rows], idx)
        s.twr_index[rows], s.twr_peak[rows] = idx, peak
        s.max_drawdown[rows] = np.minimum(s.max_drawdown[rows], idx / peak - 1.0)
        s.n_returns[rows] += 1
        s.sum_returns[rows] += r
        s.sum_sq_returns[rows] += r * r
        s.nav = np.where(s.alive, nav, 0.0)
        gap = drift(value[rows], s.cash[rows], targets[rows])
        self.last_drift[rows] = gap
        self.sink.nav(t, rows, s.model[rows], nav[rows], s.cash[rows], net_flow[rows], r, gap,
                      self.models.version[s.model[rows], t])

    def _record_flows(self, t: int, day: _DayFlows, due: np.ndarray, paid_fee: np.ndarray,
                      rejected: np.ndarray, withdrawal: np.ndarray) -> None:
        s = self.s
        s.deposits += day.inflow
        moved = np.flatnonzero((day.inflow > 0) | (withdrawal > 0))
        if len(moved):
            self.external.append((t, moved, day.inflow[moved] - withdrawal[moved]))
        lo, hi = self.bounds[t], self.bounds[t + 1]
        f = self.flows
        if hi > lo:
            acc, kind = f.account[lo:hi], f.kind[lo:hi]
            status = np.where((kind == WITHDRAWAL_FLOW) & rejected[acc], 1, 0)
            self.sink.flows(t, acc, kind, f.amount[lo:hi], status, f.flow_id[lo:hi], status)
        charged = np.flatnonzero(due > 0)
        if len(charged):
            advisory = np.minimum(due[charged], paid_fee[charged])
            self.sink.flows(t, charged, np.full(len(charged), ADVISORY), advisory, np.zeros(len(charged), int),
                            np.full(len(charged), None, dtype=object), np.full(len(charged), 2))


@dataclass(frozen=True)
class _DayFlows:
    inflow: np.ndarray        # (K,) deposits of the day (initial, one-off, recurring)
    withdrawal: np.ndarray    # (K,) withdrawals asked
    fee: np.ndarray           # (K,) one-off fees asked

    @classmethod
    def of(cls, flows: Flows, lo: int, hi: int, K: int) -> _DayFlows:
        acc, kind, amt = flows.account[lo:hi], flows.kind[lo:hi], flows.amount[lo:hi]

        def total(mask: np.ndarray) -> np.ndarray:
            return np.bincount(acc[mask], weights=amt[mask], minlength=K)

        return cls(total(np.isin(kind, INFLOW_KINDS)), total(kind == WITHDRAWAL_FLOW), total(kind == FEE_FLOW))


def _snap(q: np.ndarray, fractional: np.ndarray, lot: float) -> np.ndarray:
    """Units on their grid: whole units, or multiples of the lot (the nearest float of each)."""
    steps = float(round(1.0 / lot))
    return np.where(fractional[:, None], np.round(q * steps) / steps, np.round(q))
