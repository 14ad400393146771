"""Every strategy through the real engine: weights for D do not change when data after D is
appended; and config errors name the portfolio and the field."""

import textwrap

import numpy as np
import pandas as pd
import pytest

from pipelines.allocation.catalog import load_portfolios
from pipelines.allocation.registry import available_strategies
from pipelines.config import ConfigError

from .conftest import MIXED, STOCKS, portfolio, simulate

CASES = {
    "static_mix": ({"weights": {"SPX": 0.3, "UST10Y": 0.4, "UST5Y": 0.15, "WTI": 0.15}},
                   ["SPX", "UST10Y", "UST5Y", "WTI"], "monthly"),
    "equal_weight": ({}, STOCKS[:6], "monthly"),
    "trend_following": ({"sma_days": 210, "safe_asset": "UST10Y"}, ["SPX", "WTI", "UST10Y"], "monthly"),
    "momentum": ({"top_k": 3, "absolute_momentum": True}, MIXED, "monthly"),
    "cppi": ({"risky_asset": "SPX", "multiplier": 4, "floor_pct": 0.8, "ratchet": True}, ["SPX"], "daily"),
    "risk_parity": ({"covariance": "ledoit_wolf"}, MIXED, "monthly"),
    "hrp": ({"linkage": "ward"}, STOCKS, "monthly"),
    "max_sharpe": ({"window_days": 504, "weight_bounds": [0.0, 0.4],
                    "group_bounds": {"government_bonds": [0.2, 0.7]}}, MIXED, "monthly"),
    "min_variance": ({"covariance": "ewma", "weight_bounds": [0.0, 0.5]}, MIXED, "monthly"),
    "inverse_vol": ({"window_days": 63, "min_history_days": 42}, MIXED, "monthly"),
    "vol_target": ({"target_vol": 0.08, "base_strategy": "inverse_vol"}, ["SPX", "UST10Y", "WTI"],
                   "monthly"),
}


def test_the_issue_strategies_are_registered():
    assert set(CASES) <= set(available_strategies())


@pytest.mark.parametrize("name", sorted(CASES))
def test_weights_for_d_ignore_data_after_d(name, universe, prices):
    params, symbols, freq = CASES[name]
    cfg = portfolio(f"t_{name}", name, params, symbols, rebalance={"frequency": freq})
    cols = [*symbols, "CASH"]
    start, cut = pd.Timestamp("2008-06-02"), pd.Timestamp("2008-12-31")
    full = prices.loc["2005-01-01":"2009-06-30", cols]
    dates = list(full.loc[start:cut].index)
    short = simulate(cfg, universe, full.loc[:cut], dates)
    longer = simulate(cfg, universe, full, dates)
    pd.testing.assert_frame_equal(short.target_weights, longer.target_weights)
    tw = short.target_weights.pivot(index="date", columns="symbol", values="weight")
    assert len(tw) >= 6 and np.allclose(tw.sum(axis=1), 1.0, atol=1e-9)
    assert np.isfinite(tw.to_numpy()).all() and (tw.to_numpy() >= -1e-12).all()


def load(tmp_path, universe, body: str):
    path = tmp_path / "portfolios.yaml"
    path.write_text(textwrap.dedent(body))
    return load_portfolios(path, universe)


BAD = {
    "unknown field": ("risk_parity", "{budget: {SPX: 1}}", "[SPX, UST10Y]", "params.budget"),
    "bad value": ("cppi", "{risky_asset: SPX, multiplier: -1}", "[SPX]", "params.multiplier"),
    "floor range": ("cppi", "{risky_asset: SPX, floor_pct: 1.2}", "[SPX]", "params.floor_pct"),
    "risky outside": ("cppi", "{risky_asset: WTI}", "[SPX]", "params"),
    "budgets mismatch": ("risk_parity", "{budgets: {SPX: 1}}", "[SPX, UST10Y]", "params"),
    "top_k": ("momentum", "{top_k: 5}", "[SPX, UST10Y]", "params"),
    "group class": ("max_sharpe", "{group_bounds: {commodity: [0, 0.2]}}", "[SPX, UST10Y]", "params"),
    "bounds infeasible": ("min_variance", "{weight_bounds: [0, 0.3]}", "[SPX, UST10Y]", "params"),
    "window": ("hrp", "{window_days: 50, min_history_days: 60}", "[SPX, UST10Y]", "params"),
    "linkage": ("hrp", "{linkage: centroid}", "[SPX, UST10Y]", "params.linkage"),
    "nested base": ("vol_target", "{target_vol: 0.1, base_strategy: static_mix, base_params: {weights: {SPX: 2}}}",
                    "[SPX]", "base_params.weights"),
    "nested unknown": ("vol_target", "{target_vol: 0.1, base_strategy: nope}", "[SPX]", "base_strategy"),
    "trend safe": ("trend_following", "{safe_asset: UST2Y}", "[SPX]", "params"),
}


class TestConfig:
    @pytest.mark.parametrize("case", sorted(BAD))
    def test_errors_name_portfolio_and_field(self, case, tmp_path, universe):
        strat, params, symbols, field = BAD[case]
        with pytest.raises(ConfigError) as err:
            load(tmp_path, universe, f"""
                portfolios:
                  - {{id: good_one, name: ok, risk_profile: moderate, strategy: equal_weight, universe: [SPX]}}
                  - id: broken_{strat}
                    name: broken
                    risk_profile: moderate
                    strategy: {strat}
                    universe: {symbols}
                    params: {params}
                """)
        msg = str(err.value)
        assert f"portfolio 'broken_{strat}'" in msg and field in msg, msg

    def test_every_strategy_loads_from_yaml(self, tmp_path, universe):
        entries = []
        for name, (params, symbols, freq) in CASES.items():
            entries.append({"id": f"p_{name}", "name": name, "risk_profile": "moderate",
                            "strategy": name, "params": params, "universe": symbols,
                            "rebalance": {"frequency": freq}})
        import yaml
        path = tmp_path / "all.yaml"
        path.write_text(yaml.safe_dump({"portfolios": entries}))
        cfgs = load_portfolios(path, universe)
        assert [c.strategy for c in cfgs] == list(CASES)
        vt = cfgs[-1].params
        assert type(vt.base_params).__name__ == "WindowParams"
