"""Returns with flows, vectorised over accounts.

- Time-weighted (TWR): flows happen at the close, so a day's return is the market's move on
  what was held from the previous close: r = (NAV - net external flow) / previous NAV - 1.
  The inception day has no previous NAV: r = NAV / initial deposit - 1 (the cost of the first
  investment). Fees are not external flows: they lower the return.
- Money-weighted (MWR): the XIRR of the investor's flows (deposits out of pocket, withdrawals
  back, the ending NAV as a final withdrawal), solved for every account at once.
- Running statistics (growth index, peak, maximum drawdown, sums for the volatility) are kept
  in the state, so a daily run never rereads an account's history.
"""

from __future__ import annotations

import numpy as np

TRADING_DAYS = 252
DAYS_A_YEAR = 365.0


def daily_return(nav: np.ndarray, prev_nav: np.ndarray, net_flow: np.ndarray, new: np.ndarray) -> np.ndarray:
    """TWR of the day (flows at the end of the day); `new` rows measure against their deposit."""
    base = np.where(new, net_flow, prev_nav)
    gain = np.where(new, nav, nav - net_flow)
    return np.divide(gain, base, out=np.ones_like(nav), where=base > 0) - 1.0


def volatility(n: np.ndarray, s: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """Annualised sample volatility from the count, sum and sum of squares (NaN when n < 2)."""
    n = n.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (s2 - s * s / n) / (n - 1.0)
    return np.where(n >= 2, np.sqrt(np.maximum(var, 0.0) * TRADING_DAYS), np.nan)


def annualise(total: np.ndarray, days: np.ndarray) -> np.ndarray:
    """(1 + total) ^ (365 / days) - 1 for periods of at least a year, NaN for shorter ones."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        out = np.power(np.maximum(1.0 + total, 0.0), DAYS_A_YEAR / np.maximum(days, 1)) - 1.0
    return np.where(days >= DAYS_A_YEAR, out, np.nan)


def xirr(owner: np.ndarray, years: np.ndarray, amount: np.ndarray, n: int, iterations: int = 60) -> np.ndarray:
    """(n,) annual rates x with sum_j amount_j (1 + x)^-years_j = 0 for each owner's flows.

    owner: (F,) account index of each flow; years: (F,) time of the flow from the account's
    first flow; amount: (F,) investor's view (deposits negative, withdrawals and the ending
    value positive). Newton on u = log(1 + x) from u = 0, then bisection on the rows Newton
    left unsolved; NaN where the flows change sign only once in the wrong order or never."""
    u = np.zeros(n)
    solved = np.zeros(n, dtype=bool)
    scale = np.bincount(owner, weights=np.abs(amount), minlength=n)
    scale = np.where(scale > 0, scale, 1.0)
    for _ in range(iterations):
        e = np.exp(-u[owner] * years)
        f = np.bincount(owner, weights=amount * e, minlength=n)
        df = np.bincount(owner, weights=-amount * years * e, minlength=n)
        solved = np.abs(f) <= 1e-13 * scale
        step = np.divide(f, df, out=np.zeros(n), where=(df != 0) & ~solved)
        u = np.clip(u - np.clip(step, -1.0, 1.0), -10.0, 10.0)
        if solved.all():
            break
    if not solved.all():
        u = np.where(solved, u, _bisect(owner, years, amount, n, ~solved))
    f = np.bincount(owner, weights=amount * np.exp(-u[owner] * years), minlength=n)
    ok = np.abs(f) <= 1e-8 * scale
    return np.where(ok, np.expm1(u), np.nan)


def _bisect(owner, years, amount, n, rows, iterations: int = 200) -> np.ndarray:
    lo, hi = np.full(n, -10.0), np.full(n, 10.0)

    def f(u: np.ndarray) -> np.ndarray:
        return np.bincount(owner, weights=amount * np.exp(-u[owner] * years), minlength=n)

    f_lo = f(lo)
    for _ in range(iterations):
        mid = (lo + hi) / 2
        f_mid = f(mid)
        same = np.sign(f_mid) == np.sign(f_lo)
        lo, f_lo = np.where(same, mid, lo), np.where(same, f_mid, f_lo)
        hi = np.where(same, hi, mid)
    return np.where(rows, (lo + hi) / 2, 0.0)
