"""CPCV paths and PBO through the learned-strategy interface: on planted strategies, the
selection procedure, the share of paths above a benchmark, and the factor-tilt stand-in."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from pipelines.analytics.evidence.learned import learned_evidence
from pipelines.analytics.learned import ADAPTERS, SelectionStrategy, tilt_proxy


def _t1(n: int) -> pd.Series:
    idx = pd.date_range("2000-01-31", periods=n, freq="ME")
    return pd.Series(idx.shift(1, freq="ME"), index=idx)


@dataclass
class Memorise:
    """A 'learner' that trades its training mean's sign on the test samples: with a planted
    positive drift it is long on every split; it records the splits it was called with."""

    t1: pd.Series
    r: np.ndarray
    calls: list
    periods_per_year: int = 12

    def trial_returns(self) -> pd.DataFrame:
        return pd.DataFrame({"long": self.r, "short": -self.r}, index=self.t1.index)

    def fit_returns(self, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        self.calls.append((train, test))
        return np.sign(self.r[train].mean()) * self.r[test]


def test_paths_stitch_the_splits_out_of_sample():
    rng = np.random.default_rng(3)
    t1 = _t1(120)
    s = Memorise(t1, rng.normal(0.01, 0.03, 120), [])
    ev = learned_evidence(s, groups=6, test_groups=2, embargo=0.0, pbo_blocks=8)
    assert ev.paths.shape == (120, 5) and ev.n_paths == 5 and len(s.calls) == 15
    for train, test in s.calls:                       # never trained on what it is tested on
        assert not set(train) & set(test)
    # long on every split: every path is the series itself
    np.testing.assert_allclose(ev.paths, np.repeat(s.r[:, None], 5, axis=1))
    sr = s.r.mean() / s.r.std(ddof=1) * np.sqrt(12)
    assert ev.path_sharpe_mean == pytest.approx(sr) and ev.path_sharpe_min == pytest.approx(sr)
    # PBO of long vs short: the in-sample winner (long) wins out of sample on every split
    assert ev.pbo == 0.0 and ev.pbo_trials == 2


def test_selection_pbo_on_noise_and_on_a_planted_trial():
    t1 = _t1(240)
    pbos = []
    for seed in range(6):      # picking the best of pure noise: a coin flip on average
        noise = pd.DataFrame(np.random.default_rng(seed).normal(0, 0.04, (240, 12)), index=t1.index)
        pbos.append(learned_evidence(SelectionStrategy(t1, noise), pbo_blocks=8).pbo)
    assert 0.3 < np.mean(pbos) < 0.7
    planted = noise.assign(**{"11": noise[11] + 0.03})
    ev2 = learned_evidence(SelectionStrategy(t1, planted), pbo_blocks=8)
    assert ev2.pbo < 0.05 and ev2.path_sharpe_min > 1.0


def test_share_of_paths_above_the_compared_series():
    t1 = _t1(60)
    r = np.random.default_rng(5).normal(0.01, 0.02, 60)
    ev = learned_evidence(Memorise(t1, r, []), pbo_blocks=2)
    days = pd.bdate_range(t1.index[0], t1.iloc[-1])
    better = pd.Series(0.0005, index=days) + np.random.default_rng(6).normal(0, 0.0001, len(days))
    worse = pd.Series(-0.0005, index=days) + np.random.default_rng(7).normal(0, 0.01, len(days))
    assert ev.share_above(better) == 0.0 and ev.share_above(worse) == 1.0
    assert ev.share_above(better.iloc[100:]) is None          # does not cover the samples


def test_tilt_stand_in_spends_the_budget_towards_the_score():
    rng = np.random.default_rng(2)
    A = rng.normal(size=(10, 10))
    cov = (A @ A.T / 10 + np.eye(10)) * 1e-3
    score = rng.normal(size=10)
    w = tilt_proxy(score, cov, 0.002 ** 2, 0.0, 1.0)[:, 0]
    d = w - 0.1
    assert w.sum() == pytest.approx(1.0) and d @ cov @ d == pytest.approx(0.002 ** 2, rel=1e-9)
    assert score @ w > score.mean()
    both = tilt_proxy(np.column_stack([score, -score]), cov, 0.5 ** 2, 0.0, 0.15)
    assert score @ both[:, 0] > score @ both[:, 1]
    bounded = both[:, 0]
    assert bounded.sum() == pytest.approx(1.0) and (bounded <= 0.15 + 1e-12).all() and (bounded >= 0).all()


def test_the_learned_strategies_have_adapters():
    assert {"regime_switching", "factor_tilt"} <= set(ADAPTERS)
