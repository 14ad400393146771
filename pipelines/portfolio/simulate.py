"""The two simulation kernels behind the engine, both batched over K portfolios; the money
arithmetic of every trade comes from `pipelines.portfolio.trading`.

- `step`: the general kernel. It jumps from decision to decision (calendar dates, drift-band or
  leverage breaches found with vectorised weight paths, or every day for signal rules); between
  two decisions holdings are constant, so cash and NAV of the whole stretch are numpy
  expressions. Cash accrues by the sequential product of daily cash-index ratios, exactly as a
  one-day run from a stored state does, so a daily run and a backfill give bit-identical rows.
  Marks may be stale prices carried forward (the engine bounds how stale); a held asset without
  a mark stops the run with an error.
- `vectorised`: calendar rules, price-only targets, fractional units and proportional costs are
  scale-free: every rebalance's cost fraction and post-trade weights depend only on weights, so
  the whole history is a handful of array operations and one cumulative product. Rows for a
  date depend only on prices up to that date.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from pipelines.config import RebalanceRule
from pipelines.portfolio.costs import CostArrays, ticket_costs
from pipelines.portfolio.rebalancing import band_widths, outside_band, to_band_edge
from pipelines.portfolio.trading import (
    TradeSpec,
    bt_ticket_value,
    cap_risky,
    clamp_dust,
    proportional_cost_fraction,
    size_trades,
    sum_last,
)

DRIFT_CHUNK = 256
SEGMENT_MARKS_MIN_K = 16  # from this many portfolios, mark NAV segment by segment
# Jacobi sweeps of the bt fill chain: each contracts the error by about cost x drift (1e-3).
BT_SWEEPS = 8
BT_SWEEP_TOLERANCE = 1e-12


class MissingPriceError(ValueError):
    """A held asset has no price (not even a stale one within the limit) to be marked at."""


@dataclass
class SimOutput:
    """What a kernel produced for K portfolios over L run dates (positions 0..L-1)."""

    nav: np.ndarray          # (K, L)
    cash: np.ndarray         # (K, L)
    costs: np.ndarray        # (K, L)
    turnover: np.ndarray     # (K, L) traded notional / pre-trade NAV
    rebalanced: np.ndarray   # (K, L) bool: some ticket traded
    seg_start: np.ndarray    # (S,) run positions where holdings (may) change
    seg_q: np.ndarray        # (K, S, N) holdings from seg_start[s] on
    events: list[TradeEvent] = field(default_factory=list)
    targets: list[TargetEvent] = field(default_factory=list)


@dataclass(frozen=True)
class TradeEvent:
    """Trades at run position `e`: deltas and costs (K, N), reason and model version (K,)."""

    e: int
    delta: np.ndarray
    cost: np.ndarray
    reason: np.ndarray
    version: np.ndarray


@dataclass(frozen=True)
class TargetEvent:
    """Targets evaluated at run position `e`: risky weights (K, N), model versions (K,) and
    whether each portfolio adopted them (traded toward them) (K,)."""

    e: int
    weights: np.ndarray
    version: np.ndarray
    adopted: np.ndarray


TargetFn = Callable[[int, np.ndarray], tuple[np.ndarray, np.ndarray]]
"""(run position e, NAV of run positions 0..e, pre-trade at e: (K, e + 1)) -> ((K, N) risky
target weights, (K,) model versions)."""


def _marks(q: np.ndarray, P: np.ndarray, j: int) -> np.ndarray:
    """(K, len(P)) market value of constant holdings q (K, N) over marks P (len, N); a held
    asset without a mark is an error, an unheld one counts zero."""
    missing = ~np.isfinite(P)
    held = q != 0
    if np.any(missing & held.any(axis=0)[None]):
        bad = np.argwhere(missing & held.any(axis=0)[None])[0]
        raise MissingPriceError(f"run position {j + int(bad[0])}: held asset #{int(bad[1])} has no price")
    Pz = np.where(missing, 0.0, P)
    return (q[:, None, :] * Pz[None, :, :]).sum(axis=-1)


def _hold(cash: np.ndarray, q: np.ndarray, P: np.ndarray, ratio: np.ndarray, j: int,
          stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Cash (sequential product of the cash ratios) and NAV of run positions j..stop."""
    K = len(cash)
    steps = np.broadcast_to(ratio[j:stop + 1], (K, stop + 1 - j))
    path = np.cumprod(np.concatenate([cash[:, None], steps], axis=1), axis=1)[:, 1:]
    return path, path + _marks(q, P[j:stop + 1], j)


