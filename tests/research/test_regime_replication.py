"""The replication's walk-forward on a small synthetic market: seeded runs repeat exactly,
the signal on D does not change when the data after D is removed, the trade timing and costs
are as stated, and the bundled inputs are the price index and the T-bill accrual."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from pipelines.research.regime_replication import Spec, features, switch_returns, walk_forward

SPEC = Spec(seed=3, penalties=(0.0, 50.0), lookback_years=2, first_refit=pd.Timestamp("2002-01-01"),
            refit_months=(1, 7), cv_folds=2, n_init=2)



@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Small fits: one BLAS/OpenMP thread is many times faster on a shared 2-core machine."""
    with threadpool_limits(1):
        yield

@pytest.fixture(scope="module")
def market() -> pd.DataFrame:
    """Three years of business days: a persistent calm/stress chain drives the index."""
    rng = np.random.default_rng(8)
    idx = pd.bdate_range("2000-01-03", "2002-12-31")
    P = np.array([[0.995, 0.005], [0.02, 0.98]])
    s = np.zeros(len(idx), dtype=int)
    for t in range(1, len(idx)):
        s[t] = rng.choice(2, p=P[s[t - 1]])
    r = rng.normal(np.array([0.0006, -0.0015])[s], np.array([0.008, 0.025])[s])
    cash = np.cumprod(np.full(len(idx), 1 + 0.03 / 252))
    return pd.DataFrame({"SPX": 1000 * np.cumprod(1 + r), "CASH": cash}, index=idx)


@pytest.fixture(scope="module")
def run(market):
    return walk_forward(market, SPEC)


def test_signals_cover_the_test_period_and_repeat(market, run):
    assert run["dates"][0] == pd.Timestamp("2002-01-01")          # first refit, first test day
    assert [str(R.date()) for R, _ in run["penalties"]] == ["2002-01-01", "2002-07-01"]
    for m in ("jump", "hmm", "mixture"):
        assert set(np.unique(run["signals"][m])) <= {0.0, 1.0}
    again = walk_forward(market, SPEC)
    for m in ("jump", "hmm", "mixture"):
        np.testing.assert_array_equal(run["signals"][m], again["signals"][m])
    assert run["penalties"] == again["penalties"]


def test_signal_on_d_ignores_data_after_d(market, run):
    """Cut the market at D (inside the second test period): every signal up to D is the same
    as in the full run."""
    D = pd.Timestamp("2002-09-16")
    cut = walk_forward(market.loc[:D], SPEC)
    n = len(cut["dates"])
    assert cut["dates"][-1] == D
    for m in ("jump", "hmm", "mixture"):
        np.testing.assert_array_equal(cut["signals"][m], run["signals"][m][:n])


def test_trade_timing_and_costs():
    """Signal 1,1,0,0,1 (invest on D when 1). Delay 1: the weight over day t is the signal of
    t-2 (close of D+1 trade), the first days hold the first signal; each switch pays 10 bp."""
    invest = np.array([1.0, 1, 0, 0, 1])
    r, c = np.full(5, 0.01), np.full(5, 0.001)
    net, w = switch_returns(invest, r, c, delay=1, cost=0.001)
    np.testing.assert_array_equal(w, [1, 1, 1, 1, 0])
    np.testing.assert_allclose(net, [0.01, 0.01, 0.01, 0.01, 0.001 - 0.001])
    net, w = switch_returns(invest, r, c, delay=0, cost=0.001)
    np.testing.assert_array_equal(w, [1, 1, 1, 0, 0])
    np.testing.assert_allclose(net, [0.01, 0.01, 0.01, 0.001 - 0.001, 0.001])


def test_features_are_trailing():
    x = pd.Series(np.random.default_rng(1).normal(0, 0.01, 300))
    full, cut = features(x), features(x.iloc[:200])
    pd.testing.assert_frame_equal(full.iloc[:200], cut)
    assert list(full.columns) == [f"{k}_{hl}" for hl in (5, 10, 21)
                                  for k in ("ret", "dd_log", "sortino")]


def test_spec_is_a_value():
    assert replace(SPEC, delay=0).delay == 0 and SPEC.delay == 1
