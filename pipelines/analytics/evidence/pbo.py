"""Probability of backtest overfitting by combinatorially symmetric cross-validation (CSCV;
Bailey, Borwein, López de Prado and Zhu 2015, "The probability of backtest overfitting",
J. Computational Finance 20(4)).

The (T, N) matrix holds the per-period returns of N trials (configurations tried) over the
same T dates. Its rows are cut into S equal contiguous blocks; each of the C(S, S/2) ways of
choosing half the blocks is an in-sample set J, its complement the out-of-sample set. The
trial with the best in-sample Sharpe ratio is located in the out-of-sample ranking: relative
rank w = rank / (N + 1), logit = ln(w / (1 - w)). PBO is the share of splits whose logit is
<= 0, i.e. whose in-sample winner lands at or below the out-of-sample median.

Vectorised: per-block sums and sums of squares of each trial, so every split's Sharpe ratios
are one matrix product.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class PBOResult:
    pbo: float
    logits: np.ndarray            # (n_splits,)
    is_sharpe: np.ndarray         # in-sample Sharpe of the selected trial, per split
    oos_sharpe: np.ndarray        # its out-of-sample Sharpe, per split
    prob_oos_loss: float          # share of splits where the selected trial loses OOS
    degradation_slope: float      # OLS slope of OOS on IS Sharpe of the selected trial
    n_trials: int
    n_blocks: int


def _sharpe(s1: np.ndarray, s2: np.ndarray, n: np.ndarray) -> np.ndarray:
    mean = s1 / n
    var = (s2 - n * mean ** 2) / (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(var > 0, mean / np.sqrt(np.maximum(var, 0)), 0.0)


def probability_of_backtest_overfitting(returns: np.ndarray, n_blocks: int = 16) -> PBOResult:
    """CSCV over `returns` (T, N); the first T mod n_blocks rows are dropped so blocks are equal."""
    M = np.asarray(returns, dtype=float)
    if M.ndim != 2 or M.shape[1] < 2:
        raise ValueError(f"returns must be (T, N) with N >= 2 trials, got {M.shape}")
    if n_blocks < 2 or n_blocks % 2:
        raise ValueError(f"n_blocks must be an even number >= 2, got {n_blocks}")
    if not np.isfinite(M).all():
        raise ValueError("returns must be finite")
    T, N = M.shape
    size = T // n_blocks
    if size < 2:
        raise ValueError(f"{T} rows are too few for {n_blocks} blocks")
    M = M[T - size * n_blocks:]
    blocks = M.reshape(n_blocks, size, N)
    s1, s2 = blocks.sum(axis=1), (blocks ** 2).sum(axis=1)           # (S, N)
    combos = np.array(list(combinations(range(n_blocks), n_blocks // 2)))
    mask = np.zeros((len(combos), n_blocks))
    np.put_along_axis(mask, combos, 1.0, axis=1)
    n_half = np.full((len(combos), 1), size * n_blocks / 2)
    is_sr = _sharpe(mask @ s1, mask @ s2, n_half)                     # (C, N)
    oos_sr = _sharpe((1 - mask) @ s1, (1 - mask) @ s2, n_half)
    best = is_sr.argmax(axis=1)
    rows = np.arange(len(combos))
    oos_rank = stats.rankdata(oos_sr, axis=1)[rows, best]             # 1 = worst, N = best
    w = oos_rank / (N + 1)
    logits = np.log(w / (1 - w))
    x, y = is_sr[rows, best], oos_sr[rows, best]
    slope = float(np.polyfit(x, y, 1)[0]) if np.ptp(x) > 0 else float("nan")
    return PBOResult(float((logits <= 0).mean()), logits, x, y, float((y < 0).mean()), slope,
                     N, n_blocks)
