"""The engine's four fact tables, built column-wise from the kernels' numpy arrays in one go
(Arrow-gathered string columns, positions from holding segments: no Python object per row).

Every row carries the model version in force: the version that produced the targets a date's
holdings follow (target_weights rows: the version of that evaluation).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from pipelines.config import PortfolioConfig, Universe

if TYPE_CHECKING:
    from pipelines.portfolio.engine import EngineResult, PortfolioState
    from pipelines.portfolio.simulate import SimOutput, VectorOutput

NAV_COLUMNS = ["date", "portfolio_id", "nav", "cash", "invested", "costs", "turnover",
               "daily_return", "rebalanced", "model_version"]
POSITION_COLUMNS = ["date", "portfolio_id", "symbol", "quantity", "price", "market_value", "weight",
                    "model_version"]
TRADE_COLUMNS = ["trade_date", "portfolio_id", "symbol", "side", "quantity", "price", "notional",
                 "cost", "reason", "model_version"]
WEIGHT_COLUMNS = ["date", "portfolio_id", "symbol", "weight", "adopted", "model_version"]


def empty(state: PortfolioState) -> EngineResult:
    from pipelines.portfolio.engine import EngineResult

    return EngineResult(pd.DataFrame(columns=NAV_COLUMNS), pd.DataFrame(columns=POSITION_COLUMNS),
                        pd.DataFrame(columns=TRADE_COLUMNS), pd.DataFrame(columns=WEIGHT_COLUMNS), state)


def from_vectorised(cfg: PortfolioConfig, universe: Universe, didx: pd.DatetimeIndex, P: np.ndarray,
                    out: VectorOutput, state: PortfolioState) -> EngineResult:
    ev = out.seg_start
    reason_names = ["inception" if state.date is None else "calendar", "calendar"]
    reason_codes = np.minimum(np.arange(len(ev)), 1)
    W = out.targets[0]
    none = np.full(len(ev), None, dtype=object)
    parts = _Parts(ev, out.dq[0], out.ticket_cost[0], reason_codes, reason_names, none,
                   ev, W, np.ones(len(ev), dtype=bool), none, ev, none)
    return _result(cfg, universe, didx, P, out, state, parts)


def from_stepping(cfg: PortfolioConfig, universe: Universe, didx: pd.DatetimeIndex, P: np.ndarray,
                  out: SimOutput, state: PortfolioState) -> EngineResult:
    N = len(cfg.symbols)
    ev = np.array([t.e for t in out.events], dtype=int)
    if out.events:
        dq = np.stack([t.delta[0] for t in out.events])
        tc = np.stack([t.cost[0] for t in out.events])
        names, codes = np.unique(np.array([t.reason[0] for t in out.events], dtype=object).astype(str),
                                 return_inverse=True)
        reason_codes, reason_names = codes.astype(np.int64), [str(x) for x in names]
        trade_versions = np.array([t.version[0] for t in out.events], dtype=object)
    else:
        dq, tc = np.zeros((0, N)), np.zeros((0, N))
        reason_codes, reason_names = np.zeros(0, dtype=np.int64), []
        trade_versions = np.zeros(0, dtype=object)
    wev = np.array([t.e for t in out.targets], dtype=int)
    W = np.stack([t.weights[0] for t in out.targets]) if out.targets else np.zeros((0, N))
    adopted = np.array([bool(t.adopted[0]) for t in out.targets], dtype=bool)
    w_versions = np.array([t.version[0] for t in out.targets], dtype=object)
    # the version in force changes where new targets are adopted
    change = wev[adopted]
    change_versions = w_versions[adopted]
    parts = _Parts(ev, dq, tc, reason_codes, reason_names, trade_versions, wev, W, adopted, w_versions,
                   change, change_versions)
    return _result(cfg, universe, didx, P, out, state, parts)


class _Parts:
    """Per-event arrays of one portfolio: trades (positions ev, deltas, costs, reasons,
    versions), evaluated targets (positions wev, weights, adopted, versions) and where the version
    in force changes."""

    def __init__(self, ev, dq, tc, reason_codes, reason_names, trade_versions, wev, W, adopted,
                 w_versions, change_at, change_versions) -> None:
        self.ev, self.dq, self.tc = ev, dq, tc
        self.reason_codes, self.reason_names, self.trade_versions = reason_codes, reason_names, trade_versions
        self.wev, self.W, self.adopted, self.w_versions = wev, W, adopted, w_versions
        self.change_at, self.change_versions = change_at, change_versions


def _versions_in_force(parts: _Parts, L: int, initial: str | None) -> tuple[np.ndarray, list[str | None]]:
    """The model version in force at each run position, as (L,) codes into a list of versions
    (a handful of values over thousands of rows: no Python object per row)."""
    values: list[str | None] = [initial]
    if all(v == initial for v in parts.change_versions):
        return np.zeros(L, dtype=np.int64), values
    at_change = []
    for v in parts.change_versions:
        if v not in values:
            values.append(v)
        at_change.append(values.index(v))
    change = np.searchsorted(np.asarray(parts.change_at), np.arange(L), side="right") - 1
    codes = np.where(change >= 0, np.asarray(at_change, dtype=np.int64)[np.maximum(change, 0)], 0)
    return codes, values


def _result(cfg, universe, didx, P, out, state, parts: _Parts) -> EngineResult:
    from pipelines.portfolio.engine import EngineResult, PortfolioState

    pid = cfg.id
    nav, cash = out.nav[0], out.cash[0]
    L = len(nav)
    hist = state.nav_history
    prev0 = float(cfg.initial_capital) if state.nav is None else float(state.nav)
    prev = np.concatenate([[prev0], nav[:-1]])
    vcodes, vnames = _versions_in_force(parts, L, state.targets_version)
    nav_df = _frame({
        "date": didx, "portfolio_id": _const_str(pid, L), "nav": nav, "cash": cash,
        "invested": nav - cash, "costs": out.costs[0], "turnover": out.turnover[0],
        "daily_return": nav / prev - 1.0, "rebalanced": out.rebalanced[0],
        "model_version": _coded_str(vcodes, vnames)})
    pos_df = _position_frame(pid, cfg.symbols, didx, P, nav, out, vcodes, vnames)
    trades_df = _trade_frame(pid, didx, cfg.symbols, parts, P)
    all_syms = [*cfg.symbols, universe.cash_symbol]
    Wc = np.concatenate([parts.W, 1.0 - parts.W.sum(axis=1, keepdims=True)], axis=1)
    m, E = len(all_syms), len(parts.wev)
    weights_df = _frame({"date": didx[np.repeat(parts.wev, m)], "portfolio_id": _const_str(pid, E * m),
                         "symbol": _str_take(all_syms, np.tile(np.arange(m), E)), "weight": Wc.ravel(),
                         "adopted": np.repeat(parts.adopted, m),
                         "model_version": _obj_str(parts.w_versions, repeat=m)})
    adopted_at = np.flatnonzero(parts.adopted)
    q_end = out.seg_q[0, -1]
    nav_s = pd.Series(nav, index=didx)
    if len(adopted_at):
        k = adopted_at[-1]
        targets = dict(zip(cfg.symbols, map(float, parts.W[k]), strict=True))
        version = parts.w_versions[k]
    else:
        targets, version = state.targets, state.targets_version
    final = PortfolioState(
        date=didx[-1], cash=float(cash[-1]), nav=float(nav[-1]),
        quantities={s: float(x) for s, x in zip(cfg.symbols, q_end, strict=True) if x != 0},
        nav_history=pd.concat([hist.astype(float), nav_s]) if len(hist) else nav_s,
        targets=targets, targets_version=version)
    return EngineResult(nav_df, pos_df, trades_df, weights_df, final)


def _position_frame(pid: str, symbols: Sequence[str], didx: pd.DatetimeIndex, P: np.ndarray, nav: np.ndarray,
                    out, vcodes: np.ndarray, vnames: list[str | None]) -> pd.DataFrame:
    """One row per held (date, symbol), day-major. When every asset is held all along (static
    mixes, equal weight) the rows are the (L, N) grid itself: reshapes and repeats instead of
    gathers."""
    L, N = len(nav), len(symbols)
    t, n, qv = _held(out.seg_start, out.seg_q[0], L)
    if t is None:
        price, dates, day_nav = np.ascontiguousarray(P).reshape(-1), didx.repeat(N), np.repeat(nav, N)
        symbol = _tiled_str(symbols, L)
    else:
        price, dates, day_nav = P[t, n], didx[t], nav[t]
        symbol = _str_take(symbols, n)
    if all(v is None for v in vnames):
        version = _coded_str(np.zeros(len(qv), dtype=np.int64), [None])
    else:
        version = _coded_str(np.repeat(vcodes, N) if t is None else vcodes[t], vnames)
    mv = qv * price
    return _frame({"date": dates, "portfolio_id": _const_str(pid, len(qv)), "symbol": symbol,
                   "quantity": qv, "price": price, "market_value": mv, "weight": mv / day_nav,
                   "model_version": version})


def _held(seg_start: np.ndarray, seg_q: np.ndarray, L: int):
    """(day, asset, quantity) of every non-zero holding, day-major and asset order within a
    day, without materialising the (L, N) holdings: a segment's held assets repeat every day.
    Day and asset are None when every asset is held on every day (the rows are the grid)."""
    seg = np.searchsorted(seg_start, np.arange(L), side="right") - 1
    if np.all(seg_q != 0):                                  # every asset held all along
        return None, None, seg_q[seg].ravel()
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
    return _tiled_str([value], n)


def _tiled_str(values: Sequence[str], n: int):
    """A string column of `values` repeated n times over (v0, v1, ..., v0, v1, ...), built
    from Arrow buffers directly (no gather, no Python object per row)."""
    if not _ARROW_STR:
        return np.tile(np.asarray(values, dtype=object), n)
    from pandas.arrays import ArrowStringArray
    encoded = [v.encode() for v in values]
    start = np.zeros(len(encoded) + 1, dtype=np.int64)     # each value's start within one tile
    np.cumsum([len(b) for b in encoded], out=start[1:])
    total, k = int(start[-1]), len(encoded)
    offsets = np.empty(n * k + 1, dtype=np.int64)
    np.add((np.arange(n, dtype=np.int64) * total)[:, None], start[:-1], out=offsets[:-1].reshape(n, k))
    offsets[-1] = n * total
    arr = pa.LargeStringArray.from_buffers(n * k, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded) * n))
    return ArrowStringArray(arr, dtype=_STR)


def _coded_str(codes: np.ndarray, names: Sequence[str | None]):
    """A nullable string column names[codes] (None for a missing version), gathered by Arrow."""
    names = list(names)
    if not _ARROW_STR:
        return pd.array([names[c] for c in codes], dtype="string")
    from pandas.arrays import ArrowStringArray
    if all(n is None for n in names):
        return ArrowStringArray(pa.nulls(len(codes), pa.large_string()), dtype=_STR)
    idx = pa.array(np.asarray(codes, dtype=np.int64), type=pa.int64())
    return ArrowStringArray(pa.array(names, pa.large_string()).take(idx), dtype=_STR)


def _obj_str(values: np.ndarray, repeat: int = 1):
    """A nullable string column from a short object array of str / None, each value `repeat`
    times in a row."""
    values = np.asarray(values, dtype=object)
    if not any(v is not None for v in set(values.tolist())):
        return _coded_str(np.zeros(len(values) * repeat, dtype=np.int64), [None])
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    names = [None, *map(str, uniques)]
    return _coded_str(np.repeat(codes + 1, repeat), names)


def _frame(columns: dict) -> pd.DataFrame:
    return pd.DataFrame(columns, copy=False)


def _trade_frame(pid: str, didx: pd.DatetimeIndex, syms: Sequence[str], parts: _Parts,
                 P: np.ndarray) -> pd.DataFrame:
    """One row per ticket with a non-zero quantity; within a date, sells come before buys."""
    k, n = np.nonzero(parts.dq)
    d = parts.dq[k, n]
    order = np.lexsort((n, np.sign(d), k))
    k, n, d = k[order], n[order], d[order]
    e = parts.ev[k]
    price = P[e, n]
    qty = np.abs(d)
    return _frame({"trade_date": didx[e], "portfolio_id": _const_str(pid, len(k)),
                   "symbol": _str_take(syms, n), "side": _str_take(["SELL", "BUY"], (d > 0).astype(np.int64)),
                   "quantity": qty, "price": price, "notional": qty * price, "cost": parts.tc[k, n],
                   "reason": _str_take(parts.reason_names, parts.reason_codes[k]),
                   "model_version": _obj_str(parts.trade_versions[k])})
