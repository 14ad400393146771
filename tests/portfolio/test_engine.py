"""Engine properties on synthetic prices (unit) and daily-vs-backfill on a real DAA_HOME."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pipelines.allocation import catalog
from pipelines.allocation.strategies.static_mix import StaticMix
from pipelines.config import CostModel, DriftBand, PortfolioConfig, RebalanceRule, Settings
from pipelines.portfolio.costs import CostArrays
from pipelines.portfolio.engine import PortfolioState, advance, trade_spec
from pipelines.portfolio.trading import size_trades
from support import make_config_dir

UNIVERSE = Settings.from_env().universe


def _prices(n: int = 300, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2010-01-04", periods=n)
    r = rng.normal(0.0003, [0.012, 0.005, 0.02], size=(n, 3))
    px = 100 * np.exp(np.cumsum(r, axis=0))
    cash = 100 * np.cumprod(np.full(n, 1 + 0.02 / 252))
    return pd.DataFrame({"SPX": px[:, 0], "UST10Y": px[:, 1], "WTI": px[:, 2], "CASH": cash}, index=idx)


def run_portfolio(cfg: PortfolioConfig, universe, prices: pd.DataFrame, dates, state: PortfolioState):
    """The engine from inception at dates[0] through dates[-1]."""
    cfg = cfg.model_copy(update={"inception": pd.Timestamp(dates[0]).date()})
    return advance(cfg, universe, prices, state, dates[-1])


def rebalance_to_target(q, cash, p, w, cfg: PortfolioConfig, symbols):
    """One portfolio's rebalance through the shared trade arithmetic."""
    costs = CostArrays.build([cfg.costs], symbols, UNIVERSE.asset_classes)
    r = size_trades(np.asarray(q, float)[None], np.array([cash]), p, np.asarray(w, float)[None], costs,
                    trade_spec([cfg]))
    return r


def _cfg(**kw) -> PortfolioConfig:
    base = dict(id="t", name="t", risk_profile="moderate", strategy="static_mix",
                params=StaticMix.Params(weights={"SPX": 0.5, "UST10Y": 0.3, "WTI": 0.15, "CASH": 0.05}),
                universe=["SPX", "UST10Y", "WTI"], rebalance=RebalanceRule(frequency="monthly"),
                costs=CostModel(commission_bps=5, min_commission=1.0,
                                half_spread_bps={"equity": 2, "government_bonds": 1, "commodity": 4}))
    base.update(kw)
    return PortfolioConfig(**base)


CASES = {
    "vectorised": dict(costs=CostModel(commission_bps=5, half_spread_bps={"equity": 2})),
    "stepping": {},
    "drift": dict(rebalance=RebalanceRule(frequency="never", drift=DriftBand(absolute=0.03))),
    "edge": dict(rebalance=RebalanceRule(frequency="weekly", drift=DriftBand(relative=0.1), to="edge")),
    "whole": dict(fractional_units=False, initial_capital=50_000.0),
    "bt": dict(fill_convention="bt"),
}


@pytest.fixture(params=list(CASES))
def result(request):
    cfg = _cfg(**CASES[request.param])
    prices = _prices()
    return cfg, prices, run_portfolio(cfg, UNIVERSE, prices, list(prices.index), PortfolioState.initial(cfg))


def test_positions_reconcile_to_trades(result):
    cfg, prices, r = result
    signed = r.trades.assign(q=np.where(r.trades.side == "BUY", 1, -1) * r.trades.quantity)
    from_trades = signed.groupby("symbol")["q"].sum()
    last = r.positions[r.positions.date == r.positions.date.max()].set_index("symbol")["quantity"]
    pd.testing.assert_series_equal(from_trades.reindex(last.index).rename(None), last.rename(None),
                                   rtol=1e-12, check_names=False)