@dataclass
class _Decider:
    """When the next decision falls and whether each portfolio trades there."""

    rule: RebalanceRule
    symbols: list[str]
    calendar: np.ndarray
    spec: TradeSpec
    w_force: np.ndarray | None
    widths: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.cal_days = np.flatnonzero(self.calendar)
        self.every_day = self.rule.frequency == "daily" or self.rule.signal_threshold is not None
        self.drift_only = self.rule.frequency == "never" and self.rule.signal_threshold is None
        self.levered = bool(np.any(self.spec.allow_leverage))
        if self.rule.has_drift and self.w_force is not None:
            self.widths = band_widths(self.rule, self.symbols, self.w_force)

    def next(self, j: int, first: bool, q, cash, P, ratio) -> int:
        if first or self.every_day or (self.drift_only and self.w_force is None):
            return j
        if self.drift_only:
            e = _first_breach(q, cash, P, ratio, j, self.w_force, self.widths)
        else:
            k = np.searchsorted(self.cal_days, j)
            e = int(self.cal_days[k]) if k < len(self.cal_days) else len(P)
        if self.levered:
            e = min(e, _first_leverage_breach(q, cash, P, ratio, j, self.spec, e))
        return e

    def choose(self, e: int, first: bool, w_target, q, p, nav_pre) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(trade (K,), weights to trade to (K, N), reason (K,)) at decision e."""
        K = len(q)
        rule = self.rule
        rule_day = first or self.every_day or self.drift_only or bool(self.calendar[e])
        trade = np.full(K, rule_day)
        w = w_target
        reason = np.full(K, "inception" if first else "calendar", dtype=object)
        pre_w = q * np.where(np.isfinite(p), p, 0.0) / nav_pre[:, None]
        if not first and rule_day:
            if rule.signal_threshold is not None:
                moved = np.abs(w_target - self.w_force).max(axis=1) > rule.signal_threshold
                on_cal = np.full(K, bool(self.calendar[e]) and rule.frequency != "never")
                trade = moved | on_cal
                reason = np.where(moved & ~on_cal, "signal", reason)
            elif rule.has_drift:
                wd = band_widths(rule, self.symbols, w_target)
                trade = outside_band(pre_w, w_target, wd)
                reason = np.where(trade, "drift", reason)
                if rule.to == "edge":
                    w = np.where(trade[:, None], to_band_edge(pre_w, w_target, wd), w_target)
        if not first and self.levered:
            over = self.spec.allow_leverage & (np.abs(pre_w).sum(axis=1) > self.spec.leverage * (1 + 1e-12))
            lev_only = over & ~trade
            reason = np.where(lev_only, "leverage", reason)
            w = np.where(lev_only[:, None], w_target, w)
            trade = trade | over
        self.w_force = w_target if self.w_force is None else np.where(trade[:, None], w_target, self.w_force)
        if rule.has_drift:
            self.widths = band_widths(rule, self.symbols, self.w_force)
        return trade, w, reason


def step(rule: RebalanceRule, symbols: list[str], P: np.ndarray, ratio: np.ndarray,
         calendar: np.ndarray, q0: np.ndarray, cash0: np.ndarray, started: bool,
         targets: TargetFn, costs: CostArrays, spec: TradeSpec, w_force: np.ndarray | None = None,
         tradable: np.ndarray | None = None) -> SimOutput:
    """General kernel. P: (L, N) run-date marks; ratio: (L,) cash-index growth from the
    previous close (1 where cash does not accrue); calendar: (L,) calendar-rule days;
    tradable: (L, N) where the price is fresh (default: wherever P is finite)."""
    K, N = q0.shape
    L = len(P)
    tradable = np.isfinite(P) if tradable is None else tradable
    q, cash = q0.astype(float).copy(), cash0.astype(float).copy()
    out = SimOutput(np.zeros((K, L)), np.zeros((K, L)), np.zeros((K, L)), np.zeros((K, L)),
                    np.zeros((K, L), dtype=bool), np.empty(0), np.empty(0))
    decider = _Decider(rule, symbols, calendar, spec, w_force)
    seg_start, seg_q = [0], [q.copy()]
    j, first = 0, not started
    while j < L:
        e = decider.next(j, first, q, cash, P, ratio)
        stop = min(e, L - 1)
        path, nav = _hold(cash, q, P, ratio, j, stop)      # e itself is marked pre-trade
        out.cash[:, j:stop + 1], out.nav[:, j:stop + 1] = path, nav
        if e >= L:
            break
        cash = path[:, -1].copy()
        nav_pre = out.nav[:, e].copy()
        w_target, version = targets(e, out.nav[:, :e + 1])
        trade, w, reason = decider.choose(e, first, w_target, q, P[e], nav_pre)
        out.targets.append(TargetEvent(e, w_target.copy(), version, trade.copy()))
        if trade.any():
            q, cash = _trade(out, e, trade, w, reason, version, q, cash, P[e], tradable[e], nav_pre,
                             costs, spec)
            if out.events and out.events[-1].e == e:
                seg_start.append(e)
                seg_q.append(q.copy())
        first = False
        j = e + 1
    out.seg_start = np.array(seg_start)
    out.seg_q = np.stack(seg_q, axis=1)  # a segment registered at e holds from e on
    return out


def _trade(out: SimOutput, e: int, trade, w, reason, version, q, cash, p, fresh, nav_pre,
           costs: CostArrays, spec: TradeSpec) -> tuple[np.ndarray, np.ndarray]:
    """Size and book the trades of decision e; returns the new holdings and cash."""
    if np.any((w > 0) & ~np.isfinite(p)[None, :]):
        raise MissingPriceError(f"run position {e}: target weight on an asset without a price")
    r = size_trades(q[trade], cash[trade], p, w[trade], costs.rows(trade), spec.rows(trade),
                    tradable=fresh)
    delta, cst = np.zeros_like(q), np.zeros_like(q)
    delta[trade], cst[trade] = r.delta, r.cost
    q = q + delta
    cash = cash.copy()
    cash[trade] = r.cash
    pz = np.where(np.isfinite(p), p, 0.0)
    out.costs[:, e] = cst.sum(axis=1)
    out.turnover[:, e] = (np.abs(delta) * pz).sum(axis=1) / nav_pre
    traded = (delta != 0).any(axis=1)
    out.rebalanced[:, e] = traded
    if traded.any():
        out.events.append(TradeEvent(e, delta, cst, reason, version))
    out.cash[:, e] = cash
    out.nav[:, e] = cash + (q * pz).sum(axis=1)
    return q, cash


def _weight_paths(q, c, P, ratio, start, stop) -> tuple[np.ndarray, np.ndarray]:
    """Cash and per-asset market values of constant holdings over positions start..stop-1."""
    K = len(q)
    path = np.cumprod(np.concatenate([c[:, None], np.broadcast_to(ratio[start:stop], (K, stop - start))],
                                     axis=1), axis=1)[:, 1:]
    Pz = np.where(np.isfinite(P[start:stop]), P[start:stop], 0.0)
    return path, q[:, None, :] * Pz[None, :, :]


def _first_breach(q, cash, P, ratio, j, targets, widths) -> int:
    """First run position >= j where some portfolio's weights touch a band edge (L if none)."""
    L = len(P)
    start, c = j, cash
    while start < L:
        stop = min(L, start + DRIFT_CHUNK)
        path, mv = _weight_paths(q, c, P, ratio, start, stop)
        w = mv / (path + mv.sum(axis=-1))[:, :, None]
        any_hit = outside_band(w, targets[:, None, :], widths[:, None, :]).any(axis=0)
        if any_hit.any():
            return start + int(np.argmax(any_hit))
        c = path[:, -1]
        start = stop
    return L


