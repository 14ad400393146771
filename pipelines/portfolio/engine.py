"""The portfolio engine: one code path for the daily run and the backfill.

`run_portfolio` advances a portfolio from a state (holdings and cash at the close of the last
processed date) through a list of trading dates. Each date: cash accrues the cash index (unless
`accrue_cash` is off), the rebalance rule is checked, the strategy allocates on data known at
the close, trades fill at the close, and positions and NAV are marked.

Two kernels (pipelines/portfolio/simulate.py) do the work:
- portfolios that `is_vectorisable` (calendar rule, price-only strategy, fractional units,
  proportional costs) are pure functions of prices: they are always computed from inception
  with the vectorised kernel (a 27-year history costs milliseconds), and `resume_point` tells a
  daily run to recompute and keep only its new dates, so daily and backfill rows are identical;
- everything else (drift bands, signal rules, whole units, minimum tickets, path-dependent
  strategies) resumes from the stored state with the stepping kernel, whose arithmetic for a
  date is the same whether the date is the first of a run or the thousandth.
Dividends are in the adjusted closes; cash is a balance that accrues the CASH index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.allocation.base import AllocationContext, AllocationError, Strategy
from pipelines.allocation.registry import get_strategy_class
from pipelines.config import PortfolioConfig, Universe
from pipelines.portfolio import simulate
from pipelines.portfolio.costs import CostArrays
from pipelines.portfolio.rebalancing import calendar_mask
from pipelines.portfolio.targets import PRICE_ONLY, apply_bounds, precomputed_weights
from pipelines.portfolio.trading import TradeSpec

NAV_COLUMNS = ["date", "portfolio_id", "nav", "cash", "invested", "costs", "turnover",
               "daily_return", "rebalanced"]
POSITION_COLUMNS = ["date", "portfolio_id", "symbol", "quantity", "price", "market_value", "weight"]
TRADE_COLUMNS = ["trade_date", "portfolio_id", "symbol", "side", "quantity", "price", "notional",
                 "cost", "reason"]
WEIGHT_COLUMNS = ["date", "portfolio_id", "symbol", "weight"]


@dataclass
class PortfolioState:
    """Holdings at the close of `date` (None before inception); `targets` are the risky
    weights in force (drift and signal rules compare against them)."""

    date: pd.Timestamp | None
    cash: float
    quantities: dict[str, float]
    nav_history: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    targets: dict[str, float] | None = None

    @classmethod
    def initial(cls, cfg: PortfolioConfig) -> PortfolioState:
        return cls(date=None, cash=float(cfg.initial_capital), quantities={})


@dataclass(frozen=True)
class EngineResult:
    nav: pd.DataFrame
    positions: pd.DataFrame
    trades: pd.DataFrame
    target_weights: pd.DataFrame
    state: PortfolioState

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"nav": self.nav, "positions": self.positions, "trades": self.trades,
                "target_weights": self.target_weights}

    def after(self, date: pd.Timestamp | None) -> EngineResult:
        """Only the rows strictly after `date` (all rows when None)."""
        if date is None:
            return self
        keep = lambda df, col: df[pd.to_datetime(df[col]) > date].reset_index(drop=True)  # noqa: E731
        return EngineResult(keep(self.nav, "date"), keep(self.positions, "date"),
                            keep(self.trades, "trade_date"), keep(self.target_weights, "date"), self.state)


def build_strategy(cfg: PortfolioConfig) -> Strategy:
    return get_strategy_class(cfg.strategy)(cfg.params)


def is_vectorisable(cfg: PortfolioConfig) -> bool:
    """Scale-free portfolios: computed from inception by the vectorised kernel."""
    r = cfg.rebalance
    return (cfg.strategy in PRICE_ONLY and cfg.fractional_units and r.frequency != "never"
            and not r.has_drift and r.signal_threshold is None and r.min_trade_value == 0
            and r.min_trade_weight == 0 and cfg.costs.min_commission == 0 and not cfg.allow_leverage)


def resume_point(cfg: PortfolioConfig, stored: PortfolioState) -> tuple[PortfolioState, pd.Timestamp | None]:
    """(state to run from, date after which rows are new). Vectorisable portfolios restart
    from inception and keep only the rows after the stored date."""
    if is_vectorisable(cfg) and stored.date is not None:
        return PortfolioState.initial(cfg), stored.date
    return stored, None


def first_complete_date(prices: pd.DataFrame, symbols: Sequence[str], start: pd.Timestamp) -> pd.Timestamp | None:
    """Inception: the first date on or after `start` where every symbol has a price."""
    ok = prices[list(symbols)].notna().all(axis=1) & (prices.index >= start)
    return prices.index[ok.to_numpy()][0] if ok.any() else None


def _columns(prices: pd.DataFrame, cols: Sequence[str]) -> np.ndarray:
    """(n_dates, len(cols)) float array of those columns (no intermediate frame)."""
    out = np.empty((len(prices), len(cols)))
    for j, c in enumerate(cols):
        out[:, j] = prices[c].to_numpy(dtype=float)
    return out


def _cash_ratio(cfg: PortfolioConfig, C: np.ndarray, pos: np.ndarray, prev: int | None) -> np.ndarray:
    """Growth of a cash balance from the previous processed close to each run date."""
    if not cfg.accrue_cash:
        return np.ones(len(pos))
    before = np.concatenate([[pos[0] if prev is None else prev], pos[:-1]])
    return C[pos] / C[before]


def run_portfolio(cfg: PortfolioConfig, universe: Universe, prices: pd.DataFrame,
                  dates: Sequence[pd.Timestamp], state: PortfolioState,
                  strategy: Strategy | None = None) -> EngineResult:
    """Advance `state` through `dates` (ascending trading dates present in `prices`).

    prices: (n_dates, n_assets) closes with the portfolio's symbols and the cash symbol; rows
        before the first date supply the strategy's lookback and the previous trading day.
    """
    strategy = strategy or build_strategy(cfg)
    syms = cfg.symbols
    cash_sym = universe.cash_symbol
    cols = [*syms, cash_sym]
    missing = [c for c in cols if c not in prices.columns]
    if missing:
        raise KeyError(f"{cfg.id}: prices lack columns {missing}")
    didx = dates if isinstance(dates, pd.DatetimeIndex) else pd.DatetimeIndex(list(dates))
    if not len(didx):
        return _empty(state)
    dates = didx
    index = prices.index
    where = index.get_indexer(didx)
    if np.any(where < 0):
        bad = [d for d, i in zip(dates, where, strict=True) if i < 0]
        raise KeyError(f"{cfg.id}: no prices for {bad[0].date()}")
    if state.date is not None and dates[0] <= state.date:
        raise ValueError(f"{cfg.id}: date {dates[0].date()} is not after the state date {state.date.date()}")
    if np.any(np.diff(where) <= 0):
        raise ValueError(f"{cfg.id}: dates must be ascending")
    P_all = _columns(prices, syms)
    C = prices[cash_sym].to_numpy(dtype=float)
    P = P_all[where]
    prev = None if state.date is None else int(index.get_loc(state.date))
    ratio = _cash_ratio(cfg, C, where, prev)
    calendar = calendar_mask(cfg.rebalance, index)[where]
    lo, hi = cfg.weight_bounds

    q0 = np.array([[state.quantities.get(s, 0.0) for s in syms]], dtype=float)
    held_nan = (q0[0] != 0) & ~np.isfinite(P).all(axis=0)
    if held_nan.any():
        bad = [s for s, b in zip(syms, held_nan, strict=True) if b]
        raise ValueError(f"{cfg.id}: held symbols without a price: {bad}")

    if state.date is None and is_vectorisable(cfg) and np.isfinite(P).all():
        out = _run_vectorised(cfg, universe, strategy, P, ratio, calendar)
    else:
        out = _run_stepping(cfg, universe, strategy, prices, where, P, ratio, calendar, q0, state, lo, hi)
    return _frames(cfg, universe, didx, P, out, state)


def _run_vectorised(cfg, universe, strategy, P, ratio, calendar) -> simulate.SimOutput:
    events = np.flatnonzero(calendar)
    events = np.unique(np.concatenate([[0], events]))
    W = precomputed_weights(cfg.strategy, cfg.params, cfg.symbols, P[events])
    W = apply_bounds(W, *cfg.weight_bounds)[None]
    costs = CostArrays.build([cfg.costs], cfg.symbols, universe.asset_classes)
    return simulate.vectorised(P, ratio, events, W, np.array([cfg.initial_capital]), costs,
                               np.array([cfg.cash_buffer]), cfg.fill_convention)


def _run_stepping(cfg, universe, strategy, prices, where, P, ratio, calendar, q0, state, lo, hi):
    syms = cfg.symbols
    frame = prices[[*syms, universe.cash_symbol]]
    lookback = max(1, strategy.lookback_days)
    hist_vals = state.nav_history.to_numpy(dtype=float)
    run_dates = prices.index[where]
    nav_index = pd.DatetimeIndex(state.nav_history.index).append(run_dates)  # sliced, never rebuilt
    reads_nav = strategy.reads_nav_history
    n_syms = len(syms)

    def targets(e: int, nav_before: np.ndarray) -> np.ndarray:
        i = where[e]
        if cfg.strategy in PRICE_ONLY:
            w = precomputed_weights(cfg.strategy, cfg.params, syms, P[e][None])
        else:
            nav_hist = None
            if reads_nav:  # only path-dependent strategies pay for the series
                nav_hist = pd.Series(np.concatenate([hist_vals, nav_before[0]]),
                                     index=nav_index[:len(hist_vals) + e], dtype=float)
            ctx = AllocationContext(date=run_dates[e], prices=frame.iloc[max(0, i + 1 - lookback): i + 1],
                                    symbols=syms, cash_symbol=universe.cash_symbol,
                                    asset_classes=universe.asset_classes, nav_history=nav_hist)
            w = strategy.target_array(ctx)[:n_syms][None]  # ordered [*syms, cash] by contract
        if np.any((w > 0) & ~np.isfinite(P[e])[None]):
            bad = [s for s, x, p in zip(syms, w[0], P[e], strict=True) if x > 0 and not np.isfinite(p)]
            raise AllocationError(f"{cfg.id}: target weight on symbols without a price on "
                                  f"{run_dates[e].date()}: {bad}")
        return apply_bounds(w, lo, hi)

    costs = CostArrays.build([cfg.costs], syms, universe.asset_classes)
    r = cfg.rebalance
    spec = TradeSpec(np.array([cfg.fractional_units]), np.array([cfg.allow_leverage]),
                     np.array([cfg.cash_buffer]), np.array([r.min_trade_value]),
                     np.array([r.min_trade_weight]), cfg.fill_convention)
    w_force = None
    if state.targets is not None:
        w_force = np.array([[state.targets.get(s, 0.0) for s in syms]], dtype=float)
    return simulate.step(r, syms, P, ratio, calendar, q0, np.array([float(state.cash)]),
                         state.date is not None, targets, costs, spec, w_force)


def _frames(cfg: PortfolioConfig, universe: Universe, didx: pd.DatetimeIndex, P: np.ndarray,
            out: simulate.SimOutput, state: PortfolioState) -> EngineResult:
    """The four warehouse tables, each built column-wise from numpy arrays in one go."""
    pid = cfg.id
    nav, cash = out.nav[0], out.cash[0]
    L = len(nav)
    hist = state.nav_history
    prev0 = float(hist.iloc[-1]) if len(hist) else float(cfg.initial_capital)
    prev = np.concatenate([[prev0], nav[:-1]])
    nav_df = _frame({
        "date": didx, "portfolio_id": _const_str(pid, L), "nav": nav, "cash": cash,
        "invested": nav - cash, "costs": out.costs[0], "turnover": out.turnover[0],
        "daily_return": nav / prev - 1.0, "rebalanced": out.rebalanced[0]})
    t, n, qv = _held(out.seg_start, out.seg_q[0], L)
    price = P[t, n]
    mv = qv * price
    pos_df = _frame({"date": didx[t], "portfolio_id": _const_str(pid, len(t)),
                     "symbol": _str_take(cfg.symbols, n), "quantity": qv, "price": price,
                     "market_value": mv, "weight": mv / nav[t]})
    if hasattr(out, "vectorised_dq"):
        ev = out.seg_start
        dq, tc, W = out.vectorised_dq[0], out.vectorised_cost[0], out.vectorised_targets[0]
        reason_names = ["inception" if state.date is None else "calendar", "calendar"]
        reason_codes = np.minimum(np.arange(len(ev)), 1)
        wev = ev
    else:
        ev, dq, tc, reason_codes, reason_names = out.trade_arrays(0)
        wev, W = out.weight_arrays(0)
    trades_df = _trade_frame(pid, didx, cfg.symbols, ev, dq, tc, P, reason_codes, reason_names)
    all_syms = [*cfg.symbols, universe.cash_symbol]
    Wc = np.concatenate([W, 1.0 - W.sum(axis=1, keepdims=True)], axis=1)
    m = len(all_syms)
    weights_df = _frame({"date": didx[np.repeat(wev, m)], "portfolio_id": _const_str(pid, len(wev) * m),
                         "symbol": _str_take(all_syms, np.tile(np.arange(m), len(wev))),
                         "weight": Wc.ravel()})
    last_w = W[-1] if len(wev) else None
    q_end = out.seg_q[0, -1]
    nav_s = pd.Series(nav, index=didx)
    final = PortfolioState(
        date=didx[-1], cash=float(cash[-1]),
        quantities={s: float(x) for s, x in zip(cfg.symbols, q_end, strict=True) if x != 0},
        nav_history=pd.concat([hist.astype(float), nav_s]) if len(hist) else nav_s,
        targets=(dict(zip(cfg.symbols, map(float, last_w), strict=True)) if last_w is not None else state.targets))
    return EngineResult(nav_df, pos_df, trades_df, weights_df, final)


def _held(seg_start: np.ndarray, seg_q: np.ndarray, L: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(day, asset, quantity) of every non-zero holding, day-major and asset order within a
    day, without materialising the (L, N) holdings: a segment's held assets repeat every day."""
    seg = np.searchsorted(seg_start, np.arange(L), side="right") - 1
    if np.all(seg_q != 0):                                  # every asset held all along
        N = seg_q.shape[1]
        return np.repeat(np.arange(L), N), np.tile(np.arange(N), L), seg_q[seg].ravel()
    s_idx, cols = np.nonzero(seg_q)                          # held assets per segment, in order
    qs = seg_q[s_idx, cols]
    per_seg = np.bincount(s_idx, minlength=len(seg_start))
    seg_off = np.cumsum(per_seg) - per_seg
    per_day = per_seg[seg]
    day_off = np.cumsum(per_day) - per_day
    flat = np.repeat(seg_off[seg] - day_off, per_day) + np.arange(int(per_day.sum()))
    return np.repeat(np.arange(L), per_day), cols[flat], qs[flat]


