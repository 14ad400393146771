"""Tearsheet statistics of a NAV series (what quantstats and pyfolio show), vectorised.

Conventions match `pipelines.analytics.performance`: 252 trading days a year, sample standard
deviations, Sharpe over the cash index. Period returns start from the capital at inception,
so the first month and year include the first day's move and the funding costs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.analytics.performance import annualised

DAYS = 252
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _with_start(values: pd.Series, start_value: float | None) -> pd.Series:
    """The series with its starting value one day before the first date (the capital)."""
    if values.empty:
        return values
    base = float(start_value) if start_value else float(values.iloc[0])
    head = pd.Series([base], index=[values.index[0] - pd.Timedelta(days=1)])
    return pd.concat([head, values])


def period_returns(values: pd.Series, freq: str, start_value: float | None = None) -> pd.Series:
    """Compounded returns per calendar period ('ME' month, 'YE' year) of a value series."""
    if values.empty:
        return pd.Series(dtype=float)
    ends = _with_start(values, start_value).resample(freq).last().dropna()
    return ends.pct_change().iloc[1:]


def monthly_table(values: pd.Series, start_value: float | None = None,
                  benchmark: pd.Series | None = None) -> pd.DataFrame:
    """Years x (Jan .. Dec, Year[, Benchmark]) of compounded returns; NaN where no data."""
    m = period_returns(values, "ME", start_value)
    if m.empty:
        return pd.DataFrame(columns=[*MONTHS, "Year"])
    grid = pd.DataFrame({"year": m.index.year, "month": m.index.month, "r": m.to_numpy()})
    table = grid.pivot(index="year", columns="month", values="r").reindex(columns=range(1, 13))
    table.columns = list(MONTHS)
    y = period_returns(values, "YE", start_value)
    table["Year"] = pd.Series(y.to_numpy(), index=y.index.year)
    if benchmark is not None and len(benchmark):
        b = period_returns(benchmark, "YE", float(values.iloc[0]) if start_value is None else start_value)
        table["Benchmark"] = pd.Series(b.to_numpy(), index=b.index.year)
    table.index.name = "year"
    return table


def rolling_sharpe(returns: pd.Series, risk_free: pd.Series, window: int) -> pd.Series:
    """Annualised Sharpe over the trailing `window` days (NaN until the window is full)."""
    ex = returns - risk_free.reindex(returns.index).fillna(0.0)
    roll = ex.rolling(window)
    sd = roll.std()
    return (roll.mean() / sd.where(sd > 0) * np.sqrt(DAYS)).rename(f"{window}d")


def rolling_volatility(returns: pd.Series, window: int) -> pd.Series:
    return (returns.rolling(window).std() * np.sqrt(DAYS)).rename(f"{window}d")


def drawdown(values: pd.Series) -> pd.Series:
    """Drawdown from the running peak, as a negative fraction (0 at a new high)."""
    return values / values.cummax() - 1.0


def worst_drawdowns(values: pd.Series, top: int = 5) -> pd.DataFrame:
    """The `top` deepest peak-to-trough episodes: peak, trough and recovery dates (NaT while
    under water), depth, trading days from peak to trough and to recovery."""
    cols = ["peak", "trough", "recovery", "depth", "days_to_trough", "days_to_recover"]
    if len(values) < 2:
        return pd.DataFrame(columns=cols)
    dd = drawdown(values).to_numpy()
    under = dd < 0
    if not under.any():
        return pd.DataFrame(columns=cols)
    episode = np.cumsum(~under)[under]        # one id per stretch under water
    pos = np.flatnonzero(under)
    g = pd.DataFrame({"e": episode, "p": pos, "d": dd[under]}).groupby("e")
    worst = g["d"].idxmin()
    ep = pd.DataFrame({"start": g["p"].min() - 1, "end": g["p"].max() + 1,
                       "trough": pos[worst.to_numpy()], "depth": g["d"].min()})
    ep = ep.nsmallest(top, "depth")
    idx, n = values.index, len(dd)
    recovered = ep["end"].to_numpy() < n
    out = pd.DataFrame({
        "peak": idx[ep["start"].to_numpy()], "trough": idx[ep["trough"].to_numpy()],
        "recovery": [idx[e] if ok else pd.NaT for e, ok in zip(ep["end"], recovered, strict=True)],
        "depth": ep["depth"].to_numpy(),
        "days_to_trough": (ep["trough"] - ep["start"]).to_numpy(),
        "days_to_recover": [int(e - s) if ok else None
                            for e, s, ok in zip(ep["end"], ep["start"], recovered, strict=True)]})
    return out.reset_index(drop=True)


def distribution(returns: pd.Series, monthly: pd.Series) -> pd.DataFrame:
    """Shape of daily and monthly returns: mean, volatility, skew, excess kurtosis, best, worst,
    historical 95% VaR and CVaR (as losses, negative), share of positive periods."""
    def stats(r: pd.Series) -> dict[str, float]:
        r = r.dropna()
        if len(r) < 3:
            return {}
        var = float(np.quantile(r, 0.05))
        return {"mean": float(r.mean()), "volatility": float(r.std()), "skew": float(r.skew()),
                "excess kurtosis": float(r.kurt()), "best": float(r.max()), "worst": float(r.min()),
                "VaR 95%": var, "CVaR 95%": float(r[r <= var].mean()),
                "positive": float((r > 0).mean())}
    return pd.DataFrame({"daily": stats(returns), "monthly": stats(monthly)})


def key_figures(nav: pd.Series, start_value: float | None, risk_free: pd.Series,
                benchmark: pd.Series) -> dict[str, float]:
    """Headline numbers from the NAV alone. YTD is the plain return since the last close of
    the previous year (not annualised)."""
    if nav.empty:
        return dict.fromkeys(("nav", "total_return", "cagr", "ytd", "volatility", "sharpe",
                              "max_drawdown", "benchmark_return"), np.nan)
    base = float(start_value) if start_value else float(nav.iloc[0])
    rets = nav.pct_change().iloc[1:]
    prior = nav[nav.index.year < nav.index[-1].year]
    ytd_base = float(prior.iloc[-1]) if len(prior) else base
    ex = rets - risk_free.reindex(rets.index).fillna(0.0)
    sd = ex.std()
    return {
        "nav": float(nav.iloc[-1]),
        "total_return": float(nav.iloc[-1] / base - 1),
        # one CAGR definition (252 observations a year): the performance table's
        "cagr": annualised(float(nav.iloc[-1] / base - 1), len(nav) if start_value else len(nav) - 1),
        "ytd": float(nav.iloc[-1] / ytd_base - 1),
        "volatility": float(rets.std() * np.sqrt(DAYS)) if len(rets) > 1 else np.nan,
        "sharpe": float(ex.mean() / sd * np.sqrt(DAYS)) if len(rets) > 1 and sd > 0 else np.nan,
        "max_drawdown": float(drawdown(_with_start(nav, base)).min()),
        "benchmark_return": float(benchmark.iloc[-1] / benchmark.iloc[0] - 1) if len(benchmark) else np.nan,
    }
