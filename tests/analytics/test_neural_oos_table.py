"""The neural policy's out-of-sample table from NAV rows: the period starts after the first
refit served, every baseline is measured on exactly those dates with its own NAV, and the share
of refits beating equal weight counts each model version's dates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pipelines.analytics.neural_evaluation import evaluation_frames
from pipelines.analytics.performance import metrics
from pipelines.config import PortfolioConfig
from pipelines.reporting.sections import neural_table, neural_verdict

MULTI = ["SPX", "UST2Y", "UST5Y", "UST10Y", "WTI"]
DATES = pd.bdate_range("2010-01-01", periods=600, name="date")


def _cfg(pid: str, strategy: str, symbols: list[str]) -> PortfolioConfig:
    return PortfolioConfig(id=pid, name=pid, risk_profile="moderate", strategy=strategy, universe=symbols)


def _nav(seed: int, versions: pd.Series | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    r = pd.Series(0.0003 + 0.01 * rng.standard_normal(len(DATES)), index=DATES)
    r.iloc[0] = 0.0
    return pd.DataFrame({"nav": 1e6 * (1 + r).cumprod(), "daily_return": r,
                         "turnover": np.abs(rng.standard_normal(len(DATES))) * 0.01,
                         "model_version": versions if versions is not None else None}, index=DATES)


@pytest.fixture(scope="module")
def frames():
    versions = pd.Series([None] * 100 + ["v1"] * 250 + ["v2"] * 250, index=DATES, dtype=object)
    portfolios = [_cfg("neural_multi", "neural_sharpe", MULTI), _cfg("ew_multi", "equal_weight", MULTI),
                  _cfg("ew_stocks", "equal_weight", ["AAPL", "KO"]),
                  _cfg("static_60_40", "static_mix", ["SPX", "UST10Y"]),
                  _cfg("regime_switching_moderate", "regime_switching", ["SPX", "UST10Y"])]
    navs = {"neural_multi": _nav(0, versions), "ew_multi": _nav(1), "ew_stocks": _nav(2),
            "static_60_40": _nav(3), "regime_switching_moderate": _nav(4)}
    rf = pd.Series(0.0001, index=DATES)
    return navs, rf, evaluation_frames(portfolios, navs, rf, dt.date(2012, 4, 20), "run-1")


def test_every_row_is_measured_on_the_dates_after_the_first_served_refit(frames):
    navs, rf, out = frames
    table = out["neural_evaluation"].set_index("role")
    assert list(table.index) == ["neural_sharpe", "equal_weight", "sixty_forty", "regime_switching"]
    assert table.loc["equal_weight", "compared_id"] == "ew_multi" and table.loc["equal_weight", "same_universe"]
    assert not table.loc["sixty_forty", "same_universe"]  # the reference 60/40 holds other symbols
    oos = DATES[101:]
    assert (table["start_date"] == oos[0].date()).all() and (table["observations"] == len(oos)).all()
    for role, row in table.iterrows():
        sel = navs[row["compared_id"]].loc[oos]
        m = metrics(sel["daily_return"], rf, turnover=sel["turnover"])
        for k in ("cagr", "volatility", "sharpe", "sortino", "max_drawdown", "turnover"):
            assert row[k] == pytest.approx(m[k]), (role, k)


def test_the_share_of_refits_beating_equal_weight_counts_each_version(frames):
    navs, rf, out = frames
    refits = out["neural_refit_evaluation"]
    assert list(refits["model_version"]) == ["v1", "v2"]
    # the return on t is earned by the weights the version in force at t-1 set
    assert refits["start_date"].iloc[0] == DATES[101].date() and refits["end_date"].iloc[0] == DATES[350].date()
    mine = out["neural_evaluation"].set_index("role").loc["neural_sharpe"]
    assert mine["refits"] == 2
    assert mine["refits_beating_equal_weight"] == int(refits["beat_equal_weight"].sum())
    assert mine["share_refits_beating_equal_weight"] == pytest.approx(refits["beat_equal_weight"].mean())
    text = neural_verdict(out["neural_evaluation"])
    assert f"in {int(mine['refits_beating_equal_weight'])} of 2 refits" in text
    assert "neural-table" in neural_table(out["neural_evaluation"], "neural-table")


def test_a_policy_without_a_served_refit_has_no_rows():
    portfolios = [_cfg("neural_multi", "neural_sharpe", MULTI), _cfg("ew_multi", "equal_weight", MULTI)]
    out = evaluation_frames(portfolios, {"neural_multi": _nav(0), "ew_multi": _nav(1)},
                            pd.Series(0.0, index=DATES), dt.date(2012, 4, 20), "run-1")
    assert out["neural_evaluation"].empty and out["neural_refit_evaluation"].empty
