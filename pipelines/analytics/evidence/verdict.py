"""The plain statement a PM reads: is there evidence that a strategy outperforms, at what
confidence, after how many trials.

The headline confidence is the deflated Sharpe ratio: the probability that the strategy's
true Sharpe ratio exceeds what the best of `n_trials` luck-only trials would show. "Yes" needs
it at or above `level`, and every other test supplied to agree: the bootstrap interval of the
Sharpe difference above 0, the SPA p-value at most 1 - level, and PBO below one half.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.analytics.evidence.bootstrap import SharpeDifference


@dataclass(frozen=True)
class Verdict:
    outperformance: bool
    confidence: float       # the deflated Sharpe ratio
    n_trials: int
    reasons: tuple[str, ...]   # the tests that failed (empty when outperformance)
    statement: str


def verdict(dsr: float, n_trials: int, *, level: float = 0.95, against: str = "the benchmark",
            sharpe_difference: SharpeDifference | None = None, spa_pvalue: float | None = None,
            pbo: float | None = None) -> Verdict:
    """Combine the statistics into one verdict and one sentence."""
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    if n_trials < 1:
        raise ValueError(f"n_trials must be at least 1, got {n_trials}")
    failed = []
    parts = [f"deflated Sharpe ratio {dsr:.2f} after {n_trials} trial{'s' * (n_trials > 1)}"]
    if dsr < level:
        failed.append(f"deflated Sharpe ratio {dsr:.2f} < {level:.2f}")
    if sharpe_difference is not None:
        d = sharpe_difference
        parts.append(f"Sharpe difference vs {against} {d.estimate:+.2f} "
                     f"[{d.low:+.2f}, {d.high:+.2f}] ({d.confidence:.0%} bootstrap interval)")
        if d.low <= 0:
            failed.append("the Sharpe difference interval includes 0")
    if spa_pvalue is not None:
        parts.append(f"SPA p-value {spa_pvalue:.3f}")
        if spa_pvalue > 1 - level:
            failed.append(f"SPA p-value {spa_pvalue:.3f} > {1 - level:.2f}")
    if pbo is not None:
        parts.append(f"probability of backtest overfitting {pbo:.2f}")
        if pbo >= 0.5:
            failed.append(f"PBO {pbo:.2f} >= 0.50")
    yes = not failed
    head = (f"Evidence of outperformance vs {against}: {'yes' if yes else 'no'}, "
            f"at {dsr:.0%} confidence after {n_trials} trial{'s' * (n_trials > 1)}")
    details = "; ".join(parts)
    statement = head + ". " + details[:1].upper() + details[1:] + "." + (
        "" if yes else " Not enough: " + "; ".join(failed) + ".")
    return Verdict(yes, float(dsr), n_trials, tuple(failed), statement)
