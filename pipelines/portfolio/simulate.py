"""The two simulation kernels behind the engine, both batched over K portfolios.

- `step`: the general kernel. It jumps from decision to decision (calendar dates, drift-band
  breaches found with vectorised weight paths, or every day for signal rules)
  between two
  decisions holdings are constant, so cash and NAV of the whole stretch are numpy expressions.
  Cash accrues by the sequential product of daily cash-index ratios, exactly as a one-day run
  from a stored state does, so a daily run and a backfill give bit-identical rows.
- `vectorised`: calendar rules, price-only targets, fractional units and proportional costs are
  scale-free: every rebalance's cost fraction and post-trade weights depend only on weights, so
  the whole history is a handful of array operations and one cumulative product (bt's
  convention needs one (K, N) step per rebalance date because its post-trade weights depend on
  the drifted ones). Rows for a date depend only on prices up to that date.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from pipelines.config import RebalanceRule
from pipelines.portfolio.costs import CostArrays, ticket_costs
from pipelines.portfolio.rebalancing import band_widths, outside_band, to_band_edge
from pipelines.portfolio.trading import TradeSpec, size_trades

DRIFT_CHUNK = 256
SEGMENT_MARKS_MIN_K = 16  # from this many portfolios, mark NAV segment by segment


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
    trades: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    # (position, delta (K, N), cost (K, N), reason (K,) object array)
    weights: list[tuple[int, np.ndarray, np.ndarray]] = field(default_factory=list)
    # (position, rows evaluated (K,) bool, risky targets (K, N))

    def trade_arrays(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """Portfolio k's trade events: positions (T,), deltas and costs (T, N), reason codes
        (T,) into the returned reason names."""
        N = self.seg_q.shape[-1]
        ev = np.array([e for e, *_ in self.trades], dtype=int)
        if not self.trades:
            return ev, np.zeros((0, N)), np.zeros((0, N)), np.zeros(0, dtype=np.int64), []
        dq = np.stack([d[k] for _, d, _, _ in self.trades])
        tc = np.stack([c[k] for _, _, c, _ in self.trades])
        names, codes = np.unique(np.array([r[k] for *_, r in self.trades], dtype=object).astype(str),
                                 return_inverse=True)
        return ev, dq, tc, codes.astype(np.int64), [str(x) for x in names]

    def weight_arrays(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Portfolio k's evaluated targets: positions (E,) and risky weights (E, N)."""
        N = self.seg_q.shape[-1]
        ev = np.array([e for e, _, _ in self.weights], dtype=int)
        if not self.weights:
            return ev, np.zeros((0, N))
        return ev, np.stack([w[k] for _, _, w in self.weights])

    def holdings(self) -> np.ndarray:
        """(K, L, N) holdings at each close (materialised: use for small K)."""
        L = self.nav.shape[1]
        seg = np.searchsorted(self.seg_start, np.arange(L), side="right") - 1
        return self.seg_q[:, seg, :]


TargetFn = Callable[[int, np.ndarray], np.ndarray]
"""(run position e, NAV of run positions before e (K, e)) -> (K, N) risky target weights."""


def _marks(q: np.ndarray, P: np.ndarray) -> np.ndarray:
    """(K, L) market value of constant holdings q (K, N) over prices P (L, N); NaN-safe."""
    Pz = np.where(np.isfinite(P), P, 0.0)
    return (q[:, None, :] * Pz[None, :, :]).sum(axis=-1)


