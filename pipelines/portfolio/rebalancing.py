"""When to rebalance: calendar dates and drift bands.

Calendar rules fire on the first trading day of a period on or after an anchor day (bt's
RunMonthly is the default: the first trading day of each month), so the decision for D needs
only D and the previous trading day. Drift bands compare current weights with the targets.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipelines.config import RebalanceRule

# A weight exactly on the band edge counts as outside: this slack absorbs float round-off only.
EDGE_EPS = 1e-12


def _period_keys(idx: pd.DatetimeIndex, frequency: str) -> np.ndarray:
    if frequency == "weekly":
        iso = idx.isocalendar()
        return iso["year"].to_numpy(dtype=np.int64) * 100 + iso["week"].to_numpy(dtype=np.int64)
    if frequency == "monthly":
        return idx.year.to_numpy(dtype=np.int64) * 100 + idx.month.to_numpy(dtype=np.int64)
    if frequency == "quarterly":
        return idx.year.to_numpy(dtype=np.int64) * 10 + (idx.month.to_numpy(dtype=np.int64) - 1) // 3
    if frequency == "annually":
        return idx.year.to_numpy(dtype=np.int64)
    raise ValueError(f"unknown rebalance frequency {frequency!r}")


def _eligible(idx: pd.DatetimeIndex, rule: RebalanceRule) -> np.ndarray:
    """Days on or after the period's anchor day (the rule's weekday or month day)."""
    if rule.frequency == "weekly" and rule.weekday is not None:
        return idx.weekday.to_numpy() >= rule.weekday
    if rule.month_day is not None:
        day = idx.day.to_numpy()
        month = idx.month.to_numpy()
        first_month = {"monthly": month, "quarterly": (month - 1) // 3 * 3 + 1, "annually": 1}[rule.frequency]
        return (month > first_month) | (day >= rule.month_day)
    return np.ones(len(idx), dtype=bool)


def calendar_mask(rule: RebalanceRule, index: Sequence[pd.Timestamp]) -> np.ndarray:
    """(n_dates,) True where the calendar rule fires; position 0 has no previous day and fires
    only if it is eligible (the engine always trades on inception anyway)."""
    idx = pd.DatetimeIndex(index)
    n = len(idx)
    if rule.frequency == "daily":
        return np.ones(n, dtype=bool)
    if rule.frequency == "never" or n == 0:
        return np.zeros(n, dtype=bool)
    keys = _period_keys(idx, rule.frequency)
    ok = _eligible(idx, rule)
    prev_ok = np.concatenate([[False], ok[:-1]])
    same = np.concatenate([[False], keys[1:] == keys[:-1]])
    return ok & ~(same & prev_ok)


def is_calendar_rebalance(rule: RebalanceRule, date: pd.Timestamp, prev_date: pd.Timestamp | None) -> bool:
    """Scalar form of `calendar_mask` (True on the first day ever)."""
    if prev_date is None:
        return True
    return bool(calendar_mask(rule, [prev_date, date])[1])


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
