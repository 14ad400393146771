"""When to rebalance. Calendar rules fire on the first trading day of a new period, as bt's
RunMonthly does, so the decision for D needs only D and the previous trading day."""

from __future__ import annotations

import pandas as pd

from pipelines.config import RebalanceRule


def _period(ts: pd.Timestamp, frequency: str) -> tuple[int, ...]:
    if frequency == "weekly":
        iso = ts.isocalendar()
        return (iso[0], iso[1])
    if frequency == "monthly":
        return (ts.year, ts.month)
    if frequency == "quarterly":
        return (ts.year, (ts.month - 1) // 3)
    if frequency == "annually":
        return (ts.year,)
    raise ValueError(f"unknown rebalance frequency {frequency!r}")


def is_calendar_rebalance(rule: RebalanceRule, date: pd.Timestamp, prev_date: pd.Timestamp | None) -> bool:
    """True on the first trading day of a new period (and on the first day ever)."""
    if prev_date is None or rule.frequency == "daily":
        return True
    return _period(date, rule.frequency) != _period(prev_date, rule.frequency)
