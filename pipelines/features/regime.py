"""Point-in-time features of the regime models, one row per trading day.

Each row at date D uses prices up to D's close and macro values released by D (inflation by
its release date, spreads and oil as published). Rolling windows are trailing only, so adding
rows after D changes no row at or before D.

Features (daily windows in trading days; vols annualised with sqrt(252)):
- eq_ret_21, eq_ret_63, eq_ret_252: trailing S&P 500 returns
- eq_vol_21, eq_vol_63: realised S&P 500 volatility
- eq_drawdown: S&P 500 close over its trailing 252-day high, minus one
- bond_ret_63, bond_vol_63: 10-year Treasury total-return index
- term_spread: 10y minus 3m Treasury yield (decimal)
- credit_spread: Moody's Baa minus Aaa yield (percent points, latest monthly release)
- inflation_yoy: core CPI year on year, latest released month
- oil_mom_63: 63-day change of WTI crude (FRED DCOILWTICO)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.features.inputs import MarketInputs
from pipelines.features.macro import known_on, yoy_known_on

EQUITY = "SPX"
BOND = "UST10Y"
CASH = "CASH"
FEATURES = ("eq_ret_21", "eq_ret_63", "eq_ret_252", "eq_vol_21", "eq_vol_63", "eq_drawdown",
            "bond_ret_63", "bond_vol_63", "term_spread", "credit_spread", "inflation_yoy", "oil_mom_63")
# Rows before this many trading days lack a full 252-day window.
WARMUP_DAYS = 252


def regime_features(data: MarketInputs) -> pd.DataFrame:
    """(n_dates, len(FEATURES)) features on every trading day of `data.prices` (NaN in warm-up)."""
    px = data.prices
    idx = px.index
    eq, bond = px[EQUITY], px[BOND]
    eq_r = eq.pct_change(fill_method=None)
    bond_r = bond.pct_change(fill_method=None)
    ann = np.sqrt(252.0)
    macro = known_on(data.macro, ["DGS10", "DGS3MO", "BAA", "AAA", "DCOILWTICO"], idx)
    oil = macro["DCOILWTICO"].ffill()
    out = pd.DataFrame({
        "eq_ret_21": eq / eq.shift(21) - 1.0,
        "eq_ret_63": eq / eq.shift(63) - 1.0,
        "eq_ret_252": eq / eq.shift(252) - 1.0,
        "eq_vol_21": eq_r.rolling(21).std() * ann,
        "eq_vol_63": eq_r.rolling(63).std() * ann,
        "eq_drawdown": eq / eq.rolling(252, min_periods=1).max() - 1.0,
        "bond_ret_63": bond / bond.shift(63) - 1.0,
        "bond_vol_63": bond_r.rolling(63).std() * ann,
        "term_spread": macro["DGS10"] - macro["DGS3MO"],
        "credit_spread": macro["BAA"] - macro["AAA"],
        "inflation_yoy": yoy_known_on(data.macro, "CPILFESL", idx),
        "oil_mom_63": oil / oil.shift(63) - 1.0,
    }, index=idx)
    out.iloc[:WARMUP_DAYS] = np.nan
    return out[list(FEATURES)]


def forward_excess_return(prices: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.Series:
    """Equity return over cash from each date to the next date of `dates` (NaN for the last)."""
    eq = prices[EQUITY].reindex(dates)
    cash = prices[CASH].reindex(dates)
    return (eq.shift(-1) / eq) - (cash.shift(-1) / cash)


def forward_realised_vol(prices: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.Series:
    """Annualised realised volatility of the S&P 500's daily returns from each date of `dates`
    (exclusive) to the next one (inclusive): the volatility of the month that follows a month
    end (NaN for the last date, whose next month is not over)."""
    r = prices[EQUITY].pct_change(fill_method=None)
    r = r[(r.index > dates[0]) & (r.index <= dates[-1])] if len(dates) else r.iloc[:0]
    period = np.searchsorted(dates.to_numpy(), r.index.to_numpy(), side="left") - 1   # index of the start date
    vol = r.groupby(period).std() * np.sqrt(252.0)
    return pd.Series(vol.reindex(np.arange(len(dates))).to_numpy(), index=dates)


# Return-based features of the causal regime models (models.causal_walk_forward), as in Shu, Yu
# and Mulvey (2024): from the S&P 500's daily return over cash up to D's close, for each
# halflife the exponentially weighted mean, the log of the exponentially weighted downside
# deviation and their ratio (a Sortino ratio). The recursions run forward only.
HALFLIVES = (5, 10, 21)
RETURN_WARMUP_DAYS = 63
RETURN_FEATURES = tuple(f"{k}_{hl}" for hl in HALFLIVES for k in ("ret", "dd_log", "sortino"))


def excess_return_features(excess: pd.Series) -> pd.DataFrame:
    """The 9 features on each day of `excess` (daily excess returns), from rows up to that day."""
    out = {}
    for hl in HALFLIVES:
        mean = excess.ewm(halflife=hl).mean()
        dd = np.sqrt((np.minimum(excess, 0.0) ** 2).ewm(halflife=hl).mean())
        out[f"ret_{hl}"] = mean
        out[f"dd_log_{hl}"] = np.log(dd)
        out[f"sortino_{hl}"] = mean / dd
    return pd.DataFrame(out, index=excess.index)[list(RETURN_FEATURES)]


def daily_excess_returns(prices: pd.DataFrame) -> pd.DataFrame:
    """Daily returns of the S&P 500 (`equity`), of cash (`cash`) and their difference
    (`excess`), from the second trading day of `prices`."""
    r = prices[EQUITY].pct_change(fill_method=None)
    c = prices[CASH].pct_change(fill_method=None)
    return pd.DataFrame({"equity": r, "cash": c, "excess": r - c}, index=prices.index).iloc[1:]


def return_features(prices: pd.DataFrame) -> pd.DataFrame:
    """`excess_return_features` of the S&P 500 over cash, NaN in the first
    `RETURN_WARMUP_DAYS` rows after the first return."""
    out = excess_return_features(daily_excess_returns(prices)["excess"])
    out.iloc[:RETURN_WARMUP_DAYS] = np.nan
    return out.reindex(prices.index)
