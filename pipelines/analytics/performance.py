"""Performance metrics of a daily return series, per window.

Conventions (stated once, tested by hand on a small series): 252 observations a year;
CAGR = (1 + total)^(252 / n) - 1; volatility and tracking error use the sample standard
deviation (ddof=1); Sharpe and Sortino use daily excess returns over the cash index (the
risk-free rate); Sortino's downside deviation is sqrt(mean(min(excess, 0)^2)); drawdowns start
from the wealth at the close before the window; hit rate is the share of days with r > 0.
The information ratio is left empty when the tracking error is below MIN_TRACKING_ERROR: the
active returns are then rounding residue (a portfolio holding its benchmark), and their ratio
is noise, not skill.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DAYS = 252
WINDOWS = ("inception", "1y", "3y", "5y", "ytd")
MIN_TRACKING_ERROR = 1e-9  # a year; a real tracking error is at least a basis point, 1e-4


def window_start(window: str, first: pd.Timestamp, as_of: pd.Timestamp) -> pd.Timestamp:
    """Returns strictly after this date belong to the window."""
    if window == "inception":
        return first - pd.Timedelta(days=1)
    if window == "ytd":
        return pd.Timestamp(as_of.year - 1, 12, 31)
    years = int(window[:-1])
    return as_of - pd.DateOffset(years=years)


def drawdown(r: pd.Series) -> tuple[float, pd.Timestamp | None, pd.Timestamp | None, pd.Timestamp | None]:
    """(max drawdown <= 0, peak date, trough date, recovery date or None)."""
    wealth = np.cumprod(1.0 + r.to_numpy())
    w0 = np.concatenate([[1.0], wealth])
    peak = np.maximum.accumulate(w0)[1:]
    dd = wealth / peak - 1.0
    if len(dd) == 0 or dd.min() >= 0:
        return 0.0, None, None, None
    t = int(np.argmin(dd))
    before = w0[: t + 2]
    p = int(np.argmax(before))  # 0 = the close before the window
    peak_date = r.index[p - 1] if p > 0 else None
    after = np.flatnonzero(wealth[t + 1:] >= peak[t])
    recovery = r.index[t + 1 + after[0]] if len(after) else None
    return float(dd[t]), peak_date, r.index[t], recovery


def annualised(total: float, n: int) -> float | None:
    """CAGR of a total return over n daily observations, 252 a year: the one definition the
    tables and the reports use."""
    return float((1.0 + total) ** (DAYS / n) - 1.0) if n else None


def metrics(r: pd.Series, rf: pd.Series, bench: pd.Series | None = None,
            turnover: pd.Series | None = None, costs: pd.Series | None = None) -> dict[str, float | None]:
    """Metrics of daily returns `r` (indexed by date); `rf` and `bench` aligned on r's dates."""
    n = len(r)
    x = r.to_numpy(dtype=float)
    total = float(np.prod(1.0 + x) - 1.0)
    cagr = annualised(total, n)
    vol = float(np.std(x, ddof=1) * np.sqrt(DAYS)) if n > 1 else None
    ex = x - rf.reindex(r.index).fillna(0.0).to_numpy(dtype=float)
    sd = np.std(ex, ddof=1) if n > 1 else 0.0
    sharpe = float(ex.mean() / sd * np.sqrt(DAYS)) if sd > 0 else None
    down = np.sqrt(np.mean(np.minimum(ex, 0.0) ** 2)) if n else 0.0
    sortino = float(ex.mean() / down * np.sqrt(DAYS)) if down > 0 else None
    mdd, peak, trough, rec = drawdown(r)
    out: dict[str, float | None] = {
        "observations": n, "total_return": total, "cagr": cagr, "volatility": vol, "sharpe": sharpe,
        "sortino": sortino, "max_drawdown": mdd, "drawdown_peak": peak, "drawdown_trough": trough,
        "drawdown_recovery": rec, "calmar": (cagr / abs(mdd)) if mdd < 0 and cagr is not None else None,
        "turnover": float(turnover.sum() * DAYS / n) if turnover is not None and n else None,
        "costs_paid": float(costs.sum()) if costs is not None else None,
        "hit_rate": float(np.mean(x > 0)) if n else None,
        "benchmark_return": None, "tracking_error": None, "information_ratio": None}
    if bench is not None:
        b = bench.reindex(r.index).to_numpy(dtype=float)
        ok = np.isfinite(b)
        if ok.sum() > 1:
            active = x[ok] - b[ok]
            te = float(np.std(active, ddof=1) * np.sqrt(DAYS))
            out["benchmark_return"] = float(np.prod(1.0 + b[ok]) - 1.0)
            out["tracking_error"] = te
            out["information_ratio"] = float(active.mean() * DAYS / te) if te > MIN_TRACKING_ERROR else None
    return out


def performance_rows(portfolio_id: str, nav: pd.DataFrame, rf: pd.Series, bench: pd.Series | None,
                     benchmark: str | None) -> pd.DataFrame:
    """One row per window with enough history. nav: date-indexed frame with daily_return,
    turnover and costs; rf and bench: daily returns by date."""
    if nav.empty:
        return pd.DataFrame()
    first, as_of = nav.index[0], nav.index[-1]
    rows = []
    for window in WINDOWS:
        start = window_start(window, first, as_of)
        if window != "inception" and start < first - pd.Timedelta(days=1):
            continue  # not enough history for this window
        sel = nav[nav.index > start]
        if len(sel) < 2:
            continue
        # the initial purchase is not turnover: it is the portfolio being set up, not traded
        turnover = sel["turnover"].where(sel.index != first, 0.0)
        m = metrics(sel["daily_return"], rf, bench, turnover, sel["costs"])
        rows.append({"portfolio_id": portfolio_id, "horizon": window, "as_of": as_of.date(),
                     "start_date": sel.index[0].date(), "end_date": as_of.date(), "benchmark": benchmark, **m})
    df = pd.DataFrame(rows)
    for c in ("drawdown_peak", "drawdown_trough", "drawdown_recovery"):
        df[c] = pd.to_datetime(df[c]).dt.date
    return df
