"""The engine's fast paths give the same bits as the plain forms they replace.

- many portfolios at once (segment-by-segment NAV marks, cost fixed point on moving entries,
  one-row static-mix targets) equal each portfolio run alone;
- holdings rows built from segments equal the non-zero entries of the materialised holdings;
- string columns gathered by Arrow equal (values and dtype) the ones pandas builds from objects;
- the cost fixed point equals twelve plain sweeps;
- closes by column position, period runs and rebalance events equal the pandas / np.unique forms.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.allocation.strategies.equal_weight import EqualWeight
from pipelines.allocation.strategies.static_mix import StaticMix
from pipelines.config import CostModel, PortfolioConfig, RebalanceRule, Settings
from pipelines.portfolio import rebalancing, simulate, tables, trading
from pipelines.portfolio.batch import run_batch
from pipelines.portfolio.engine import PortfolioState, advance, symbol_prices

UNIVERSE = Settings.from_env().universe
SYMS = ["SPX", "UST10Y", "WTI"]


def _prices(n: int = 400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2011-01-03", periods=n)
    px = 100 * np.exp(np.cumsum(rng.normal(0.0003, [0.012, 0.005, 0.02], size=(n, 3)), axis=0))
    cash = 100 * np.cumprod(np.full(n, 1 + 0.02 / 252))
    return pd.DataFrame({**dict(zip(SYMS, px.T, strict=True)), "CASH": cash}, index=idx)


def _mix(k: int, rng: np.random.Generator, strategy: str = "static_mix") -> PortfolioConfig:
    w = rng.dirichlet(np.ones(len(SYMS) + 1))
    mix = {**dict(zip(SYMS, map(float, w[:-1]), strict=True)), "CASH": float(1 - w[:-1].sum())}
    params = StaticMix.Params(weights=mix) if strategy == "static_mix" else EqualWeight.Params()
    return PortfolioConfig(id=f"p{k}", name=f"p{k}", risk_profile="moderate", strategy=strategy, params=params,
                           universe=SYMS, rebalance=RebalanceRule(frequency="monthly"),
                           costs=CostModel(commission_bps=float(rng.integers(0, 20)),
                                           half_spread_bps={"equity": 2.0, "commodity": 5.0}))


def test_large_batch_equals_each_portfolio_alone():
    prices = _prices()
    rng = np.random.default_rng(11)
    cfgs = [_mix(k, rng, "equal_weight" if k % 7 == 0 else "static_mix")
            for k in range(simulate.SEGMENT_MARKS_MIN_K + 4)]
    batch = run_batch(cfgs, UNIVERSE, prices, prices.index)
    for k, cfg in enumerate(cfgs):
        alone = advance(cfg.model_copy(update={"inception": prices.index[0].date()}), UNIVERSE, prices,
                        PortfolioState.initial(cfg), prices.index[-1])
        np.testing.assert_array_equal(batch.nav[k], alone.nav["nav"].to_numpy())
        np.testing.assert_array_equal(batch.costs[k], alone.nav["costs"].to_numpy())


def test_held_rows_equal_nonzero_holdings():
    rng = np.random.default_rng(5)
    seg_q = rng.normal(size=(6, 4)) * (rng.random((6, 4)) > 0.4)
    seg_start = np.array([0, 3, 4, 9, 9, 15])
    L = 20
    t, n, q = tables._held(seg_start, seg_q, L)
    H = seg_q[np.searchsorted(seg_start, np.arange(L), side="right") - 1]
    t0, n0 = np.nonzero(H)
    np.testing.assert_array_equal(t, t0)
    np.testing.assert_array_equal(n, n0)
    np.testing.assert_array_equal(q, H[t0, n0])


def test_arrow_string_columns_match_pandas():
    codes = np.array([2, 0, 1, 1, 2, 0])
    names = ["SPX", "UST10Y", "CASH"]
    fast = pd.Series(tables._str_take(names, codes))
    plain = pd.Series(np.array(names, dtype=object)[codes])
    pd.testing.assert_series_equal(fast, plain)
    pd.testing.assert_series_equal(pd.Series(tables._const_str("pid", 4)), pd.Series(["pid"] * 4))
    pd.testing.assert_series_equal(pd.Series(tables._const_str("pid", 0)), pd.Series([], dtype=plain.dtype))
    for values, n in [(names, 3), (["é", "", "xy"], 2), (["a"], 0), ([], 4)]:
        tiled = pd.Series(tables._tiled_str(values, n))
        pd.testing.assert_series_equal(tiled, pd.Series(np.tile(np.array(values, dtype=object), n), dtype=plain.dtype))


def test_held_rows_of_an_always_held_grid_are_the_grid():
    seg_q = np.random.default_rng(6).uniform(1, 2, size=(4, 3))
    seg_start = np.array([0, 2, 7, 8])
    t, n, q = tables._held(seg_start, seg_q, 12)
    assert t is None and n is None
    np.testing.assert_array_equal(q, seg_q[np.searchsorted(seg_start, np.arange(12), side="right") - 1].ravel())


def test_closes_by_position_equal_the_frame_columns():
    prices = _prices(50)
    for syms in (["WTI", "SPX"], ["CASH", "UST10Y", "SPX", "WTI"], []):
        np.testing.assert_array_equal(symbol_prices(prices, syms), prices[syms].to_numpy(dtype=float))
    with pytest.raises(KeyError, match="GOLD"):
        symbol_prices(prices, ["SPX", "GOLD"])


def test_period_runs_and_rebalance_events_equal_np_unique():
    rng = np.random.default_rng(8)
    for _ in range(50):
        ordered = np.sort(rng.integers(0, 12, int(rng.integers(0, 40))))
        shuffled = rng.permutation(ordered)
        for values in (ordered, shuffled):
            got, want = rebalancing._runs(values), np.unique(values, return_inverse=True)
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_array_equal(got[1], want[1])
        fires = rng.random(int(rng.integers(1, 30))) < 0.3
        np.testing.assert_array_equal(rebalancing.rebalance_events(fires),
                                      np.unique(np.concatenate([[0], np.flatnonzero(fires)])))


def test_cost_fraction_equals_plain_sweeps():
    rng = np.random.default_rng(2)
    W = rng.dirichlet(np.ones(5), size=(40, 30))
    x = W * rng.uniform(0.8, 1.2, W.shape)
    rate = rng.uniform(0, 3e-3, (40, 1, 5))
    f = np.zeros((40, 30))
    for _ in range(12):
        f = (rate * np.abs(W * (1.0 - f)[..., None] - x)).sum(-1)
    np.testing.assert_array_equal(trading.proportional_cost_fraction(W, x, rate), f)