def test_cash_plus_positions_is_nav_and_cash_never_negative(result):
    cfg, prices, r = result
    mv = r.positions.groupby("date")["market_value"].sum().reindex(r.nav.date, fill_value=0.0).to_numpy()
    np.testing.assert_allclose(r.nav.cash.to_numpy() + mv, r.nav.nav.to_numpy(), rtol=1e-12)
    assert (r.nav.cash >= 0).all()


def test_cash_flows_match_trades_and_costs(result):
    """Cash moves only by accrual, trade notionals and costs."""
    cfg, prices, r = result
    nav = r.nav.set_index("date")
    flows = r.trades.assign(f=np.where(r.trades.side == "BUY", -1, 1) * r.trades.notional - r.trades.cost)
    flow = flows.groupby("trade_date")["f"].sum().reindex(nav.index, fill_value=0.0)
    growth = (prices["CASH"] / prices["CASH"].shift(1)).reindex(nav.index).fillna(1.0)
    prev = nav["cash"].shift(1).fillna(cfg.initial_capital)
    # atol: an all-invested target may leave float dust (< 1e-9 NAV) that is set to zero
    np.testing.assert_allclose(prev * growth + flow, nav["cash"], rtol=1e-10, atol=1e-9 * cfg.initial_capital * 10)
    np.testing.assert_allclose(flows.groupby("trade_date")["cost"].sum().to_numpy(),
                               nav.loc[nav.costs > 0, "costs"].to_numpy(), rtol=1e-12)


def test_whole_units_never_fractional():
    cfg = _cfg(**CASES["whole"])
    prices = _prices()
    r = run_portfolio(cfg, UNIVERSE, prices, list(prices.index), PortfolioState.initial(cfg))
    assert np.all(r.positions.quantity == np.round(r.positions.quantity))
    assert np.all(r.trades.quantity == np.round(r.trades.quantity))


def test_costs_match_the_model_by_hand():
    cm = CostModel(commission_bps=10, min_commission=5.0, half_spread_bps={"equity": 2, "government_bonds": 1})
    syms = ["SPX", "UST10Y"]  # equity, government bonds: commission + half-spread 12 and 11 bps
    reb = rebalance_to_target(np.array([0.0, 0.0]), 10_000.0, np.array([100.0, 50.0]),
                              np.array([0.5, 0.3]), _cfg(costs=cm, universe=syms), syms)
    reb = type(reb)(reb.delta[0], reb.cost[0], reb.quantities[0], reb.cash[0])
    notional = np.abs(reb.delta) * np.array([100.0, 50.0])
    by_hand = np.maximum(notional * 10e-4, 5.0) + notional * np.array([2e-4, 1e-4])
    np.testing.assert_allclose(reb.cost, by_hand, rtol=1e-15)
    # net convention: targets are on NAV net of costs
    np.testing.assert_allclose(notional, np.array([0.5, 0.3]) * (10_000 - by_hand.sum()), rtol=1e-10)
    # bt convention: notional + cost equals the target change in value
    bt_cfg = _cfg(costs=CostModel(commission_bps=10, half_spread_bps={}), universe=syms, fill_convention="bt")
    bt = rebalance_to_target(np.array([0.0, 0.0]), 10_000.0, np.array([100.0, 50.0]), np.array([0.5, 0.3]),
                             bt_cfg, syms)
    bt = type(bt)(bt.delta[0], bt.cost[0], bt.quantities[0], bt.cash[0])
    np.testing.assert_allclose(np.abs(bt.delta) * [100.0, 50.0] + bt.cost, [5000.0, 3000.0], rtol=1e-14)