def _first_leverage_breach(q, cash, P, ratio, j, spec: TradeSpec, until: int) -> int:
    """First run position in [j, until) where a levered portfolio's gross exposure / NAV
    exceeds its `max_leverage` (`until` if none): leverage is a limit on every day."""
    start, c = j, cash
    lev = spec.leverage
    while start < min(until, len(P)):
        stop = min(until, len(P), start + DRIFT_CHUNK)
        path, mv = _weight_paths(q, c, P, ratio, start, stop)
        gross = np.abs(mv).sum(axis=-1) / (path + mv.sum(axis=-1))
        hit = (spec.allow_leverage[:, None] & (gross > lev[:, None] * (1 + 1e-12))).any(axis=0)
        if hit.any():
            return start + int(np.argmax(hit))
        c = path[:, -1]
        start = stop
    return until


# --------------------------------------------------------------------------- vectorised


def vectorised(P: np.ndarray, ratio: np.ndarray, events: np.ndarray, W: np.ndarray,
               capital: np.ndarray, costs: CostArrays, cash_buffer: np.ndarray,
               convention: str, nav_only: bool = False) -> VectorOutput:
    """Scale-free kernel from an all-cash start. P: (L, N) finite prices; ratio: (L,) cash
    growth from the previous close (ratio[0] unused); events: (m,) run positions of
    rebalances, events[0] == 0; W: (K, m, N) risky targets; capital: (K,) initial cash.
    `nav_only` skips the daily cash, turnover and rebalanced marks (left empty) for bulk runs."""
    K, m, N = W.shape
    L = len(P)
    W = cap_risky(W, cash_buffer[:, None])
    rate = costs.proportional[:, None, :]                 # (K, 1, N)
    Pe = P[events]                                         # (m, N)
    cidx = np.cumprod(np.concatenate([[1.0], ratio[1:]]))  # cash index relative to run start
    G = Pe[1:] / Pe[:-1]                                   # (m-1, N)
    cg = cidx[events[1:]] / cidx[events[:-1]]              # (m-1,)
    if convention == "net":
        a, z = W, 1.0 - W.sum(axis=-1)                     # post-trade weights are the targets
        xs = a[:, :-1, :] * G[None]
        S = np.concatenate([np.ones((K, 1)), xs.sum(-1) + z[:, :-1] * cg[None]], axis=1)  # (K, m)
        x = np.concatenate([np.zeros((K, 1, N)), xs / S[:, 1:, None]], axis=1)            # pre-trade weights
        f = proportional_cost_fraction(W, x, rate)
    else:
        a, z, S, f = _bt_sweeps(W, G, cg, rate[:, 0][:, None, :])
    vplus = capital[:, None] * np.cumprod(S * (1.0 - f), axis=1)   # (K, m) post-trade NAV
    vminus = vplus / (1.0 - f)
    q = a * vplus[..., None] / Pe[None]                            # (K, m, N)
    cash_e = clamp_dust(z * vplus, vplus, np.zeros(K, dtype=bool)[:, None])
    dq = np.diff(np.concatenate([np.zeros((K, 1, N)), q], axis=1), axis=1)
    tcost = ticket_costs(dq, Pe[None], costs.expand())
    seg = np.searchsorted(events, np.arange(L), side="right") - 1
    crel = cidx / cidx[events][seg]                                # cash growth since the segment start
    if K >= SEGMENT_MARKS_MIN_K:
        nav, cash = _segment_marks(cash_e, crel, q, P, events, nav_only)
    else:
        cash = cash_e[:, seg] * crel[None]
        nav = cash.copy()
        for n in range(N):
            nav += q[:, seg, n] * P[None, :, n]
    costs_day = np.zeros((K, L))
    costs_day[:, events] = tcost.sum(-1)
    nav[:, events] = vplus
    if nav_only:
        turn, reb = np.zeros((K, 0)), np.zeros((K, 0), dtype=bool)
    else:
        turn, reb = np.zeros((K, L)), np.zeros((K, L), dtype=bool)
        turn[:, events] = (np.abs(dq) * Pe[None]).sum(-1) / vminus
        reb[:, events] = (dq != 0).any(-1)
        cash[:, events] = cash_e
    return VectorOutput(nav, cash, costs_day, turn, reb, events.copy(), q, W, dq, tcost)


