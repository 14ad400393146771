"""Sharpe-ratio inference for one return series: the probabilistic Sharpe ratio and the
minimum track record length (Bailey and López de Prado 2012, "The Sharpe ratio efficient
frontier", J. Risk 15(2)), and the deflated Sharpe ratio (Bailey and López de Prado 2014,
"The deflated Sharpe ratio", J. Portfolio Management 40(5)).

All Sharpe ratios here are per observation (not annualised) and in the frequency of the
returns: a daily series has a daily Sharpe ratio, and `n` counts its days. Skewness and
kurtosis are the sample moments (biased, kurtosis not in excess: 3 for a normal), as in the
papers' formulas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

EULER_GAMMA = 0.5772156649015329


@dataclass(frozen=True)
class SharpeStats:
    """What the PSR needs from a series: per-period Sharpe, length and shape."""

    sharpe: float
    n: int
    skew: float = 0.0
    kurtosis: float = 3.0

    @classmethod
    def from_returns(cls, returns: np.ndarray, benchmark: float | np.ndarray = 0.0) -> SharpeStats:
        """Stats of `returns - benchmark` (benchmark a per-period rate or a series)."""
        x = np.asarray(returns, dtype=float) - benchmark
        x = x[np.isfinite(x)]
        if len(x) < 3:
            raise ValueError(f"need at least 3 finite returns, got {len(x)}")
        if np.ptp(x) == 0:
            raise ValueError("returns have zero variance: the Sharpe ratio is undefined")
        return cls(float(x.mean() / x.std(ddof=1)), len(x), float(stats.skew(x)),
                   float(stats.kurtosis(x, fisher=False)))


def _sr_std_factor(s: SharpeStats) -> float:
    """sqrt(1 - skew SR + (kurt - 1)/4 SR^2): the non-normal widening of the SR's error."""
    v = 1.0 - s.skew * s.sharpe + (s.kurtosis - 1.0) / 4.0 * s.sharpe ** 2
    if v <= 0:
        raise ValueError(f"moments give a non-positive Sharpe variance ({v:.3g}): {s}")
    return float(np.sqrt(v))


def probabilistic_sharpe_ratio(s: SharpeStats, sr_benchmark: float = 0.0) -> float:
    """P(true SR > sr_benchmark) given the estimate, its length and the returns' shape."""
    z = (s.sharpe - sr_benchmark) * np.sqrt(s.n - 1) / _sr_std_factor(s)
    return float(stats.norm.cdf(z))


def min_track_record_length(s: SharpeStats, sr_benchmark: float = 0.0,
                            confidence: float = 0.95) -> float:
    """Observations needed for PSR(sr_benchmark) >= confidence at this Sharpe and shape
    (inf when the observed Sharpe does not exceed the benchmark)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    if s.sharpe <= sr_benchmark:
        return float("inf")
    z = stats.norm.ppf(confidence)
    return float(1.0 + _sr_std_factor(s) ** 2 * (z / (s.sharpe - sr_benchmark)) ** 2)


def expected_max_sharpe(n_trials: int, sr_variance: float) -> float:
    """Expected maximum of n_trials Sharpe estimates whose true value is 0 and whose
    cross-trial variance is sr_variance (the DSR's benchmark SR_0). One trial: 0."""
    if n_trials < 1:
        raise ValueError(f"n_trials must be at least 1, got {n_trials}")
    if sr_variance < 0:
        raise ValueError(f"sr_variance must be non-negative, got {sr_variance}")
    if n_trials == 1:
        return 0.0
    q = ((1 - EULER_GAMMA) * stats.norm.ppf(1 - 1 / n_trials)
         + EULER_GAMMA * stats.norm.ppf(1 - 1 / (n_trials * np.e)))
    return float(np.sqrt(sr_variance) * q)


def deflated_sharpe_ratio(s: SharpeStats, n_trials: int, sr_variance: float) -> float:
    """PSR against the Sharpe ratio the best of n_trials would show by luck alone.

    n_trials is counted by the caller (every configuration tried, not only those kept);
    sr_variance is the variance of the trials' per-period Sharpe ratios."""
    return probabilistic_sharpe_ratio(s, expected_max_sharpe(n_trials, sr_variance))