def step(rule: RebalanceRule, symbols: list[str], P: np.ndarray, ratio: np.ndarray,
         calendar: np.ndarray, q0: np.ndarray, cash0: np.ndarray, started: bool,
         targets: TargetFn, costs: CostArrays, spec: TradeSpec, w_force: np.ndarray | None = None,
         ) -> SimOutput:
    """General kernel. P: (L, N) run-date prices; ratio: (L,) cash-index growth from the
    previous close (1 where cash does not accrue); calendar: (L,) calendar-rule days."""
    K, N = q0.shape
    L = len(P)
    q, cash = q0.astype(float).copy(), cash0.astype(float).copy()
    nav = np.zeros((K, L))
    cash_out = np.zeros((K, L))
    cost_out = np.zeros((K, L))
    turn = np.zeros((K, L))
    reb = np.zeros((K, L), dtype=bool)
    seg_start, seg_q = [0], [q.copy()]
    out = SimOutput(nav, cash_out, cost_out, turn, reb, np.empty(0), np.empty(0))
    every_day = rule.frequency == "daily" or rule.signal_threshold is not None
    drift_only = rule.frequency == "never" and rule.signal_threshold is None
    cal_days = np.flatnonzero(calendar)
    widths = band_widths(rule, symbols, w_force) if rule.has_drift and w_force is not None else None
    j = 0
    first = not started
    while j < L:
        # ---- next decision day e >= j
        if first or every_day or drift_only and w_force is None:
            e = j
        elif drift_only:
            e = _first_breach(q, cash, P, ratio, j, w_force, widths)
        else:
            k = np.searchsorted(cal_days, j)
            e = int(cal_days[k]) if k < len(cal_days) else L
        # ---- hold stretch j..e (e is marked pre-trade), cash by sequential product
        stop = min(e, L - 1)
        path = np.cumprod(np.concatenate([cash[:, None], np.broadcast_to(ratio[j:stop + 1], (K, stop + 1 - j))],
                                         axis=1), axis=1)[:, 1:]
        mv = _marks(q, P[j:stop + 1])
        cash_out[:, j:stop + 1] = path
        nav[:, j:stop + 1] = path + mv
        if e >= L:
            break
        cash = path[:, -1].copy()
        p = P[e]
        nav_pre = nav[:, e].copy()
        # ---- decide which portfolios trade and toward what
        rows = np.ones(K, dtype=bool)
        w_target = targets(e, nav[:, :e])
        w = w_target
        trade = np.ones(K, dtype=bool)
        reason = np.full(K, "inception" if first else "calendar", dtype=object)
        if not first:
            pre_w = q * np.where(np.isfinite(p), p, 0.0) / nav_pre[:, None]
            if rule.signal_threshold is not None:
                moved = np.abs(w_target - w_force).max(axis=1) > rule.signal_threshold
                on_cal = np.full(K, bool(calendar[e]) and rule.frequency != "never")
                trade = moved | on_cal
                reason = np.where(moved & ~on_cal, "signal", reason)
            elif rule.has_drift:
                wd = band_widths(rule, symbols, w_target)
                trade = outside_band(pre_w, w_target, wd)
                reason = np.where(trade, "drift", reason)
                if rule.to == "edge":
                    w = np.where(trade[:, None], to_band_edge(pre_w, w_target, wd), w_target)
        w_force = w_target if w_force is None else np.where(trade[:, None], w_target, w_force)
        if rule.has_drift:
            widths = band_widths(rule, symbols, w_force)
        out.weights.append((e, rows.copy(), w_target.copy()))
        if trade.any():
            ps = np.where(np.isfinite(p), p, 1.0)
            if np.any((w > 0) & ~np.isfinite(p)[None, :]):
                raise ValueError("target weight on a symbol without a price")
            r = size_trades(q[trade], cash[trade], ps, w[trade], costs.rows(trade), spec.rows(trade))
            delta = np.zeros_like(q)
            cst = np.zeros_like(q)
            delta[trade], cst[trade] = r.delta, r.cost
            q = q + delta
            cash = np.where(trade, np.zeros(K), cash)
            cash[trade] = r.cash
            traded = (delta != 0).any(axis=1)
            cost_out[:, e] = cst.sum(axis=1)
            turn[:, e] = (np.abs(delta) * ps).sum(axis=1) / nav_pre
            reb[:, e] = traded
            if traded.any():
                out.trades.append((e, delta, cst, reason))
                seg_start.append(e)
                seg_q.append(q.copy())
            cash_out[:, e] = cash
            nav[:, e] = cash + (q * np.where(np.isfinite(p), p, 0.0)).sum(axis=1)
        first = False
        j = e + 1
    out.seg_start = np.array(seg_start)
    out.seg_q = np.stack(seg_q, axis=1)
    # a segment registered at e holds from e on; the initial one from 0
    return out


