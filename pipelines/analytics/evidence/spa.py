"""White's reality check and Hansen's test for superior predictive ability over a family of
strategies against one benchmark, by arch's `SPA` (stationary bootstrap, seeded).

The null: no strategy in the family has a higher mean return than the benchmark. Losses are
negative returns, so the loss differential of strategy k is r_k - r_benchmark.

arch reports three p-values that differ only in how the bootstrap distribution is recentred:
- "upper" recentres every strategy at its sample mean (the least favourable configuration,
  all strategies exactly as good as the benchmark): this is White's (2000) reality check;
- "consistent" recentres only strategies not clearly worse than the benchmark (Hansen's 2005
  log-log threshold): Hansen's SPA p-value, the one to report;
- "lower" never recentres a strategy worse than the benchmark.
Note that arch's statistic is the largest mean loss differential, not studentised (the
`studentize` option only feeds the variances into the consistent threshold), so the p-values
are those of White's unstudentised statistic under the three recentrings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from arch.bootstrap import SPA

from pipelines.analytics.evidence.bootstrap import block_length


@dataclass(frozen=True)
class FamilyTest:
    """p-values of the family of strategies against the benchmark."""

    reality_check: float     # White's RC (arch "upper")
    spa_consistent: float    # Hansen's SPA (arch "consistent")
    spa_lower: float
    n_strategies: int
    block_length: float
    reps: int
    seed: int


def reality_check_and_spa(benchmark: np.ndarray, strategies: np.ndarray, *, reps: int = 1000,
                          seed: int = 0, block: float | None = None) -> FamilyTest:
    """benchmark (T,), strategies (T, K): per-period returns on the same dates."""
    bench = np.asarray(benchmark, dtype=float)
    strat = np.asarray(strategies, dtype=float)
    if strat.ndim == 1:
        strat = strat[:, None]
    if bench.ndim != 1 or strat.shape[0] != bench.shape[0]:
        raise ValueError(f"benchmark (T,) and strategies (T, K) must share T, got "
                         f"{bench.shape} and {strat.shape}")
    if not (np.isfinite(bench).all() and np.isfinite(strat).all()):
        raise ValueError("returns must be finite (align and drop missing days first)")
    blen = block if block is not None else block_length(*(strat - bench[:, None]).T)
    spa = SPA(-bench, -strat, block_size=max(1, int(round(blen))), reps=reps,
              bootstrap="stationary", seed=seed)
    spa.compute()
    p = spa.pvalues
    return FamilyTest(float(p["upper"]), float(p["consistent"]), float(p["lower"]),
                      strat.shape[1], float(max(1, int(round(blen)))), reps, seed)
