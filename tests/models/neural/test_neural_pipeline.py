"""The neural policy in the pipeline (pipelines.modeling.neural, the neural_sharpe strategy):
refits versioned in a real registry with their metrics, a diverging refit rejected with the
previous version serving, served weights that no later data changes, and the strategy's
fallback before the first refit."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from neural_support import POLICY, SPEC, TRAIN, momentum_market

from models.registry import Registry
from pipelines.allocation.base import AllocationContext
from pipelines.allocation.catalog import bind
from pipelines.allocation.registry import get_strategy_class
from pipelines.config import ConfigError, PortfolioConfig, Settings, load_universe
from pipelines.modeling.neural import NeuralSetup, policy_path, serving_records, train_refits
from pipelines.modeling.serving import DateModels
from support import REPO

SETUP = NeuralSetup(SPEC, POLICY, TRAIN)
DATES = [pd.Timestamp("2003-01-02"), pd.Timestamp("2004-01-02")]


@pytest.fixture(scope="module")
def market():
    return momentum_market(n=1400)  # 2001-01-01 .. mid 2006


@pytest.fixture(scope="module")
def trained(tmp_path_factory, market):
    registry = Registry(tmp_path_factory.mktemp("registry"))
    outcomes = train_refits(registry, SETUP.name, SETUP, market, DATES, "synthetic")
    return registry, outcomes


def test_refits_are_versioned_with_their_training_metrics_and_not_retrained(trained, market):
    registry, outcomes = trained
    assert [o.status for o in outcomes] == ["trained", "trained"]
    records = registry.records(SETUP.name)
    assert [r.trained_through for r in records] == [d.date() for d in DATES]
    for rec, out in zip(records, outcomes, strict=True):
        assert rec.version == out.version and rec.version.startswith(f"{SETUP.name}@")
        assert {"train_sharpe", "validation_sharpe", "epochs"} <= set(rec.meta["cv_metrics"])
        assert pd.Timestamp(rec.meta["training_window"]["validation_end"]) < pd.Timestamp(rec.trained_through)
        assert rec.meta["training_seconds"] > 0 and rec.meta["train_loss"]
    again = train_refits(registry, SETUP.name, SETUP, market, DATES, "synthetic")
    assert [o.status for o in again] == ["registered", "registered"]
    assert [o.version for o in again] == [o.version for o in outcomes]


def test_a_refit_with_nan_loss_is_rejected_and_the_previous_version_keeps_serving(tmp_path, market):
    registry = Registry(tmp_path)
    first = train_refits(registry, SETUP.name, SETUP, market, DATES[:1], "synthetic")
    diverging = dataclasses.replace(SETUP, train=dataclasses.replace(TRAIN, learning_rate=1e8))
    second = train_refits(registry, SETUP.name, diverging, market, DATES[1:], "synthetic")
    assert second[0].status == "rejected" and "diverged" in second[0].reason
    assert [r.version for r in registry.records(SETUP.name)] == [first[0].version]
    path = policy_path(registry, serving_records(registry, SETUP.name), SETUP, market)
    after = path.version[path.version.index > DATES[1]]
    assert len(after) > 300 and set(after) == {first[0].version}


def test_served_weights_are_valid_and_unchanged_by_data_after_d(trained, market):
    registry, _ = trained
    records = serving_records(registry, SETUP.name)
    full = policy_path(registry, records, SETUP, market)
    w = full.weights.to_numpy()
    assert (w >= -1e-6).all() and np.allclose(w.sum(axis=1), 1.0, atol=1e-5)
    assert full.weights.index[0] > DATES[0]
    assert (full.version[full.version.index <= DATES[1]] == records[0].version).all()
    assert (full.version[full.version.index > DATES[1]] == records[1].version).all()
    for d in (pd.Timestamp("2003-07-01"), pd.Timestamp("2004-01-02"), pd.Timestamp("2005-03-15")):
        known = [r for r in records if pd.Timestamp(r.trained_through) < d]
        cut = policy_path(registry, known, SETUP, market.truncated(d))
        pd.testing.assert_frame_equal(cut.weights, full.weights.loc[:d])  # bit for bit


def _portfolio(params: dict) -> PortfolioConfig:
    universe = load_universe(REPO / "config" / "universe.yaml")
    cfg = PortfolioConfig(id="neural_test", name="Neural test", risk_profile="moderate", strategy="neural_sharpe",
                          params=params, universe=["SPX", "UST10Y"])
    return bind(cfg, universe, "portfolios.yaml: portfolio 'neural_test'")


def test_bad_parameters_are_refused_naming_the_portfolio_and_field():
    with pytest.raises(ConfigError, match=r"neural_test.*params\.window"):
        _portfolio({"window": 0})
    with pytest.raises(ConfigError, match=r"params\.seeds"):
        _portfolio({"seeds": [1, 1]})
    with pytest.raises(ConfigError, match=r"params\.hidden_units"):
        _portfolio({"hidden_units": 8})


@pytest.mark.parametrize(("no_model", "expected"), [("equal_weight", [0.5, 0.5, 0.0]), ("cash", [0.0, 0.0, 1.0])])
def test_before_the_first_refit_the_fallback_serves_without_a_model_version(tmp_path, no_model, expected):
    cfg = _portfolio({"no_model": no_model})
    strategy = get_strategy_class("neural_sharpe")(cfg.params)
    settings = Settings(data_root=tmp_path, config_dir=REPO / "config")  # an empty registry
    day = pd.Timestamp("1995-06-01")
    prices = pd.DataFrame({"SPX": [100.0], "UST10Y": [100.0], "CASH": [1.0]}, index=[day])
    ctx = AllocationContext(date=day, prices=prices, symbols=cfg.symbols, cash_symbol="CASH",
                            asset_classes={}, models=DateModels(settings, day))
    weights, version = strategy.target(ctx)
    assert version is None
    np.testing.assert_allclose(weights, expected)
