"""The offline evaluation harness: baselines follow the policy's cost arithmetic, and the
tidy outputs hold the out-of-sample statistics and the per-refit comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from neural_support import POLICY, SPEC, TRAIN, momentum_market

from pipelines.research import neural_evaluation as ne


def test_follow_targets_charges_turnover_and_drifts_between_rebalances():
    dates = pd.bdate_range("2020-01-01", periods=3)
    targets = pd.DataFrame([[0.5, 0.5, 0.0], [np.nan] * 3, [0.5, 0.5, 0.0]], index=dates,
                           columns=["A", "B", "CASH"])
    r = np.array([[0.10, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    net, turnover = ne.follow_targets(targets, r, 0.001, np.array([0.0, 0.0, 1.0]))
    assert turnover[0] == pytest.approx(1.0)          # cash into A and B
    assert net[0] == pytest.approx(0.05 - 0.001)
    assert turnover[1] == 0.0                          # no rebalance: weights drift
    drifted = np.array([0.55, 0.5, 0.0]) / 1.05
    assert turnover[2] == pytest.approx(np.abs(drifted - [0.5, 0.5, 0.0])[:2].sum())


def test_monthly_rebalance_days_are_the_first_of_each_month():
    dates = pd.DatetimeIndex(["2020-01-30", "2020-01-31", "2020-02-03", "2020-02-04"])
    assert ne._monthly(dates).tolist() == [True, False, True, False]


def test_evaluate_universe_returns_tidy_statistics_and_refit_comparison():
    market = momentum_market(n=1400)
    setup = ne.Setup(SPEC, POLICY, TRAIN)
    table, refits, returns, seconds = ne.evaluate_universe("synthetic", setup, market,
                                                           first_year=2003)
    assert list(table["strategy"]) == ["neural_sharpe", "equal_weight", "inverse_vol"]
    for col in ne.STAT_COLUMNS:
        assert table[col].notna().all(), col
    share = table.loc[table.strategy == "neural_sharpe", "share_refits_beating_equal_weight"]
    assert share.iloc[0] == pytest.approx(refits["beat_equal_weight"].mean())
    assert list(refits["year"]) == [2003, 2004, 2005, 2006]
    assert (refits["status"] == "trained").all()
    # every strategy is measured on the same dates, from the first refit's first day
    assert returns[["neural_sharpe", "equal_weight", "inverse_vol"]].notna().all().all()
    assert returns.index[0] > refits["cutoff"].map(pd.Timestamp).iloc[0]
    assert seconds > 0