@dataclass(frozen=True)
class VectorOutput:
    """The vectorised kernel's result: daily marks (K, L), and per rebalance (K, m, N) the
    holdings, targets, traded quantities and ticket costs."""

    nav: np.ndarray
    cash: np.ndarray
    costs: np.ndarray
    turnover: np.ndarray
    rebalanced: np.ndarray
    seg_start: np.ndarray
    seg_q: np.ndarray
    targets: np.ndarray
    dq: np.ndarray
    ticket_cost: np.ndarray


def _segment_marks(cash_e: np.ndarray, crel: np.ndarray, q: np.ndarray, P: np.ndarray,
                   events: np.ndarray, nav_only: bool) -> tuple[np.ndarray, np.ndarray]:
    """Daily cash and NAV (K, L), one holding segment at a time, day-major so each segment is
    one contiguous block: the same element-wise operations in the same order as the gathered
    form (bit-identical), without (K, L) gathers of q."""
    K, m, N = q.shape
    L = len(P)
    navT = np.empty((L, K))
    cashT = None if nav_only else np.empty((L, K))
    qT = np.ascontiguousarray(q.transpose(1, 2, 0))  # (m, N, K)
    cT = np.ascontiguousarray(cash_e.T)               # (m, K)
    bounds = np.append(events, L)
    for s in range(m):
        a, b = int(bounds[s]), int(bounds[s + 1])
        block = navT[a:b]
        np.multiply(cT[s][None, :], crel[a:b, None], out=block)
        if cashT is not None:
            cashT[a:b] = block
        for n in range(N):
            block += qT[s, n][None, :] * P[a:b, n, None]
    return navT.T, (np.zeros((K, 0)) if cashT is None else cashT.T)