def test_drift_band_triggers_exactly_at_the_edge():
    idx = pd.bdate_range("2020-01-06", periods=6)
    # 50/50 with a 10pp band: SPX weight x/(x+1) reaches 0.6 when SPX gains 50% (x = 1.5)
    spx = [100, 120, 140, 149.99, 150.0, 150.0]
    prices = pd.DataFrame({"SPX": spx, "UST10Y": 100.0, "CASH": 100.0}, index=idx, dtype=float)
    cfg = _cfg(params=StaticMix.Params(weights={"SPX": 0.5, "UST10Y": 0.5}), universe=["SPX", "UST10Y"],
               rebalance=RebalanceRule(frequency="never", drift=DriftBand(absolute=0.1)),
               costs=CostModel())
    r = run_portfolio(cfg, UNIVERSE, prices, list(idx), PortfolioState.initial(cfg))
    assert r.nav.rebalanced.tolist() == [True, False, False, False, True, False]
    assert set(r.trades[r.trades.trade_date == idx[4]].reason) == {"drift"}


def test_vectorised_and_stepping_kernels_agree():
    prices = _prices(600)
    a = _cfg(costs=CostModel(commission_bps=5, half_spread_bps={"equity": 2}))
    b = _cfg(costs=CostModel(commission_bps=5, min_commission=1e-12, half_spread_bps={"equity": 2}))
    ra = run_portfolio(a, UNIVERSE, prices, list(prices.index), PortfolioState.initial(a))
    rb = run_portfolio(b, UNIVERSE, prices, list(prices.index), PortfolioState.initial(b))
    np.testing.assert_allclose(ra.nav.nav, rb.nav.nav, rtol=1e-10)
    assert len(ra.trades) == len(rb.trades)


DRIFT_YAML = """
defaults:
  initial_capital: 1000000
  inception: 2016-06-01
  costs: {commission_bps: 1.0, min_commission: 1.0, half_spread_bps: {equity: 1.0, government_bonds: 0.5}}
portfolios:
  - id: static_60_40
    name: Static 60/40
    risk_profile: moderate
    strategy: static_mix
    params: {weights: {SPX: 0.6, UST10Y: 0.4}}
    rebalance: {frequency: monthly}
    benchmark: SPX
  - id: drift_whole
    name: Drift bands, whole units
    risk_profile: moderate
    strategy: static_mix
    params: {weights: {SPX: 0.6, UST10Y: 0.4}}
    fractional_units: false
    rebalance: {frequency: never, drift: {absolute: 0.01}}
    benchmark: static_60_40
"""


def test_daily_run_and_backfill_give_identical_rows(tmp_path, use_home):
    """Backfill to D-1 then compute D, versus backfill to D: every row for D is identical."""
    from pipelines.run_steps import RunContext, allocate, load
    from pipelines.runner import backfill
    from pipelines.warehouse.db import connect

    D, prev = dt.date(2016, 12, 1), dt.date(2016, 11, 30)  # D is a calendar rebalance day
    config = make_config_dir(tmp_path / "cfg", DRIFT_YAML)
    s1 = use_home(tmp_path / "h1", config)
    backfill(s1, dt.date(2016, 6, 1), D, run_id="full")
    s2 = use_home(tmp_path / "h2", config)
    backfill(s2, dt.date(2016, 6, 1), prev, run_id="upto")
    from pipelines.ingest.run import ingest
    snap = ingest(s2, D).snapshot_id
    run = RunContext.for_settings(s2, as_of=D, run_id="daily", snapshot_id=snap).to_dict()
    load(run, allocate=[allocate(run, p.id) for p in catalog.portfolios(s2)])
    for table, col in [("nav", "date"), ("positions", "date"), ("trades", "trade_date"), ("target_weights", "date")]:
        frames = []
        for s in (s1, s2):
            with connect(s, read_only=True) as con:
                df = con.execute(f"SELECT * EXCLUDE (run_id, data_snapshot, model_version) FROM {table} "
                                 f"WHERE {col} = ? ORDER BY ALL", [D]).df()
            frames.append(df)
        pd.testing.assert_frame_equal(frames[0], frames[1], check_exact=True)
    with connect(s1, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM trades WHERE trade_date = ?", [D]).fetchone()[0] > 0
