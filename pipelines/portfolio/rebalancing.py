"""When to rebalance: calendar dates and drift bands.

Calendar rules fire on the first trading day on or after each anchor day (bt's RunMonthly is the
default: the first trading day of each month), so the decision for D needs only D and the
previous trading day. Drift bands compare current weights with the targets.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipelines.config import RebalanceRule

# A weight exactly on the band edge counts as outside: this slack absorbs float round-off only.
EDGE_EPS = 1e-12


def _anchors_on_or_before(idx: pd.DatetimeIndex, rule: RebalanceRule) -> pd.DatetimeIndex:
    """For each date, the latest anchor day on or before it. Anchors are calendar days: the
    rule's weekday of each week (default Monday), or its month day (default the 1st) of each
    month (quarterly: the quarter's first month; annually: January). A month day past the
    month's last weekday is clamped to that weekday (its last trading day unless it is a
    holiday, then the next trading day), so a month day of 28-31 never drops a month."""
    day = idx.normalize()
    if rule.frequency == "weekly":
        monday = day - pd.to_timedelta(day.weekday, unit="D")
        anchor = monday + pd.to_timedelta(rule.weekday or 0, unit="D")
        return anchor.where(anchor <= day, anchor - pd.Timedelta(days=7))
    step = {"monthly": 1, "quarterly": 3, "annually": 12}[rule.frequency]
    k = rule.month_day or 1
    month0 = (day.year.to_numpy() * 12 + day.month.to_numpy() - 1) // step * step  # period's anchor month

    def clamped(months: np.ndarray) -> pd.DatetimeIndex:
        first = pd.DatetimeIndex(pd.to_datetime({"year": months // 12, "month": months % 12 + 1, "day": 1}))
        last = first + pd.to_timedelta(first.days_in_month - 1, unit="D")
        last_weekday = last - pd.to_timedelta(np.maximum(last.weekday - 4, 0), unit="D")
        day_k = first + pd.to_timedelta(k - 1, unit="D")
        return pd.DatetimeIndex(np.where(day_k > last_weekday, last_weekday, day_k))

    anchor = clamped(month0)
    before = clamped(month0 - step)
    return pd.DatetimeIndex(np.where(anchor <= day, anchor, before))


def calendar_mask(rule: RebalanceRule, index: Sequence[pd.Timestamp]) -> np.ndarray:
    """(n_dates,) True where the calendar rule fires: on the first trading day on or after each
    anchor day (bt's RunMonthly by default: the first trading day of each month). The decision
    for D needs only D and the previous trading day: D fires when an anchor falls after the
    previous trading day and on or before D (position 0, with no previous day, fires when it is
    an anchor day; the engine always trades on inception anyway). A month day past a month's
    last weekday is clamped to it, the same way for every frequency."""
    idx = pd.DatetimeIndex(index)
    n = len(idx)
    if rule.frequency == "daily":
        return np.ones(n, dtype=bool)
    if rule.frequency == "never" or n == 0:
        return np.zeros(n, dtype=bool)
    anchors = _anchors_on_or_before(idx, rule)
    prev = np.concatenate([[idx[0].normalize() - pd.Timedelta(days=1)], idx.normalize()[:-1]])
    return np.asarray(anchors > pd.DatetimeIndex(prev))


def band_widths(rule: RebalanceRule, symbols: Sequence[str], targets: np.ndarray) -> np.ndarray:
    """Half-width of each asset's band around `targets` (..., n_assets); inf without a band."""
    targets = np.asarray(targets, dtype=float)
    out = np.full(targets.shape, np.inf)
    for k, s in enumerate(symbols):
        band = rule.drift_per_asset.get(s, rule.drift)
        if band is None:
            continue
        w = np.full(targets.shape[:-1], np.inf)
        if band.absolute is not None:
            w = np.minimum(w, band.absolute)
        if band.relative is not None:
            w = np.minimum(w, band.relative * targets[..., k])
        out[..., k] = w
    return out


def outside_band(weights: np.ndarray, targets: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """True where any asset sits on or beyond its band edge (reduces the last axis)."""
    return np.any(np.abs(weights - targets) >= widths - EDGE_EPS, axis=-1)


def to_band_edge(weights: np.ndarray, targets: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """Weights moved back just to the nearest band edge (assets inside stay where they are)."""
    return np.clip(weights, targets - widths, targets + widths)
