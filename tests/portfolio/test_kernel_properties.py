"""The two kernels agree, and a resumed run equals one run, over many random configurations.

- Vectorised against stepping (both fill conventions, every calendar rule, random mixes, costs
  and cash buffers): the same NAV to 1e-10 relative, the same holdings and the same tickets (the
  stepping kernel leaves out float-dust tickets under a billionth of NAV, which the closed form
  keeps: the comparison skips those).
- Resume bit for bit (every rule: calendar, drift bands absolute and relative, to target or to
  the band edge, signal thresholds, minimum tickets, whole units, bt fills, leverage): a run
  through T equals a run through S resumed from its own state through T, row for row, exactly,
  as the docs promise for a daily run against a backfill.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.allocation.catalog import bind
from pipelines.config import REPO_ROOT, PortfolioConfig, load_universe
from pipelines.portfolio.engine import PortfolioState, advance

UNIVERSE = load_universe(REPO_ROOT / "config" / "universe.yaml")
SYMS = ["SPX", "UST10Y", "WTI", "AAPL"]


def _prices(seed: int, n: int = 260) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2011-01-03", periods=n)
    vol = np.array([0.012, 0.005, 0.02, 0.018])
    px = 100 * np.exp(np.cumsum(rng.normal(0.0002, vol, size=(n, len(SYMS))), axis=0))
    cash = 100 * np.cumprod(np.full(n, 1 + 0.02 / 252))
    return pd.DataFrame({**dict(zip(SYMS, px.T, strict=True)), "CASH": cash}, index=idx)


CALENDAR = st.one_of(
    st.just({"frequency": "daily"}),
    st.builds(lambda d: {"frequency": "weekly", "weekday": d}, st.integers(0, 4)),
    st.builds(lambda d: {"frequency": "monthly", "month_day": d}, st.one_of(st.none(), st.integers(1, 31))),
    st.builds(lambda d: {"frequency": "quarterly", "month_day": d}, st.one_of(st.none(), st.integers(1, 31))),
    st.just({"frequency": "annually"}),
)


@st.composite
def mixes(draw) -> tuple[dict, list[str]]:
    k = draw(st.integers(1, len(SYMS)))
    syms = draw(st.permutations(SYMS))[:k]
    raw = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=k + 1, max_size=k + 1)))
    w = raw / raw.sum()
    weights = {s: float(x) for s, x in zip(syms, w[:-1], strict=True)}
    weights["CASH"] = float(1.0 - sum(weights.values()))
    return weights, list(syms)


def _costs(draw_bps: float, spread: float) -> dict:
    return {"commission_bps": draw_bps, "half_spread_bps": {"equity": spread, "government_bonds": spread / 2,
                                                             "commodity": 2 * spread}}


def _cfg(weights: dict, syms: list[str], **fields) -> PortfolioConfig:
    raw = PortfolioConfig.model_validate({"id": "p", "name": "p", "risk_profile": "moderate",
                                          "strategy": "static_mix", "params": {"weights": weights},
                                          "universe": syms, "inception": "2011-01-03", **fields})
    return bind(raw, UNIVERSE, "p")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mix=mixes(), rule=CALENDAR, convention=st.sampled_from(["net", "bt"]),
       bps=st.floats(0.0, 20.0), spread=st.floats(0.0, 10.0), buffer=st.sampled_from([0.0, 0.02]),
       seed=st.integers(0, 5))
def test_vectorised_and_stepping_kernels_agree(mix, rule, convention, bps, spread, buffer, seed):
    weights, syms = mix
    cfg = _cfg(weights, syms, rebalance=rule, fill_convention=convention, costs=_costs(bps, spread),
               cash_buffer=buffer)
    px = _prices(seed)
    a = advance(cfg, UNIVERSE, px, PortfolioState.initial(cfg), px.index[-1])
    b = advance(cfg, UNIVERSE, px, PortfolioState.initial(cfg), px.index[-1], kernel="stepping")
    np.testing.assert_allclose(a.nav["nav"], b.nav["nav"], rtol=1e-10)
    np.testing.assert_allclose(a.nav["cash"], b.nav["cash"], rtol=1e-8, atol=1e-6)
    assert (a.nav["cash"] >= 0).all() and (b.nav["cash"] >= 0).all()
    qa = a.positions.groupby(["date", "symbol"])["quantity"].sum()
    qb = b.positions.groupby(["date", "symbol"])["quantity"].sum()
    both = pd.concat([qa, qb], axis=1, keys=["a", "b"]).fillna(0.0)
    np.testing.assert_allclose(both["a"], both["b"], rtol=1e-9, atol=1e-9)
    real = lambda t: t[t.notional > 1e-9 * 1e6][["trade_date", "symbol", "side"]]  # noqa: E731
    pd.testing.assert_frame_equal(real(a.trades).reset_index(drop=True), real(b.trades).reset_index(drop=True))


RULES = st.one_of(
    CALENDAR,
    st.builds(lambda a: {"frequency": "never", "drift": {"absolute": a}}, st.floats(0.01, 0.1)),
    st.builds(lambda r, to: {"frequency": "monthly", "drift": {"relative": r}, "to": to},
              st.floats(0.05, 0.5), st.sampled_from(["target", "edge"])),
    st.builds(lambda a: {"frequency": "never", "drift": {"absolute": a}, "to": "edge"}, st.floats(0.01, 0.1)),
    st.builds(lambda m, r: {**r, "min_trade_value": m}, st.floats(100.0, 20_000.0), CALENDAR),
    st.builds(lambda m, r: {**r, "min_trade_weight": m}, st.floats(0.001, 0.02), CALENDAR),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mix=mixes(), rule=RULES, convention=st.sampled_from(["net", "bt"]), whole=st.booleans(),
       min_commission=st.sampled_from([0.0, 1.0]), split=st.integers(20, 230), seed=st.integers(0, 5))
def test_a_resumed_run_equals_one_run_bit_for_bit(mix, rule, convention, whole, min_commission, split, seed):
    weights, syms = mix
    cfg = _cfg(weights, syms, rebalance=rule, fill_convention=convention, fractional_units=not whole,
               initial_capital=250_000.0, costs={**_costs(2.0, 1.0), "min_commission": min_commission})
    px = _prices(seed)
    one = advance(cfg, UNIVERSE, px, PortfolioState.initial(cfg), px.index[-1])
    cut = px.index[split]
    first = advance(cfg, UNIVERSE, px, PortfolioState.initial(cfg), cut)
    rest = advance(cfg, UNIVERSE, px, _stored(first.state), px.index[-1])
    for table, col in (("nav", "date"), ("positions", "date"), ("trades", "trade_date"),
                       ("target_weights", "date")):
        full = getattr(one, table)
        later = full[pd.to_datetime(full[col]) > cut].reset_index(drop=True)
        pd.testing.assert_frame_equal(getattr(rest, table).reset_index(drop=True), later, check_exact=True,
                                      obj=f"{table} after {cut.date()}")


def _stored(state: PortfolioState) -> PortfolioState:
    """The state as the warehouse gives it back (no NAV history unless a strategy needs it)."""
    return PortfolioState(date=state.date, cash=state.cash, quantities=dict(state.quantities), nav=state.nav,
                          targets=None if state.targets is None else dict(state.targets),
                          targets_version=state.targets_version)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(split=st.integers(70, 230), seed=st.integers(0, 5), exposure=st.floats(1.0, 4.0),
       lev=st.floats(1.0, 2.0))
def test_a_resumed_levered_overlay_equals_one_run_and_respects_its_cap(split, seed, exposure, lev):
    raw = PortfolioConfig.model_validate({
        "id": "vt", "name": "vt", "risk_profile": "moderate", "strategy": "vol_target",
        "params": {"target_vol": 0.25, "window_days": 21, "min_history_days": 10, "max_exposure": exposure,
                   "base_strategy": "static_mix", "base_params": {"weights": {"SPX": 0.6, "UST10Y": 0.4}}},
        "universe": ["SPX", "UST10Y"], "inception": "2011-01-03", "allow_leverage": True,
        "max_leverage": lev, "rebalance": {"frequency": "weekly"}})
    cfg = bind(raw, UNIVERSE, "vt")
    px = _prices(seed)[["SPX", "UST10Y", "CASH"]]
    one = advance(cfg, UNIVERSE, px, PortfolioState.initial(cfg), px.index[-1])
    gross = one.positions.assign(v=lambda d: d.market_value.abs()).groupby("date")["v"].sum()
    assert (gross / one.nav.set_index("date")["nav"]).max() <= lev * (1 + 1e-9)
    cut = px.index[split]
    first = advance(cfg, UNIVERSE, px, PortfolioState.initial(cfg), cut)
    rest = advance(cfg, UNIVERSE, px, _stored(first.state), px.index[-1])
    later = one.nav[one.nav.date > cut].reset_index(drop=True)
    pd.testing.assert_frame_equal(rest.nav.reset_index(drop=True), later, check_exact=True)
