"""Metrics by hand on a small series; Brinson-Fachler effects sum to the active return."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.analytics.attribution import brinson_fachler, link, linked_table
from pipelines.analytics.performance import drawdown, metrics


def test_metrics_match_hand_computed_values():
    idx = pd.bdate_range("2021-01-04", periods=5)
    r = pd.Series([0.01, -0.02, 0.03, 0.0, -0.01], index=idx)
    rf = pd.Series(0.0001, index=idx)
    b = pd.Series([0.005, -0.01, 0.01, 0.0, 0.0], index=idx)
    m = metrics(r, rf, b, turnover=pd.Series([0.5, 0, 0, 0, 0], index=idx), costs=pd.Series(1.0, index=idx))
    total = 1.01 * 0.98 * 1.03 * 1.0 * 0.99 - 1
    assert np.isclose(m["total_return"], total)
    assert np.isclose(m["cagr"], (1 + total) ** (252 / 5) - 1)
    assert np.isclose(m["volatility"], np.std(r, ddof=1) * np.sqrt(252))
    ex = r - 0.0001
    assert np.isclose(m["sharpe"], ex.mean() / ex.std(ddof=1) * np.sqrt(252))
    assert np.isclose(m["sortino"], ex.mean() / np.sqrt(np.mean(np.minimum(ex, 0) ** 2)) * np.sqrt(252))
    # wealth 1.01, 0.9898, 1.019494, 1.019494, 1.00929906: peak 1.01 (day 1), trough day 2
    assert np.isclose(m["max_drawdown"], 0.9898 / 1.01 - 1)
    assert m["drawdown_peak"] == idx[0] and m["drawdown_trough"] == idx[1] and m["drawdown_recovery"] == idx[2]
    assert np.isclose(m["calmar"], m["cagr"] / abs(m["max_drawdown"]))
    assert np.isclose(m["hit_rate"], 2 / 5)
    assert np.isclose(m["turnover"], 0.5 * 252 / 5) and m["costs_paid"] == 5.0
    a = r - b
    assert np.isclose(m["tracking_error"], a.std(ddof=1) * np.sqrt(252))
    assert np.isclose(m["information_ratio"], a.mean() * 252 / m["tracking_error"])


def test_no_information_ratio_from_a_tracking_error_of_rounding_residue():
    # a portfolio holding its benchmark: active returns of 1e-18 are float residue, their ratio noise
    idx = pd.bdate_range("2021-01-04", periods=60)
    b = pd.Series(np.random.default_rng(1).normal(0.0, 0.01, 60), index=idx)
    r = b + np.random.default_rng(2).normal(0.0, 1e-18, 60)
    m = metrics(r, pd.Series(0.0, index=idx), b)
    assert 0 < m["tracking_error"] < 1e-15 and m["information_ratio"] is None
    m = metrics(b + np.random.default_rng(2).normal(0.0, 1e-5, 60), pd.Series(0.0, index=idx), b)
    assert m["tracking_error"] > 1e-5 and m["information_ratio"] is not None


def test_drawdown_from_the_start_has_no_peak_date():
    idx = pd.bdate_range("2021-01-04", periods=3)
    mdd, peak, trough, rec = drawdown(pd.Series([-0.1, 0.05, 0.0], index=idx))
    assert np.isclose(mdd, -0.1) and peak is None and trough == idx[0] and rec is None


def _random_case(T=60, seed=3):
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2020-01-01", periods=T)
    segs = ["equity", "government_bonds", "cash"]
    wp = pd.DataFrame(rng.dirichlet(np.ones(3), T), index=idx, columns=segs)
    wb = pd.DataFrame(rng.dirichlet(np.ones(3), T), index=idx, columns=segs)
    rp = pd.DataFrame(rng.normal(0, 0.01, (T, 3)), index=idx, columns=segs)
    rb = pd.DataFrame(rng.normal(0, 0.01, (T, 3)), index=idx, columns=segs)
    costs = pd.Series(rng.uniform(0, 1e-4, T), index=idx)
    cp = (wp * rp).assign(costs=-costs)
    return idx, wp.assign(costs=0.0), rp.assign(costs=np.nan), cp, wb, rb


def test_daily_effects_sum_to_active_return():
    idx, wp, rp, cp, wb, rb = _random_case()
    bf = brinson_fachler(wp, rp, cp, wb, rb)
    total = bf["allocation"] + bf["selection"] + bf["interaction"]
    np.testing.assert_allclose(total.sum(axis=1), bf["Rp"] - bf["Rb"], atol=1e-15)
    np.testing.assert_allclose(bf["Rp"], (wp.drop(columns="costs") * rp.drop(columns="costs")).sum(axis=1)
                               + cp["costs"], atol=1e-15)


def test_carino_linked_effects_sum_to_period_active_return():
    idx, wp, rp, cp, wb, rb = _random_case(T=90)
    bf = brinson_fachler(wp, rp, cp, wb, rb)
    t = linked_table(bf, idx, "asset_class")
    for (period, start), g in t.groupby(["period", "period_start"]):
        active = g["portfolio_return"].iloc[0] - g["benchmark_return"].iloc[0]
        assert np.isclose(g["total_effect"].sum(), active, atol=1e-14, rtol=0), (period, start)
        assert np.isclose(g["contribution"].sum(), g["portfolio_return"].iloc[0], atol=1e-14, rtol=0)
    assert set(t.period) == {"month", "cumulative"}


def test_benchmark_missing_a_class_is_pure_allocation():
    idx, wp, rp, cp, wb, rb = _random_case(T=10)
    wb = pd.DataFrame({"equity": 1.0}, index=idx)
    rb = rb[["equity"]]
    bf = brinson_fachler(wp, rp, cp, wb, rb)
    j = list(bf["segments"]).index("government_bonds")
    assert np.allclose(bf["selection"][:, j], 0) and np.allclose(bf["interaction"][:, j], 0)
    np.testing.assert_allclose((bf["allocation"] + bf["selection"] + bf["interaction"]).sum(1), bf["Rp"] - bf["Rb"],
                               atol=1e-15)
    assert np.isclose(link(np.ones((10, 1)) * 0.0, bf["Rp"], bf["Rb"])[0], 0.0)