_STR = pd.Series(["x"]).dtype  # the frame's default string dtype ("str", Arrow-backed)
_ARROW_STR = getattr(_STR, "storage", None) == "pyarrow"


def _str_take(values: Sequence[str], codes: np.ndarray):
    """values[codes] as a string column, gathered by Arrow (no Python object per row)."""
    if not _ARROW_STR:
        return np.asarray(values, dtype=object)[codes]
    from pandas.arrays import ArrowStringArray
    arr = pa.array(list(values), pa.large_string()).take(pa.array(np.asarray(codes, dtype=np.int64)))
    return ArrowStringArray(arr, dtype=_STR)


def _const_str(value: str, n: int):
    """A string column repeating `value` n times, built from Arrow buffers directly."""
    if not _ARROW_STR:
        return np.full(n, value, dtype=object)
    from pandas.arrays import ArrowStringArray
    b = value.encode()
    offsets = np.arange(n + 1, dtype=np.int64) * len(b)
    arr = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(b * n))
    return ArrowStringArray(arr, dtype=_STR)


def _frame(columns: dict) -> pd.DataFrame:
    return pd.DataFrame(columns, copy=False)


def _trade_frame(pid: str, didx: pd.DatetimeIndex, syms: Sequence[str], ev: np.ndarray, dq: np.ndarray,
                 tc: np.ndarray, P: np.ndarray, reason_codes: np.ndarray,
                 reason_names: Sequence[str]) -> pd.DataFrame:
    """One row per ticket; within a date, sells come before buys."""
    k, n = np.nonzero(dq)
    d = dq[k, n]
    order = np.lexsort((n, np.sign(d), k))
    k, n, d = k[order], n[order], d[order]
    e = ev[k]
    price = P[e, n]
    qty = np.abs(d)
    return _frame({"trade_date": didx[e], "portfolio_id": _const_str(pid, len(k)),
                   "symbol": _str_take(syms, n), "side": _str_take(["SELL", "BUY"], (d > 0).astype(np.int64)),
                   "quantity": qty, "price": price, "notional": qty * price, "cost": tc[k, n],
                   "reason": _str_take(reason_names, reason_codes[k])})


