"""Total-return indices derived from constant-maturity yields.

A constant-maturity Treasury series is a par bond re-bought every day. Its daily total return
over Δt years (calendar days / 365) is approximated to second order:

    r_t = y_{t-1} Δt  -  D_{t-1} Δy_t  +  ½ C_{t-1} Δy_t²

where y is the yield (decimal, semi-annual compounding), Δy_t = y_t - y_{t-1}, and D and C are
the modified duration and convexity of a par bond with semi-annual coupons at y_{t-1}. Cash
accrues the 3-month bill yield in the convention it is quoted in: FRED's DGS3MO is the
constant-maturity yield "quoted on an investment basis", the bond-equivalent yield on a 365-day
year, so CASH_t = CASH_{t-1} (1 + y_{t-1} Δdays/365) (not act/360, the money-market convention
of discount rates and Libor, which would overstate cash by 365/360 - 1 = 1.4% of the yield).
Both use only yields known at t, so the derived series are point-in-time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def par_bond_duration_convexity(yields: np.ndarray, maturity_years: float) -> tuple[np.ndarray, np.ndarray]:
    """Modified duration and convexity of a par bond (semi-annual coupon = yield)."""
    y = np.asarray(yields, dtype=float)[:, None]
    n = int(round(2 * maturity_years))
    k = np.arange(1, n + 1, dtype=float)[None, :]
    t = k / 2.0
    cf = np.full((1, n), 0.5) * y
    cf = cf + (k == n)  # principal at maturity
    v = (1.0 + y / 2.0) ** (-k)
    price = (cf * v).sum(axis=1)  # equals 1 for a par bond, kept for numerical honesty
    duration = (t * cf * v).sum(axis=1) / price / (1.0 + y[:, 0] / 2.0)
    convexity = (t * (t + 0.5) * cf * v).sum(axis=1) / price / (1.0 + y[:, 0] / 2.0) ** 2
    return duration, convexity


def bond_total_return_index(yields: pd.Series, maturity_years: float, base: float = 100.0) -> pd.Series:
    """Index of a constant-maturity par bond's total return, starting at `base`."""
    y = yields.astype(float)
    if y.isna().any():
        raise ValueError(f"{yields.name}: yields must be complete; {int(y.isna().sum())} missing")
    dt_years = y.index.to_series().diff().dt.days.to_numpy()[1:] / 365.0
    y_prev = y.to_numpy()[:-1]
    dy = np.diff(y.to_numpy())
    dur, conv = par_bond_duration_convexity(y_prev, maturity_years)
    r = y_prev * dt_years - dur * dy + 0.5 * conv * dy**2
    level = base * np.concatenate([[1.0], np.cumprod(1.0 + r)])
    return pd.Series(level, index=y.index, name=yields.name)


def cash_index(bill_yield: pd.Series, base: float = 100.0) -> pd.Series:
    """Accrual index of the 3-month bill yield, a bond-equivalent yield: actual/365."""
    y = bill_yield.astype(float)
    if y.isna().any():
        raise ValueError(f"{bill_yield.name}: yields must be complete")
    days = y.index.to_series().diff().dt.days.to_numpy()[1:]
    growth = 1.0 + y.to_numpy()[:-1] * days / 365.0
    return pd.Series(base * np.concatenate([[1.0], np.cumprod(growth)]), index=y.index)
