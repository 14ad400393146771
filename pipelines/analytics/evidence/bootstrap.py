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