def _empty(state: PortfolioState) -> EngineResult:
    return EngineResult(pd.DataFrame(columns=NAV_COLUMNS), pd.DataFrame(columns=POSITION_COLUMNS),
                        pd.DataFrame(columns=TRADE_COLUMNS), pd.DataFrame(columns=WEIGHT_COLUMNS), state)


# --------------------------------------------------------------------------- many at once


@dataclass(frozen=True)
class BatchResult:
    """NAV of many portfolios over the same dates: (K, L), rows in `ids` order."""

    ids: list[str]
    dates: pd.DatetimeIndex
    nav: np.ndarray
    costs: np.ndarray


def run_batch(cfgs: Sequence[PortfolioConfig], universe: Universe, prices: pd.DataFrame,
              dates: Sequence[pd.Timestamp]) -> BatchResult:
    """Vectorisable portfolios sharing a rule, fill convention and cash switch, from inception
    at dates[0]: one kernel call for all of them (bulk backfills and benchmarks)."""
    first = cfgs[0]
    for c in cfgs:
        if not is_vectorisable(c):
            raise ValueError(f"{c.id}: not vectorisable")
        shared = (c.rebalance, c.fill_convention, c.accrue_cash)
        if shared != (first.rebalance, first.fill_convention, first.accrue_cash):
            raise ValueError(f"{c.id}: batch members must share rule, fill convention and accrue_cash")
    syms = sorted({s for c in cfgs for s in c.symbols})
    index = prices.index
    didx = pd.DatetimeIndex(dates)
    where = index.get_indexer(didx)
    P = prices[syms].to_numpy(dtype=float)[where]
    ratio = _cash_ratio(first, prices[universe.cash_symbol].to_numpy(dtype=float), where, None)
    events = np.unique(np.concatenate([[0], np.flatnonzero(calendar_mask(first.rebalance, index)[where])]))
    Pe = P[events]
    W = _batch_targets(cfgs, syms, Pe)
    costs = CostArrays.build([c.costs for c in cfgs], syms, universe.asset_classes)
    out = simulate.vectorised(P, ratio, events, W, np.array([c.initial_capital for c in cfgs]), costs,
                              np.array([c.cash_buffer for c in cfgs]), first.fill_convention, nav_only=True)
    return BatchResult([c.id for c in cfgs], didx, out.nav, out.costs)


