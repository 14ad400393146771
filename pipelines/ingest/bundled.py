"""The embedded default source: real series vendored under `data/bundled/` (see its README).

It needs no network and serves the data "as of" a date, so that a replay over history sees the
data as it would have arrived day by day. Prices are aligned to the equity trading calendar;
yields and oil are carried forward (as-of) across days their market did not report.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import pandas as pd
from pandas.tseries.offsets import BDay, BMonthEnd, MonthEnd

from pipelines.config import REPO_ROOT, Universe
from pipelines.ingest.sources import MACRO_COLUMNS, PRICE_COLUMNS
from pipelines.ingest.treasury import bond_total_return_index, cash_index

DATA_DIR = REPO_ROOT / "data" / "bundled"
START = pd.Timestamp("1990-01-02")
# The Treasury curve ends here; it bounds the common daily window of every series.
END = pd.Timestamp("2017-03-29")

TREASURY_COLUMNS = {"3month": "DGS3MO", "2year": "DGS2", "5year": "DGS5", "10year": "DGS10"}
BOND_SYMBOLS = {"UST2Y": ("DGS2", 2.0), "UST5Y": ("DGS5", 5.0), "UST10Y": ("DGS10", 10.0)}


def _read_csv(name: str, **kwargs) -> pd.DataFrame:
    path = DATA_DIR / name
    if not path.exists():
        raise FileNotFoundError(f"bundled data file missing: {path}")
    return pd.read_csv(path, **kwargs)


@lru_cache(maxsize=1)
def _treasury_yields() -> pd.DataFrame:
    raw = _read_csv("treasury_curves.csv.gz")
    idx = pd.to_datetime(raw["Time Period"].str.slice(0, 10))
    out = raw[list(TREASURY_COLUMNS)].rename(columns=TREASURY_COLUMNS).astype(float)
    out.index = pd.DatetimeIndex(idx, name="date")
    return out.sort_index()


@lru_cache(maxsize=1)
def _wti() -> pd.Series:
    raw = _read_csv("wti.csv.gz")
    s = pd.Series(pd.to_numeric(raw["DCOILWTICO"], errors="coerce").to_numpy(),
                  index=pd.to_datetime(raw["Date"], format="%m/%d/%Y"), name="DCOILWTICO")
    return s.dropna().sort_index()


@lru_cache(maxsize=1)
def _wide_prices() -> pd.DataFrame:
    """Every bundled symbol on the equity calendar, START..END, no gaps."""
    stocks = _read_csv("sp500_stocks.csv.gz", index_col="Date", parse_dates=True)
    index = _read_csv("sp500_index.csv.gz", index_col="Date", parse_dates=True)["SP500"]
    calendar = index.index[(index.index >= START) & (index.index <= END)]
    wide = stocks.reindex(calendar).astype(float)
    wide["SPX"] = index.reindex(calendar).astype(float)

    yields = _treasury_yields().reindex(calendar.union(_treasury_yields().index)).ffill()
    yields = yields.reindex(calendar)
    for symbol, (series, maturity) in BOND_SYMBOLS.items():
        wide[symbol] = bond_total_return_index(yields[series], maturity)
    wide["CASH"] = cash_index(yields["DGS3MO"])
    wti = _wti()
    wide["WTI"] = wti.reindex(calendar.union(wti.index)).ffill().reindex(calendar)
    wide.index.name = "date"
    return wide


def _month_start(values: pd.Series, fmt: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(values, format=fmt)).to_period("M").to_timestamp()


@lru_cache(maxsize=1)
def _macro_long() -> pd.DataFrame:
    """All macro rows with the date each observation became known."""
    frames = []
    ty = _treasury_yields()
    for series in TREASURY_COLUMNS.values():
        s = ty[series].dropna()
        frames.append(pd.DataFrame({"series": series, "obs_date": s.index,
                                    "release_date": s.index, "value": s.to_numpy()}))
    wti = _wti()
    frames.append(pd.DataFrame({"series": "DCOILWTICO", "obs_date": wti.index,
                                "release_date": wti.index, "value": wti.to_numpy()}))

    cpi = _read_csv("core_cpi.csv.gz")
    obs = _month_start(cpi["Date"], "%m/%d/%Y")
    # Core CPI for month M is published about two weeks after M ends.
    release = pd.DatetimeIndex(obs + MonthEnd(0) + pd.Timedelta(days=15))
    release = release.where(release.dayofweek < 5, release + BDay(1))
    frames.append(pd.DataFrame({"series": "CPILFESL", "obs_date": obs, "release_date": release,
                                "value": cpi["CPILFESL"].astype(float).to_numpy()}))

    aaa_baa = _read_csv("aaa_baa.csv.gz")
    obs = _month_start(aaa_baa["Date"], "%m/%d/%Y")
    release = pd.DatetimeIndex(obs + BMonthEnd(0))  # monthly averages: known at month end
    for col in ("AAA", "BAA"):
        frames.append(pd.DataFrame({"series": col, "obs_date": obs, "release_date": release,
                                    "value": aaa_baa[col].astype(float).to_numpy()}))

    ff = _read_csv("fama_french.csv.gz")
    # YYYYMM integers, parsed here: arch's own loader reads them as day counts.
    obs = _month_start(ff["Date"].astype(str), "%Y%m")
    release = pd.DatetimeIndex(obs + MonthEnd(1) + BMonthEnd(1))  # published about a month later
    for col, series in {"Mkt-RF": "FF_MKT_RF", "SMB": "FF_SMB", "HML": "FF_HML", "RF": "FF_RF"}.items():
        frames.append(pd.DataFrame({"series": series, "obs_date": obs, "release_date": release,
                                    "value": ff[col].astype(float).to_numpy()}))
    out = pd.concat(frames, ignore_index=True)
    out = out[out["release_date"] <= END]
    return out.sort_values(["series", "obs_date"]).reset_index(drop=True)


def _window(col: pd.Series, start: dt.date | None, end: dt.date) -> pd.Series:
    mask = col <= pd.Timestamp(end)
    if start is not None:
        mask &= col > pd.Timestamp(start)
    return mask


def trading_days() -> list[dt.date]:
    """Every trading day of the embedded history (the dates of its price table)."""
    return [d.date() for d in _wide_prices().index]


class BundledSource:
    """Vendored real data: skfolio's S&P 500 stocks and index, Treasury curve, arch's macro."""

    name = "bundled"
    first_date = START.date()
    last_date = END.date()

    def prices(self, universe: Universe, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        wide = _wide_prices()
        missing = [s for s in universe.symbols if s not in wide.columns]
        if missing:
            raise KeyError(f"bundled source has no series for universe symbols {missing}")
        wide = wide.loc[_window(wide.index.to_series(), start, end), universe.symbols]
        long = wide.stack().rename("close").reset_index()
        long.columns = PRICE_COLUMNS
        return long.sort_values(["date", "symbol"]).reset_index(drop=True)

    def macro(self, universe: Universe, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        rows = _macro_long()
        wanted = {m.series for m in universe.macro_series}
        rows = rows[rows["series"].isin(wanted) & _window(rows["release_date"], start, end)]
        return rows[MACRO_COLUMNS].reset_index(drop=True)

    @staticmethod
    def data_dir() -> Path:
        return DATA_DIR
