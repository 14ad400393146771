"""Macro series as they were known: each value enters on its release date, never earlier.

`macro` frames are the curated lake's long rows (series, obs_date, release_date, value), one
vintage per observation (the lake keeps the latest vintage known by its read date).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


def known_on(macro: pd.DataFrame, series: Sequence[str], dates: pd.DatetimeIndex) -> pd.DataFrame:
    """(len(dates), len(series)) the latest observation released on or before each date.

    'Latest' means the newest observation date among the rows released by then, so a late
    revision of an old month never masquerades as the current value.
    """
    out = {}
    left = pd.DataFrame({"date": pd.DatetimeIndex(dates)})
    for name in series:
        rows = macro.loc[macro["series"] == name, ["obs_date", "release_date", "value"]]
        if rows.empty:
            raise KeyError(f"macro series {name!r} has no rows")
        rows = rows.sort_values(["release_date", "obs_date"])
        # newest observation released so far: carry forward the running max of obs_date
        rows = rows[rows["obs_date"] >= rows["obs_date"].cummax()]
        got = pd.merge_asof(left, rows.rename(columns={"release_date": "date"}), on="date",
                            direction="backward")
        out[name] = got["value"].to_numpy(dtype=float)
    return pd.DataFrame(out, index=pd.DatetimeIndex(dates))


def monthly_observations(macro: pd.DataFrame, name: str) -> pd.DataFrame:
    """One series' monthly rows: index = month (Period), columns value and release_date."""
    rows = macro.loc[macro["series"] == name, ["obs_date", "release_date", "value"]]
    if rows.empty:
        raise KeyError(f"macro series {name!r} has no rows")
    rows = rows.sort_values("obs_date").drop_duplicates("obs_date", keep="last")
    idx = pd.PeriodIndex(rows["obs_date"], freq="M")
    return pd.DataFrame({"value": rows["value"].to_numpy(dtype=float),
                         "release_date": pd.DatetimeIndex(rows["release_date"])}, index=idx)


def yoy_known_on(macro: pd.DataFrame, name: str, dates: pd.DatetimeIndex) -> pd.Series:
    """Year-on-year change of a monthly index, as known on each date (latest released month
    over the same month a year earlier)."""
    m = monthly_observations(macro, name)
    yoy = m["value"] / m["value"].shift(12, freq="M").reindex(m.index) - 1.0
    rows = pd.DataFrame({"obs_date": m.index.to_timestamp(), "release_date": m["release_date"].to_numpy(),
                         "value": yoy.to_numpy(dtype=float), "series": name}).dropna(subset=["value"])
    return known_on(rows, [name], dates)[name]

