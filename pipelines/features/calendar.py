"""Month boundaries that are known at the close of a date.

The last trading day of a month is only known to be the last once a later month has started,
so a month counts as complete at date D when D falls in a later calendar month. Every monthly
sample here uses complete months only; that keeps every output for D unchanged when rows after
D are added (the close of D cannot tell whether D is the month's last trading day).
"""

from __future__ import annotations

import pandas as pd


def month_ends(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The last date of `index` in each calendar month it covers (ascending)."""
    s = pd.Series(index, index=index)
    return pd.DatetimeIndex(s.groupby(index.to_period("M")).max().to_numpy())


def complete_month_ends(index: pd.DatetimeIndex, as_of: pd.Timestamp) -> pd.DatetimeIndex:
    """Month ends of months that ended before the month of `as_of` (known complete at as_of)."""
    ends = month_ends(index[index <= as_of])
    return ends[ends.to_period("M") < pd.Timestamp(as_of).to_period("M")]
