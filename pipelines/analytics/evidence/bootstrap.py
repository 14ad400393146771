"""Confidence interval for the Sharpe-ratio difference of two return series by the
stationary bootstrap (Politis and Romano 1994), which resamples blocks of random geometric
length so that serial dependence (volatility clustering) survives the resampling.

arch's `StationaryBootstrap` draws the paired blocks (both series share the same indices, so
their correlation is kept); the mean block length is given or chosen by `optimal_block_length`
(Politis and White 2004, with Patton, Politis and White's 2009 correction), the larger of the
two series' stationary estimates, at least 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from arch.bootstrap import StationaryBootstrap, optimal_block_length


@dataclass(frozen=True)
class SharpeDifference:
    """SR(a) - SR(b), per period or annualised (as asked), with its bootstrap interval."""

    estimate: float
    low: float
    high: float
    confidence: float
    block_length: float
    reps: int
    seed: int


def _sharpe(x: np.ndarray) -> float:
    return x.mean() / x.std(ddof=1)


def block_length(*series: np.ndarray) -> float:
    """Mean block length for the stationary bootstrap of these series, at least 1."""
    stacked = np.column_stack([np.asarray(s, dtype=float) for s in series])
    return max(1.0, float(optimal_block_length(stacked)["stationary"].max()))


def sharpe_difference_ci(a: np.ndarray, b: np.ndarray, *, confidence: float = 0.95,
                         reps: int = 1000, seed: int = 0, block: float | None = None,
                         periods_per_year: int = 1,
                         method: Literal["percentile", "basic", "bca"] = "percentile",
                         ) -> SharpeDifference:
    """Interval for SR(a) - SR(b) from paired returns a, b (same dates, excess of cash or
    not, as the caller decides); periods_per_year=252 annualises daily Sharpe ratios."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"a and b must be 1-d of the same length, got {a.shape} and {b.shape}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("returns must be finite (align and drop missing days first)")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    scale = np.sqrt(periods_per_year)
    blen = block if block is not None else block_length(a, b)

    def diff(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.array([scale * (_sharpe(x) - _sharpe(y))])

    bs = StationaryBootstrap(blen, a, b, seed=seed)
    ci = bs.conf_int(diff, reps=reps, method=method, size=confidence)
    return SharpeDifference(float(diff(a, b)[0]), float(ci[0, 0]), float(ci[1, 0]),
                            confidence, float(blen), reps, seed)


def sharpe_difference_cis(returns: np.ndarray, pairs: list[tuple[int, int]], *, block: float,
                          confidence: float = 0.95, reps: int = 1000, seed: int = 0,
                          periods_per_year: int = 1) -> list[SharpeDifference]:
    """`sharpe_difference_ci` for many pairs of columns of one (T, K) panel at once, all on the
    same stationary-bootstrap resamples (one block length, one seed).

    Each resample is a vector of counts (how often each date was drawn; the indices come from
    arch's `StationaryBootstrap`, so the draws equal those `sharpe_difference_ci` makes with
    the same block and seed); every column's mean and variance in every resample are then two
    matrix products, instead of one pass over the data per resample and pair."""
    X = np.asarray(returns, dtype=float)
    if X.ndim != 2 or not np.isfinite(X).all():
        raise ValueError(f"returns must be a finite (T, K) panel, got shape {X.shape}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    T = len(X)
    bs = StationaryBootstrap(block, X, seed=seed)
    counts = np.empty((reps, T))
    for r in range(reps):
        counts[r] = np.bincount(bs.update_indices(), minlength=T)
    used = sorted({k for p in pairs for k in p})
    Xu = X[:, used]
    mean = counts @ Xu / T
    var = (counts @ Xu ** 2 - T * mean ** 2) / (T - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        boot = mean / np.sqrt(var)                       # (reps, used) Sharpe ratios
    full = Xu.mean(axis=0) / Xu.std(axis=0, ddof=1)
    col = {k: i for i, k in enumerate(used)}
    scale = np.sqrt(periods_per_year)
    tail = (1 - confidence) / 2
    out = []
    for a, b in pairs:
        d = scale * (boot[:, col[a]] - boot[:, col[b]])
        d = d[np.isfinite(d)]
        lo, hi = np.percentile(d, [100 * tail, 100 * (1 - tail)])
        out.append(SharpeDifference(float(scale * (full[col[a]] - full[col[b]])), float(lo), float(hi),
                                    confidence, float(block), reps, seed))
    return out
