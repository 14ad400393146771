"""Per-account performance as of a run's last day, from the running state and the flows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.accounts.returns import DAYS_A_YEAR, annualise, volatility, xirr
from pipelines.accounts.simulate import State


def performance_frame(state: State, rows: np.ndarray, ids: np.ndarray, models: list[str], as_of: pd.Timestamp,
                      flow_owner: np.ndarray, flow_date: np.ndarray, flow_amount: np.ndarray,
                      drift: np.ndarray, tolerance: np.ndarray) -> pd.DataFrame:
    """One row per live account (`rows`): TWR, MWR (XIRR), volatility, drawdown, tracking
    difference, fees. flow_*: every external flow of the shard's accounts since inception, from
    the account's side (deposits positive), flow_date as datetime64[D]."""
    K = len(ids)
    first = np.full(K, np.datetime64("NaT"), dtype="datetime64[D]")
    if len(flow_owner):
        order = np.lexsort((flow_date, flow_owner))
        o, d = flow_owner[order], flow_date[order]
        starts = np.flatnonzero(np.r_[True, o[1:] != o[:-1]])
        first[o[starts]] = d[starts]
    end = np.datetime64(as_of.date(), "D")
    age = (end - first).astype(np.int64).astype(float)
    mwr_annual = _mwr(state, rows, flow_owner, flow_date, flow_amount, first, end, K)
    twr = state.twr_index - 1.0
    model_return = state.model_index - 1.0
    with np.errstate(invalid="ignore", over="ignore"):
        mwr = np.where(age >= DAYS_A_YEAR, mwr_annual, np.power(1.0 + mwr_annual, age / DAYS_A_YEAR) - 1.0)
    r = rows
    return pd.DataFrame({
        "account_id": ids[r], "as_of": as_of.date(), "portfolio_id": np.asarray(models, dtype=object)[state.model[r]],
        "inception": pd.to_datetime(first[r]).date, "nav": state.nav[r], "deposits": state.deposits[r],
        "withdrawals": state.withdrawals[r], "fees_paid": state.fees_paid[r], "costs_paid": state.costs_paid[r],
        "twr": twr[r], "twr_annualised": annualise(twr, age)[r], "mwr": mwr[r],
        "volatility": volatility(state.n_returns, state.sum_returns, state.sum_sq_returns)[r],
        "max_drawdown": state.max_drawdown[r], "model_return": model_return[r],
        "tracking_difference": (twr - model_return)[r], "drift": drift[r],
        "outside_tolerance": drift[r] > tolerance[r]})


def _mwr(state, rows, owner, date, amount, first, end, K) -> np.ndarray:
    """Annual XIRR of each account: deposits paid in, withdrawals and the ending NAV paid out."""
    alive = np.zeros(K, dtype=bool)
    alive[rows] = True
    keep = alive[owner]
    o = np.concatenate([owner[keep], rows])
    when = np.concatenate([date[keep], np.full(len(rows), end)])
    cash = np.concatenate([-amount[keep], state.nav[rows]])
    years = (when - first[o]).astype(np.int64) / 365.0
    return xirr(o, years, cash, K)