def _batch_targets(cfgs: Sequence[PortfolioConfig], syms: list[str], Pe: np.ndarray) -> np.ndarray:
    """(K, m, N) bounded risky targets. Unbounded static mixes (the bulk of a large batch) are
    one row each, broadcast over dates; others go through `precomputed_weights`."""
    col = {s: i for i, s in enumerate(syms)}
    W = np.empty((len(cfgs), *Pe.shape))
    static = [k for k, c in enumerate(cfgs) if c.strategy == "static_mix"
              and c.weight_bounds[0] == 0.0 and c.weight_bounds[1] >= 1.0]
    if static:
        rows = np.zeros((len(static), Pe.shape[1]))
        for r, k in enumerate(static):
            weights = cfgs[k].params.weights
            for s in cfgs[k].symbols:
                rows[r, col[s]] = weights.get(s, 0.0)
        if np.any((rows[:, None, :] > 0) & ~np.isfinite(Pe)[None]):
            raise AllocationError("static_mix: target weight on a symbol without a price")
        W[static] = rows[:, None, :]
    done = set(static)
    for k, c in enumerate(cfgs):
        if k not in done:
            W[k] = apply_bounds(_batch_weights(c, syms, Pe), *c.weight_bounds)
    return W


def _batch_weights(cfg: PortfolioConfig, syms: list[str], Pe: np.ndarray) -> np.ndarray:
    own = [syms.index(s) for s in cfg.symbols]
    w = np.zeros_like(Pe)
    w[:, own] = precomputed_weights(cfg.strategy, cfg.params, cfg.symbols, Pe[:, own])
    return w
