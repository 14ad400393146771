"""The `factor` covariance estimator through the real engine and lake: a risk parity portfolio
runs on the factor-model covariance, and its weights for D do not change when data after D is
appended (to the engine's prices and to the lake the factor model reads)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from models.factors import FACTORS
from pipelines import lake
from pipelines.allocation.covariance import TRADING_DAYS, estimate_covariance
from pipelines.allocation.registry import get_strategy_class
from pipelines.allocation.solvers.risk_parity import risk_budget_weights
from pipelines.config import PortfolioConfig, Settings
from pipelines.ingest.run import ingest
from pipelines.modeling.serving import ModelProvider, factor_fit
from pipelines.portfolio.engine import PortfolioState, advance

SYMBOLS = ["SPX", "UST2Y", "UST10Y", "WTI", "AAPL", "JNJ", "KO", "XOM"]
START, CUT = pd.Timestamp("2012-06-01"), pd.Timestamp("2012-12-31")


def _portfolio(covariance: str) -> PortfolioConfig:
    cls = get_strategy_class("risk_parity")
    params = cls.Params.model_validate({"covariance": covariance, "window_days": 252,
                                        "min_history_days": 126})
    cfg = PortfolioConfig.model_validate({"id": f"rp_{covariance}", "name": "rp",
                                          "risk_profile": "moderate", "strategy": "risk_parity",
                                          "universe": SYMBOLS, "rebalance": {"frequency": "monthly"}})
    return cfg.model_copy(update={"params": params})


def _run(settings: Settings, covariance: str = "factor"):
    cfg = _portfolio(covariance)
    prices = lake.read_prices_wide(settings, lake.curated_max_date(settings, lake.PRICES),
                                   [*SYMBOLS, "CASH"], start=dt.date(2010, 1, 1))
    cfg = cfg.model_copy(update={"inception": START.date()})
    return advance(cfg, settings.universe, prices, PortfolioState.initial(cfg), CUT,
                   models=ModelProvider(settings))


@pytest.fixture(scope="module")
def cut_home(tmp_path_factory, base_home) -> Settings:
    """A lake ingested only up to CUT (the same source, nothing after it)."""
    _, config = base_home
    settings = Settings(data_root=tmp_path_factory.mktemp("cut-home"), config_dir=config)
    ingest(settings, CUT.date(), full_history=True)
    return settings


def test_risk_parity_on_the_factor_covariance_ignores_data_after_d(base_home, cut_home, use_home):
    home, config = base_home
    full = use_home(home, config)
    assert lake.curated_max_date(full, lake.PRICES) > CUT.date()
    longer = _run(full)
    short = _run(use_home(cut_home.data_root, config))
    pd.testing.assert_frame_equal(short.target_weights, longer.target_weights)
    tw = longer.target_weights.pivot(index="date", columns="symbol", values="weight")
    assert len(tw) >= 6 and np.allclose(tw.sum(axis=1), 1.0, atol=1e-9)

    # the weights are the risk parity of the factor model's covariance, not of the fallback
    use_home(home, config)
    d = tw.index[-1]
    fit = factor_fit(full, d, SYMBOLS, FACTORS, 60, 36)
    assert fit is not None and fit.assets == SYMBOLS
    expected = risk_budget_weights(fit.covariance(SYMBOLS).to_numpy())
    np.testing.assert_allclose(tw.loc[d, SYMBOLS].to_numpy(), expected, atol=1e-6)
    lw = _run(full, "ledoit_wolf").target_weights.pivot(index="date", columns="symbol", values="weight")
    assert np.abs(lw.loc[d, SYMBOLS] - tw.loc[d, SYMBOLS]).max() > 1e-3


def test_factor_covariance_is_daily_and_needs_symbols_and_the_model_view(base_home, use_home):
    settings = use_home(*base_home)
    d = pd.Timestamp("2012-12-31")
    rets = np.random.default_rng(0).normal(0, 0.01, size=(100, 2))
    cov = estimate_covariance(rets, "factor", symbols=["SPX", "KO"], models=ModelProvider(settings).at(d))
    fit = factor_fit(settings, d, ["SPX", "KO"], FACTORS, 60, 36)
    np.testing.assert_allclose(cov * TRADING_DAYS / 12, fit.covariance().to_numpy())
    assert np.linalg.eigvalsh(cov).min() > 0
    with pytest.raises(ValueError, match="symbols and the model view"):
        estimate_covariance(rets, "factor")


def test_uncovered_symbols_fall_back_to_ledoit_wolf(base_home, use_home):
    settings = use_home(*base_home)
    rets = np.random.default_rng(1).normal(0, 0.01, size=(100, 2))
    # 1991: fewer than 36 months of factor history, so there is no model yet
    view = ModelProvider(settings).at(pd.Timestamp("1991-06-28"))
    cov = estimate_covariance(rets, "factor", symbols=["SPX", "KO"], models=view)
    np.testing.assert_allclose(cov, estimate_covariance(rets, "ledoit_wolf"))
