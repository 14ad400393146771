"""Monthly factor returns with the date each value became known.

Factors (monthly, decimal):
- MKT, SMB, HML: Fama-French market excess return, size and value; released at the end of the
  following month, so month m is known on its release date (about five weeks after m ends).
- TERM: change over the month of the 10y minus 3m Treasury spread (known at the month's end).
- CREDIT: change of the Baa minus Aaa spread (percent points / 100), known on release.
- INFL: core CPI log change over the month, known on release (mid next month).
- OIL: WTI crude (FRED DCOILWTICO) return over the month, known at the month's end.
- MOM, LOWVOL, REV: long-short portfolios of the stock universe, equal weight in the top and
  bottom third, formed at the end of the previous month with data known then:
  MOM = 12-1 month return (winners minus losers), LOWVOL = trailing 252-day volatility (low minus
  high), REV = previous month's return (losers minus winners). Known at the month's end.

`FactorPanel.as_of(D)` hides every value not known at the close of D, so one panel built from
the lake serves every date of a backfill without look-ahead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.features.calendar import month_ends
from pipelines.features.inputs import MarketInputs
from pipelines.features.macro import known_on, monthly_observations

FACTORS = ("MKT", "SMB", "HML", "TERM", "CREDIT", "INFL", "OIL", "MOM", "LOWVOL", "REV")
FF_SERIES = {"MKT": "FF_MKT_RF", "SMB": "FF_SMB", "HML": "FF_HML"}
CASH = "CASH"


@dataclass(frozen=True)
class FactorPanel:
    """returns: (n_months, n_factors) monthly factor returns indexed by month (Period 'M');
    known: same shape, the date each value became known; asset_returns: (n_months, n_assets)
    monthly excess returns over cash, known at each month's last trading day (`month_end`)."""

    returns: pd.DataFrame
    known: pd.DataFrame
    asset_returns: pd.DataFrame
    month_end: pd.Series

    def as_of(self, date: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(factor returns, asset returns) with only the values known at the close of `date`;
        months not yet over at `date` are dropped (their last trading day is not known yet)."""
        date = pd.Timestamp(date)
        over = self.month_end.index < date.to_period("M")
        f = self.returns[over].where(self.known[over] <= date)
        return f, self.asset_returns[over]


def _long_short(score: pd.DataFrame, fwd: pd.DataFrame, high_long: bool) -> pd.Series:
    """Equal-weight top third minus bottom third of `score`, earning next month's `fwd`."""
    s = score.to_numpy(dtype=float)
    r = fwd.to_numpy(dtype=float)
    ok = np.isfinite(s) & np.isfinite(r)
    n = ok.sum(axis=1)
    k = np.floor(n / 3).astype(int)
    ranks = np.where(ok, np.argsort(np.argsort(np.where(ok, s, np.inf), axis=1), axis=1), -1)
    top = ok & (ranks >= (n - k)[:, None])
    bottom = ok & (ranks >= 0) & (ranks < k[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        long = np.where(top, r, 0.0).sum(axis=1) / k
        short = np.where(bottom, r, 0.0).sum(axis=1) / k
    out = long - short if high_long else short - long
    return pd.Series(np.where(k > 0, out, np.nan), index=score.index)


def build_panel(data: MarketInputs, stocks: Sequence[str]) -> FactorPanel:
    """Factor and asset monthly returns from daily closes and macro rows (see module doc)."""
    px = data.prices
    ends = month_ends(px.index)
    months = ends.to_period("M")
    end_px = px.reindex(ends)
    end_px.index = months
    cash_ret = end_px[CASH].pct_change(fill_method=None)
    simple = end_px.pct_change(fill_method=None)
    excess = simple.sub(cash_ret, axis=0).drop(columns=[CASH])
    month_end = pd.Series(ends, index=months)
    known_end = pd.DataFrame({f: ends for f in FACTORS}, index=months)
    f = pd.DataFrame(index=months, columns=list(FACTORS), dtype=float)

    for name, series in FF_SERIES.items():
        obs = monthly_observations(data.macro, series).reindex(months)
        f[name] = obs["value"] / 100.0
        known_end[name] = obs["release_date"]
    level = known_on(data.macro, ["DGS10", "DGS3MO", "DCOILWTICO"], px.index).ffill().reindex(ends)
    level.index = months
    f["TERM"] = (level["DGS10"] - level["DGS3MO"]).diff()
    f["OIL"] = level["DCOILWTICO"].pct_change(fill_method=None)
    baa, aaa = monthly_observations(data.macro, "BAA"), monthly_observations(data.macro, "AAA")
    spread = (baa["value"] - aaa["value"]).reindex(months) / 100.0
    f["CREDIT"] = spread.diff()
    known_end["CREDIT"] = baa["release_date"].combine(aaa["release_date"], max).reindex(months)
    cpi = monthly_observations(data.macro, "CPILFESL")
    f["INFL"] = np.log(cpi["value"] / cpi["value"].shift(1, freq="M").reindex(cpi.index)).reindex(months)
    known_end["INFL"] = cpi["release_date"].reindex(months)

    st = end_px[list(stocks)]
    st_ret = st.pct_change(fill_method=None)
    fwd = st_ret.shift(-1)
    mom = st.shift(1) / st.shift(12) - 1.0
    daily = px[list(stocks)].pct_change(fill_method=None)
    vol = daily.rolling(252, min_periods=189).std().reindex(ends)
    vol.index = months
    f["MOM"] = _long_short(mom, fwd, high_long=True).shift(1)
    f["LOWVOL"] = _long_short(vol, fwd, high_long=False).shift(1)
    f["REV"] = _long_short(st_ret, fwd, high_long=False).shift(1)
    known_end = known_end.where(f.notna())
    return FactorPanel(f, known_end, excess, month_end)