def _first_breach(q, cash, P, ratio, j, targets, widths) -> int:
    """First run position >= j where some portfolio's weights touch a band edge (L if none)."""
    L = len(P)
    K = len(q)
    start = j
    c = cash
    while start < L:
        stop = min(L, start + DRIFT_CHUNK)
        path = np.cumprod(np.concatenate([c[:, None], np.broadcast_to(ratio[start:stop], (K, stop - start))],
                                         axis=1), axis=1)[:, 1:]
        Pz = np.where(np.isfinite(P[start:stop]), P[start:stop], 0.0)
        mv = q[:, None, :] * Pz[None, :, :]
        navs = path + mv.sum(axis=-1)
        w = mv / navs[:, :, None]
        hit = outside_band(w, targets[:, None, :], widths[:, None, :])  # (K, len)
        any_hit = hit.any(axis=0)
        if any_hit.any():
            return start + int(np.argmax(any_hit))
        c = path[:, -1]
        start = stop
    return L


def vectorised(P: np.ndarray, ratio: np.ndarray, events: np.ndarray, W: np.ndarray,
               capital: np.ndarray, costs: CostArrays, cash_buffer: np.ndarray,
               convention: str, nav_only: bool = False) -> SimOutput:
    """Scale-free kernel from an all-cash start. P: (L, N) finite prices; ratio: (L,) cash
    growth from the previous close (ratio[0] unused)
    events: (m,) run positions of rebalances,
    events[0] == 0
    W: (K, m, N) risky targets
    capital: (K,) initial cash. `nav_only` skips
    the daily cash, turnover and rebalanced marks (left empty) for bulk runs."""
    K, m, N = W.shape
    L = len(P)
    risky = W.sum(axis=-1)
    cap = 1.0 - cash_buffer[:, None]
    over = (risky > cap) & (risky > 0)
    W = np.where(over[..., None], W * (cap / np.where(over, risky, 1.0))[..., None], W)
    rate = (costs.commission + costs.spread)[:, None, :]  # (K, 1, N)
    Pe = P[events]                                         # (m, N)
    cidx = np.cumprod(np.concatenate([[1.0], ratio[1:]]))  # cash index relative to run start
    G = Pe[1:] / Pe[:-1]                                   # (m-1, N)
    cg = cidx[events[1:]] / cidx[events[:-1]]              # (m-1,)
    if convention == "net":
        a, z = W, 1.0 - W.sum(axis=-1)                     # post-trade weights are the targets
        xs = a[:, :-1, :] * G[None]
        S = np.concatenate([np.ones((K, 1)), xs.sum(-1) + z[:, :-1] * cg[None]], axis=1)  # (K, m)
        x = np.concatenate([np.zeros((K, 1, N)), xs / S[:, 1:, None]], axis=1)            # pre-trade weights
        f = _cost_fraction(W, x, rate)
        growth = S * (1.0 - f)
    else:
        a, z, S, f, x = _bt_sweeps(W, G, cg, rate[:, 0][:, None, :])
        growth = S * (1.0 - f)
    vplus = capital[:, None] * np.cumprod(growth, axis=1)          # (K, m) post-trade NAV
    vminus = vplus / (1.0 - f)
    q = a * vplus[..., None] / Pe[None]                            # (K, m, N)
    cash_e = z * vplus                                             # (K, m)
    dq = np.diff(np.concatenate([np.zeros((K, 1, N)), q], axis=1), axis=1)
    tcost = ticket_costs(dq, Pe[None], _expand(costs))
    # daily marks: segment of each run position
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
        turn = np.zeros((K, L))
        reb = np.zeros((K, L), dtype=bool)
        turn[:, events] = (np.abs(dq) * Pe[None]).sum(-1) / vminus
        reb[:, events] = (dq != 0).any(-1)
        cash[:, events] = cash_e
    out = SimOutput(nav, cash, costs_day, turn, reb, events.copy(), q)
    out.vectorised_targets = W  # type: ignore[attr-defined]
    out.vectorised_dq = dq      # type: ignore[attr-defined]
    out.vectorised_cost = tcost  # type: ignore[attr-defined]
    return out


