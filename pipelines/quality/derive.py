"""Derived columns the suites check: checks GX has no built-in for become plain column checks.

A daily return bound becomes `abs_log_return <= error_abs_log_return`, a stale feed becomes
`run_length < stale_after`, a calendar gap becomes `business_day_gap <= max_business_day_gap`.
Each function returns a new frame (inputs are never changed), vectorised per symbol.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.config import Universe
from pipelines.quality.config import MacroRules, PriceRules

PRICE_KEYS = ["date", "symbol"]
MACRO_KEYS = ["series", "obs_date", "release_date"]


def schema_view(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Python objects: GX 1.x type checks do not know pandas 3's `str` dtype,
    but check object columns value by value (so "str" in a type list matches real strings)."""
    out = df.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.StringDtype):
            out[c] = out[c].astype(object)
    return out


def raw_prices_view(df: pd.DataFrame) -> pd.DataFrame:
    """As received, plus the step in days between a symbol's consecutive rows (file order)."""
    out = df.reset_index(drop=True).copy()
    dates = pd.to_datetime(out["date"])
    step = dates.groupby(out["symbol"], sort=False).diff().dt.days
    out["date_step_days"] = step.astype(float)
    return out


def raw_macro_view(df: pd.DataFrame, rules: MacroRules) -> pd.DataFrame:
    """As received, plus the release lag in days and the series' plausible range."""
    out = df.reset_index(drop=True).copy()
    lag = pd.to_datetime(out["release_date"]) - pd.to_datetime(out["obs_date"])
    out["release_lag_days"] = lag.dt.days.astype(float)
    lo = {k: v[0] for k, v in rules.ranges.items()}
    hi = {k: v[1] for k, v in rules.ranges.items()}
    out["range_min"] = out["series"].map(lo).astype(float)
    out["range_max"] = out["series"].map(hi).astype(float)
    return out


def _run_length(close: pd.Series, symbol: pd.Series) -> np.ndarray:
    """How many consecutive rows (this one included) a symbol's close has not changed."""
    same = (close.groupby(symbol, sort=False).diff() == 0).to_numpy()
    starts = ~same
    idx = np.arange(len(close))
    last_start = np.maximum.accumulate(np.where(starts, idx, 0))
    return (idx - last_start + 1).astype(float)


def _waived(frame: pd.DataFrame, rules: PriceRules, check: str) -> np.ndarray:
    mask = np.zeros(len(frame), dtype=bool)
    for w in rules.waivers:
        if check in w.checks:
            mask |= ((frame["symbol"] == w.symbol) & (frame["date"] >= pd.Timestamp(w.start))
                     & (frame["date"] <= pd.Timestamp(w.end))).to_numpy()
    return mask


def curated_prices_view(history: pd.DataFrame, batch: pd.DataFrame, universe: Universe,
                        rules: PriceRules) -> pd.DataFrame:
    """The batch merged over recent curated history, with the columns the curated suite checks.

    History rows only give context (previous close, runs, gaps); the rows returned are those of
    the batch as they would land in the curated lake.
    """
    hist = history[PRICE_KEYS + ["close"]].assign(_in_batch=False)
    new = batch[PRICE_KEYS + ["close"]].assign(_in_batch=True)
    both = pd.concat([hist, new], ignore_index=True)
    both["date"] = pd.to_datetime(both["date"])
    both = (both.drop_duplicates(PRICE_KEYS, keep="last")
            .sort_values(["symbol", "date"]).reset_index(drop=True))

    classes = universe.asset_classes
    both["asset_class"] = both["symbol"].map(classes).fillna("unknown")
    th = rules.asset_classes
    warn = both["asset_class"].map({k: v.warn_abs_log_return for k, v in th.items()})
    err = both["asset_class"].map({k: v.error_abs_log_return for k, v in th.items()})
    stale = both["asset_class"].map({k: v.stale_after for k, v in th.items()})

    prev = both.groupby("symbol", sort=False)["close"].shift(1)
    both["prev_close"] = prev
    both["abs_log_return"] = np.abs(np.log(both["close"] / prev))
    no_return_check = _waived(both, rules, "return")
    both["warn_abs_log_return"] = np.where(no_return_check, np.inf, warn.astype(float))
    both["error_abs_log_return"] = np.where(no_return_check, np.inf, err.astype(float))
    both["run_length"] = _run_length(both["close"], both["symbol"])
    both["stale_after"] = np.where(_waived(both, rules, "stale"), np.inf, stale.astype(float))

    # Calendar of the merged data: one row per trading date.
    dates = np.sort(both["date"].unique())
    days = dates.astype("datetime64[D]")
    gap = np.concatenate([[np.nan], np.busday_count(days[:-1], days[1:]).astype(float)])
    both["business_day_gap"] = both["date"].map(dict(zip(dates, gap, strict=True)))
    both["weekday"] = both["date"].dt.dayofweek.astype(float)

    # Completeness: every symbol of the universe that has started by a date must have a row on
    # it (a symbol outside the universe is the raw suite's error, never an expectation here).
    known = both[both["symbol"].isin(classes)]
    first = known.groupby("symbol")["date"].min()
    starts = np.sort(first.to_numpy())
    both["symbols_expected"] = np.searchsorted(starts, both["date"].to_numpy(), side="right").astype(float)
    both["symbols_on_date"] = known.groupby("date")["symbol"].size().reindex(both["date"]).fillna(0).to_numpy()
    both["symbols_missing"] = both["date"].map(_missing_by_date(known, first)).fillna("")

    out = both[both["_in_batch"]].drop(columns="_in_batch")
    return out.sort_values(PRICE_KEYS).reset_index(drop=True)


def _missing_by_date(rows: pd.DataFrame, first: pd.Series) -> pd.Series:
    """Per date, the started symbols without a row on it ("AAPL,WMT"), so a completeness
    failure names them; dates with nothing missing are left out."""
    present = pd.crosstab(rows["date"], rows["symbol"]).gt(0)
    started = pd.DataFrame(present.index.to_numpy()[:, None] >= first.reindex(present.columns).to_numpy()[None, :],
                           index=present.index, columns=present.columns)
    missing = started & ~present
    hit = missing.any(axis=1)
    names = np.asarray(missing.columns)
    return pd.Series({d: ",".join(names[row]) for d, row in zip(missing.index[hit], missing.to_numpy()[hit],
                                                                 strict=True)}, dtype=object)


def curated_macro_view(history: pd.DataFrame, batch: pd.DataFrame) -> pd.DataFrame:
    """The batch merged over the curated vintages of its series, as they would be stored."""
    hist = history[history["series"].isin(batch["series"].unique())]
    both = pd.concat([hist[MACRO_KEYS + ["value"]], batch[MACRO_KEYS + ["value"]]], ignore_index=True)
    for c in ("obs_date", "release_date"):
        both[c] = pd.to_datetime(both[c])
    both = both.drop_duplicates(MACRO_KEYS, keep="last").sort_values(MACRO_KEYS).reset_index(drop=True)
    both["release_lag_days"] = (both["release_date"] - both["obs_date"]).dt.days.astype(float)
    return both
