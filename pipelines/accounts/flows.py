"""Cash flows in time: recurring contributions expanded to their monthly occurrences, and the
trading day each flow takes effect on.

Point in time: a flow takes effect at the close of the first trading day on or after both its
date and the date it was recorded (`recorded_on`). A flow recorded after day D therefore never
changes D or any day before it, and re-running D later sees exactly what D saw.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

FLOW_COLUMNS = ["flow_id", "account_id", "kind", "date", "amount", "end_date", "recorded_on"]


def month_occurrences(start: pd.Series, end: pd.Series, through: dt.date,
                      since: pd.Series | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Monthly occurrences of recurring flows: (row index, occurrence date) for every month from
    each row's `start` (or from the month of its `since`, when later) to its `end` (NaT:
    open-ended) and `through`, on the start's day of month (the month's last day when shorter:
    a contribution on the 31st falls on 30 April)."""
    start = pd.to_datetime(start).to_numpy(dtype="datetime64[D]")
    stop = pd.to_datetime(end).to_numpy(dtype="datetime64[D]")
    limit = np.datetime64(through, "D")
    stop = np.where(np.isnat(stop) | (stop > limit), limit, stop)
    day = (start - start.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64)
    m0 = start.astype("datetime64[M]")
    if since is not None:
        later = pd.to_datetime(since).to_numpy(dtype="datetime64[D]").astype("datetime64[M]")
        m0 = np.where(~np.isnat(later) & (later > m0), later, m0)
    m1 = stop.astype("datetime64[M]")
    count = np.maximum((m1 - m0).astype(np.int64) + 1, 0)
    rows = np.repeat(np.arange(len(start)), count)
    offset = np.arange(len(rows)) - np.repeat(np.cumsum(count) - count, count)
    month = m0[rows] + offset.astype("timedelta64[M]")
    month_len = ((month + 1).astype("datetime64[D]") - month.astype("datetime64[D]")).astype(np.int64)
    when = month.astype("datetime64[D]") + np.minimum(day[rows], month_len - 1).astype("timedelta64[D]")
    keep = when <= stop[rows]
    return rows[keep], when[keep]


def occurrences(flows: pd.DataFrame, through: dt.date, since: dt.date | None = None) -> pd.DataFrame:
    """Every dated occurrence of `flows` (FLOW_COLUMNS) up to `through`: one-off rows as they
    are, recurring rows once a month; columns flow_id, account_id, kind, date, amount, recorded_on
    (and any other column of `flows` but end_date).
    With `since`, recurring rows recorded by then skip the months before it (their occurrences
    there took effect earlier)."""
    cols = ["flow_id", "account_id", "kind", "date", "amount", "recorded_on"]
    cols += [c for c in flows.columns if c not in cols and c != "end_date"]   # the caller's own columns ride along
    if flows.empty:
        return pd.DataFrame({c: pd.Series(dtype=flows[c].dtype if c in flows else object) for c in cols})
    flows = flows.reset_index(drop=True)
    recurring = flows["kind"].to_numpy() == "recurring"
    one_off = flows.loc[~recurring, cols]
    rec = flows[recurring].reset_index(drop=True)
    skip = None
    if since is not None:
        known = pd.to_datetime(rec["recorded_on"]) <= pd.Timestamp(since)
        skip = pd.Series(pd.Timestamp(since), index=rec.index).where(known, pd.NaT)
    rows, when = month_occurrences(rec["date"], rec["end_date"], through, skip)
    expanded = rec.iloc[rows][cols].assign(date=pd.to_datetime(when)).reset_index(drop=True)
    out = pd.concat([one_off.assign(date=pd.to_datetime(one_off["date"])), expanded], ignore_index=True)
    return out[out["date"] <= pd.Timestamp(through)].reset_index(drop=True)


def effective_day(dates: pd.Series, recorded_on: pd.Series, trading_days: pd.DatetimeIndex) -> np.ndarray:
    """Position in `trading_days` of the first day on or after both the flow's date and the day
    it was recorded; len(trading_days) when it falls after the last one."""
    when = np.maximum(pd.to_datetime(dates).to_numpy(dtype="datetime64[ns]"),
                      pd.to_datetime(recorded_on).to_numpy(dtype="datetime64[ns]"))
    return np.searchsorted(trading_days.to_numpy(dtype="datetime64[ns]"), when, side="left")