def _cost_fraction(W: np.ndarray, x: np.ndarray, rate: np.ndarray, sweeps: int = 12) -> np.ndarray:
    """(K, m) cost fraction f of each rebalance: f = sum(rate * |W (1 - f) - x|), by `sweeps`
    fixed-point sweeps from 0. Each (k, e) is its own equation, so an entry that maps to itself
    exactly is final: once most entries are, later sweeps run only on those still moving
    (bit-identical to running every sweep on everything)."""
    K, m, N = W.shape
    f = np.zeros(K * m)
    Wa, xa = W.reshape(-1, N), x.reshape(-1, N)
    ra = np.broadcast_to(rate, W.shape).reshape(-1, N)
    active = None                                   # None: every entry
    buf = np.empty_like(Wa)
    for _ in range(sweeps):
        cur = f if active is None else f[active]
        b = buf[:len(cur)]
        np.multiply(Wa, (1.0 - cur)[:, None], out=b)
        np.subtract(b, xa, out=b)
        np.abs(b, out=b)
        np.multiply(ra, b, out=b)
        new = _sum_last(b)
        moving = new != cur
        if active is None:
            f = new
        else:
            f[active] = new
        n_moving = int(moving.sum())
        if n_moving == 0:
            break
        if n_moving < 0.7 * len(cur):               # compress to the entries still moving
            idx = np.flatnonzero(moving)
            active = idx if active is None else active[idx]
            Wa, xa, ra = Wa[idx], xa[idx], ra[idx]
    return f.reshape(K, m)


def _sum_last(x: np.ndarray) -> np.ndarray:
    """x.sum(-1) of a C-contiguous array. Below 8 terms numpy adds the last axis left to right,
    so slice by slice gives the same bits without numpy's slow reduction over a tiny inner axis."""
    n = x.shape[-1]
    if n == 0 or n >= 8 or not x.flags.c_contiguous:
        return x.sum(-1)
    out = x[..., 0].copy()
    for i in range(1, n):
        out += x[..., i]
    return out


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


def _bt_sweeps(W, G, cg, rate, tol=1e-15, max_sweeps=60):
    """bt's fill convention over all rebalance dates at once.

    Post-trade weights a_k depend on the drifted weights x_k, which depend on a_{k-1}: a chain.
    Its sensitivity to x is only cost-rate x drift (about 1e-3), so Jacobi sweeps over the whole
    chain from the zero-cost solution (a_k = w_k) contract by that factor each time and reach
    machine precision in a few sweeps, each one array expression over (K, m, N).
    """
    K, m, N = W.shape
    a, z = W.copy(), 1.0 - W.sum(-1)
    closing_w = W == 0
    for _ in range(max_sweeps):
        xs = a[:, :-1] * G[None]
        cs = z[:, :-1] * cg[None]
        S1 = xs.sum(-1) + cs
        xa = np.concatenate([np.zeros((K, 1, N)), xs / S1[..., None]], axis=1)
        zc = np.concatenate([np.ones((K, 1)), cs / S1], axis=1)
        amount = W - xa
        d = np.where(closing_w & (xa != 0), -xa, amount / (1.0 + rate * np.sign(amount)))
        post = xa + d
        cash_post = zc - (d + rate * np.abs(d)).sum(-1)
        vplus = post.sum(-1) + cash_post
        a_new, z_new = post / vplus[..., None], cash_post / vplus
        err = max(float(np.abs(a_new - a).max(initial=0.0)), float(np.abs(z_new - z).max(initial=0.0)))
        a, z = a_new, z_new
        if err <= tol:
            break
    S = np.concatenate([np.ones((K, 1)), S1], axis=1)
    return a, z, S, 1.0 - vplus, xa


def _expand(c: CostArrays) -> CostArrays:
    return CostArrays(c.commission[:, None], c.min_commission[:, None], c.spread[:, None, :],
                      c.impact[:, None])
