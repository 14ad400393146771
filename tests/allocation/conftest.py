"""Shared fixtures for the allocation tests: the real universe and bundled prices, synthetic
price paths, and helpers to build an AllocationContext or run a portfolio through the engine."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from pipelines.allocation.base import AllocationContext, PortfolioView, StrategyParams
from pipelines.allocation.registry import get_strategy_class
from pipelines.config import REPO_ROOT, PortfolioConfig, Universe, load_universe
from pipelines.ingest.bundled import _wide_prices

CASH = "CASH"
STOCKS = [
    "AAPL", "AMD", "BAC", "BBY", "CVX", "GE", "HD", "JNJ", "JPM", "KO",
    "LLY", "MRK", "MSFT", "PEP", "PFE", "PG", "RRC", "UNH", "WMT", "XOM",
]
MIXED = ["SPX", "UST2Y", "UST10Y", "WTI", "AAPL", "JNJ", "KO", "XOM"]


@pytest.fixture(scope="session")
def universe() -> Universe:
    return load_universe(REPO_ROOT / "config" / "universe.yaml")


@pytest.fixture(scope="session")
def prices() -> pd.DataFrame:
    """Real bundled daily closes, 1990-01-02 .. 2017-03-29, every universe symbol."""
    return _wide_prices()


def make_ctx(prices: pd.DataFrame, date: str | pd.Timestamp, symbols: Sequence[str],
             lookback: int | None = None, nav_history: pd.Series | None = None,
             asset_classes: dict[str, str] | None = None) -> AllocationContext:
    """The context the engine would build: the last `lookback` rows ending at `date`."""
    date = pd.Timestamp(date)
    frame = prices.loc[:date, [*symbols, CASH]]
    if lookback is not None:
        frame = frame.iloc[-lookback:]
    classes = asset_classes or {s: ("cash" if s == CASH else "equity") for s in [*symbols, CASH]}
    view = None if nav_history is None else PortfolioView(nav_history=nav_history, nav=float("nan"))
    return AllocationContext(date=frame.index[-1], prices=frame, symbols=list(symbols),
                             cash_symbol=CASH, asset_classes=classes, portfolio=view)


def strategy(name: str, **params):
    cls = get_strategy_class(name)
    return cls(cls.Params.model_validate(params))


def synthetic_prices(returns: np.ndarray, symbols: Sequence[str], start: str = "2000-01-03",
                     cash_rate: float = 0.0) -> pd.DataFrame:
    """Closes from (n_days, n_assets) simple returns starting at 100, plus a CASH index."""
    idx = pd.bdate_range(start, periods=len(returns) + 1, name="date")
    px = 100.0 * np.vstack([np.ones(len(symbols)), np.cumprod(1.0 + returns, axis=0)])
    out = pd.DataFrame(px, index=idx, columns=list(symbols))
    out[CASH] = 100.0 * (1.0 + cash_rate) ** np.arange(len(idx))
    return out


def portfolio(pid: str, strategy_name: str, params: StrategyParams | dict, symbols: Sequence[str],
              **fields) -> PortfolioConfig:
    """A validated PortfolioConfig without costs, built in the test."""
    if isinstance(params, dict):
        cls = get_strategy_class(strategy_name)
        params = cls.Params.model_validate(params)
    cfg = PortfolioConfig.model_validate({"id": pid, "name": pid, "risk_profile": "moderate",
                                          "strategy": strategy_name, "universe": list(symbols),
                                          **fields})
    return cfg.model_copy(update={"params": params})


def simulate(cfg: PortfolioConfig, universe: Universe, prices: pd.DataFrame, dates: Sequence[pd.Timestamp]):
    """The engine run from inception at dates[0] through dates[-1] (the public entry point)."""
    from pipelines.portfolio.engine import PortfolioState, advance

    cfg = cfg.model_copy(update={"inception": pd.Timestamp(dates[0]).date()})
    return advance(cfg, universe, prices, PortfolioState.initial(cfg), dates[-1])


def random_cov(n: int, seed: int = 0, singular: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    k = max(2, n // 3) if singular else 3 * n
    f = rng.standard_normal((k, n)) * rng.uniform(0.5, 2.0, n)
    cov = f.T @ f / k
    return cov * 1e-4