def _bt_sweeps(W, G, cg, rate):
    """bt's fill convention over all rebalance dates at once.

    Post-trade weights a_k depend on the drifted weights x_k, which depend on a_{k-1}: a chain.
    Its sensitivity to x is only cost-rate x drift (about 1e-3), so Jacobi sweeps over the whole
    chain from the zero-cost solution (a_k = w_k) contract by that factor each time and reach
    machine precision in a few sweeps, each one array expression over (K, m, N). The number of
    sweeps is fixed (not "until converged"): then date k's weights are the same bits whatever
    dates follow it, so a history cut at D (the daily run) equals the full backfill. Only an
    exact fixed point (no costs) stops early: every prefix of the chain is then exact too.
    """
    K, m, N = W.shape
    a, z = W.copy(), 1.0 - W.sum(-1)
    closing = W == 0
    closing = closing if closing.any() else None
    xa = np.zeros((K, m, N))            # pre-trade weights; row 0 (inception, all cash) stays zero
    zc = np.ones((K, m))                # pre-trade cash weight
    for _ in range(BT_SWEEPS):
        xs = a[:, :-1] * G[None]
        cs = z[:, :-1] * cg[None]
        S1 = sum_last(xs) + cs
        np.divide(xs, S1[..., None], out=xa[:, 1:])
        np.divide(cs, S1, out=zc[:, 1:])
        d = bt_ticket_value(W - xa, rate)
        if closing is not None:
            d = np.where(closing & (xa != 0), -xa, d)
        post = xa + d
        cash_post = zc - sum_last(d + rate * np.abs(d))
        vplus = sum_last(post) + cash_post
        a_prev, z_prev = a, z
        a, z = post / vplus[..., None], cash_post / vplus
        if np.array_equal(a, a_prev) and np.array_equal(z, z_prev):
            break  # an exact fixed point (no costs): every later sweep is the same, any prefix too
    err = max(float(np.abs(a - a_prev).max(initial=0.0)), float(np.abs(z - z_prev).max(initial=0.0)))
    if err > BT_SWEEP_TOLERANCE:
        raise ArithmeticError(f"bt fills did not converge in {BT_SWEEPS} sweeps (last change {err:.3g}); "
                              "cost rates this high need the stepping kernel")
    S = np.concatenate([np.ones((K, 1)), S1], axis=1)
    return a, z, S, 1.0 - vplus
