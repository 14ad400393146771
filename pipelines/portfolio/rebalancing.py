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


def _anchors_on_or_before(days: np.ndarray, rule: RebalanceRule) -> np.ndarray:
    """For each date (int64 days since 1970-01-01), the latest anchor day on or before it.
    Anchors are calendar days: the rule's weekday of each week (default Monday), or its month
    day (default the 1st) of each month (quarterly: the quarter's first month; annually:
    January). A month day past the month's last weekday is clamped to that weekday (its last
    trading day unless it is a holiday, then the next trading day), so a month day of 28-31
    never drops a month."""
    if rule.frequency == "weekly":
        weekday = (days + 3) % 7                        # 1970-01-01 was a Thursday
        anchor = days - weekday + (rule.weekday or 0)
        return np.where(anchor <= days, anchor, anchor - 7)
    step = {"monthly": 1, "quarterly": 3, "annually": 12}[rule.frequency]
    k = rule.month_day or 1
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    month0 = months // step * step                       # the period's anchor month

    def clamped(m: np.ndarray) -> np.ndarray:
        first = m.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
        last = (m + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - 1
        last_weekday = last - np.maximum((last + 3) % 7 - 4, 0)
        return np.minimum(first + k - 1, last_weekday)

    # The anchors are a function of the period: compute them once per period (a few hundred),
    # not once per day (the date conversions dominated a single portfolio's run).
    periods, at = _runs(month0)
    anchor = clamped(periods)[at]
    return np.where(anchor <= days, anchor, clamped(periods - step)[at])


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(values, return_inverse=True) in one pass when `values` never decreases (dates
    in order, as every caller has them): the distinct values and each element's position."""
    if len(values) == 0 or np.any(values[1:] < values[:-1]):
        return np.unique(values, return_inverse=True)
    new = np.empty(len(values), dtype=bool)
    new[0] = True
    np.not_equal(values[1:], values[:-1], out=new[1:])
    return values[new], np.cumsum(new) - 1


def calendar_mask(rule: RebalanceRule, index: Sequence[pd.Timestamp]) -> np.ndarray:
    """(n_dates,) True where the calendar rule fires: on the first trading day on or after each
    anchor day (bt's RunMonthly by default: the first trading day of each month). The decision
    for D needs only D and the previous trading day: D fires when an anchor falls after the
    previous trading day and on or before D (position 0, with no previous day, fires when it is
    an anchor day; the engine always trades on inception anyway). A month day past a month's
    last weekday is clamped to it, the same way for every frequency."""
    idx = index if isinstance(index, pd.DatetimeIndex) else pd.DatetimeIndex(index)
    n = len(idx)
    if rule.frequency == "daily":
        return np.ones(n, dtype=bool)
    if rule.frequency == "never" or n == 0:
        return np.zeros(n, dtype=bool)
    days = idx.values.astype("datetime64[D]").astype(np.int64)
    prev = np.concatenate([[days[0] - 1], days[:-1]])
    return _anchors_on_or_before(days, rule) > prev


def rebalance_events(fires: np.ndarray) -> np.ndarray:
    """Run positions that rebalance: 0 (the first run date trades) and every position where the
    calendar mask `fires`, in order."""
    at = np.flatnonzero(fires)
    return at if len(at) and at[0] == 0 else np.concatenate([np.zeros(1, dtype=at.dtype), at])


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
