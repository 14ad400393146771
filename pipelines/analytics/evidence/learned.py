"""CPCV backtest paths and the probability of backtest overfitting of a learned strategy, one
whose weights come from a fitted model with hyper-parameter trials (regime switching, factor
tilt, the neural policy), through one small interface any such strategy implements.

A `LearnedStrategy` works on its own samples (for the regime and factor strategies the month
ends, each sample's return the next month's, in excess of cash) and gives
- `t1`: each sample's observation time (index, ascending) -> the time its return is known,
  for purging and embargo;
- `trial_returns()`: (n_samples, n_trials), the out-of-sample return of every configuration
  tried (as its walk-forward recorded it; NaN before a trial had a model): the PBO matrix;
- `fit_returns(train, test)`: the learning procedure as the strategy runs it (its choice among
  the trials included), fitted on the `train` samples only, and its returns on `test`: the
  CPCV splits call it, and the paths stitch the test returns.
`learned_evidence` runs both; pure (numpy and pandas), the adapters do the I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from models.cv import CombinatorialPurgedKFold
from pipelines.analytics.evidence.cpcv import cpcv_backtest_paths
from pipelines.analytics.evidence.pbo import PBOResult, probability_of_backtest_overfitting


class LearnedStrategy(Protocol):
    t1: pd.Series
    periods_per_year: int

    def trial_returns(self) -> pd.DataFrame:
        """(samples, trials) out-of-sample returns of every configuration tried."""

    def fit_returns(self, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        """Returns on the `test` samples of the procedure fitted on the `train` samples only."""


def _sharpe(x: np.ndarray, periods_per_year: int) -> np.ndarray:
    sd = x.std(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sd > 0, x.mean(axis=0) / sd, 0.0) * np.sqrt(periods_per_year)


@dataclass(frozen=True)
class LearnedEvidence:
    """CPCV paths (n_samples, n_paths) of excess returns on the samples observed at `starts`
    and known at `ends`, their annualised Sharpe ratios, and PBO over the trials."""

    starts: pd.DatetimeIndex
    ends: pd.DatetimeIndex
    paths: np.ndarray
    path_sharpes: np.ndarray
    pbo_result: PBOResult | None
    periods_per_year: int

    @property
    def n_paths(self) -> int:
        return int(self.paths.shape[1])

    @property
    def path_sharpe_mean(self) -> float:
        return float(self.path_sharpes.mean())

    @property
    def path_sharpe_min(self) -> float:
        return float(self.path_sharpes.min())

    @property
    def path_sharpe_max(self) -> float:
        return float(self.path_sharpes.max())

    @property
    def pbo(self) -> float | None:
        return None if self.pbo_result is None else self.pbo_result.pbo

    @property
    def pbo_trials(self) -> int | None:
        return None if self.pbo_result is None else self.pbo_result.n_trials

    def share_above(self, daily_excess: pd.Series) -> float | None:
        """Share of paths whose Sharpe ratio beats that of `daily_excess` (summed over each
        sample's period) on the same samples; None when the series does not cover them."""
        idx = daily_excess.index
        if not len(idx) or idx[0] > self.starts[0] + pd.Timedelta(days=7) or idx[-1] < self.ends[-1]:
            return None
        cum = np.concatenate([[0.0], np.cumsum(daily_excess.to_numpy())])
        lo = idx.searchsorted(self.starts, side="right")
        hi = idx.searchsorted(self.ends, side="right")
        bench = float(_sharpe((cum[hi] - cum[lo])[:, None], self.periods_per_year)[0])
        return float((self.path_sharpes > bench).mean())


def learned_evidence(strategy: LearnedStrategy, groups: int = 6, test_groups: int = 2,
                     embargo: float = 0.01, pbo_blocks: int = 8) -> LearnedEvidence:
    """CPCV backtest paths of the strategy's procedure and PBO over its trials (see module)."""
    t1 = strategy.t1
    cv = CombinatorialPurgedKFold(groups, test_groups, t1, embargo)
    paths = cpcv_backtest_paths(cv, strategy.fit_returns)
    trials = strategy.trial_returns().dropna()
    pbo = None
    if trials.shape[1] >= 2 and len(trials) >= 2 * pbo_blocks:
        pbo = probability_of_backtest_overfitting(trials.to_numpy(), n_blocks=pbo_blocks)
    return LearnedEvidence(pd.DatetimeIndex(t1.index), pd.DatetimeIndex(t1.to_numpy()), paths,
                           _sharpe(paths, strategy.periods_per_year), pbo, strategy.periods_per_year)
