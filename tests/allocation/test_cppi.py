import numpy as np
import pandas as pd
import pytest

from .conftest import make_ctx, portfolio, simulate, strategy, synthetic_prices


def textbook(risky: np.ndarray, safe: np.ndarray, m: float, fp: float, ratchet: bool,
             hi: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Discrete CPPI on value V (V_0 = 1): exposures, values and floors, date by date."""
    V, peak = 1.0, 1.0
    exposures, values, floors = [], [], []
    for t in range(len(risky)):
        if t > 0:
            e = exposures[-1]
            V = V * (1 + e * (risky[t] / risky[t - 1] - 1) + (1 - e) * (safe[t] / safe[t - 1] - 1))
        peak = max(peak, V)
        F = fp * (peak if ratchet else 1.0)
        exposures.append(min(max(m * max(V - F, 0.0) / V, 0.0), hi))
        values.append(V)
        floors.append(F)
    return np.array(exposures), np.array(values), np.array(floors)


def run(px: pd.DataFrame, universe, params: dict, symbols) -> tuple[pd.DataFrame, pd.Series]:
    cfg = portfolio("cppi_test", "cppi", params, symbols, rebalance={"frequency": "daily"},
                    initial_capital=1_000_000.0)
    res = simulate(cfg, universe, px, list(px.index))
    tw = res.target_weights.pivot(index="date", columns="symbol", values="weight")
    return tw, res.nav.set_index("date")["nav"]


class TestCPPI:
    @pytest.mark.parametrize("ratchet", [False, True])
    def test_matches_textbook_and_never_breaches_floor(self, universe, ratchet):
        rng = np.random.default_rng(11)
        r = rng.normal(0.0003, 0.015, 500)
        r[200:215] = -0.08  # a slide: 15 days of -8%, each above -1/m = -25%
        px = synthetic_prices(r[:, None], ["SPX"], cash_rate=0.0001)
        params = dict(risky_asset="SPX", multiplier=4.0, floor_pct=0.8, ratchet=ratchet)
        tw, nav = run(px, universe, params, ["SPX"])
        e, v, f = textbook(px["SPX"].to_numpy(), px["CASH"].to_numpy(), 4.0, 0.8, ratchet)
        np.testing.assert_allclose(tw["SPX"].to_numpy(), e, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(nav.to_numpy() / 1e6, v, rtol=1e-9)
        assert np.all(nav.to_numpy() / 1e6 >= f * (1 - 1e-12))
        assert e.min() < 0.05 < e.max()  # the path really tests the floor

    def test_real_spx_2007_2009_with_bond_floor(self, universe, prices):
        px = prices.loc["2007-06-01":"2009-12-31", ["SPX", "UST2Y", "CASH"]]
        assert px["SPX"].pct_change().min() > -1 / 3  # no gap larger than the cushion
        params = dict(risky_asset="SPX", safe_asset="UST2Y", multiplier=3.0, floor_pct=0.85,
                      ratchet=True, max_exposure=0.9)
        tw, nav = run(px, universe, params, ["SPX", "UST2Y"])
        e, v, f = textbook(px["SPX"].to_numpy(), px["UST2Y"].to_numpy(), 3.0, 0.85, True, 0.9)
        np.testing.assert_allclose(tw["SPX"].to_numpy(), e, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(nav.to_numpy() / 1e6, v, rtol=1e-9)
        assert np.all(v >= f) and tw["SPX"].max() <= 0.9
        np.testing.assert_allclose(tw[["SPX", "UST2Y"]].sum(axis=1), 1.0, atol=1e-12)
        assert (tw["CASH"] == 0).all()

    def test_first_day_and_bad_history(self, prices):
        s = strategy("cppi", risky_asset="SPX", multiplier=3.0, floor_pct=0.9)
        ctx = make_ctx(prices, "2000-01-03", ["SPX"], 2, nav_history=pd.Series(dtype=float))
        assert s.target_weights(ctx)["SPX"] == pytest.approx(0.3)  # 3 * (1 - 0.9)
        stale = pd.Series([1e6], index=[pd.Timestamp("1999-06-01")])
        with pytest.raises(Exception, match="pre-trade NAV"):
            s.target_weights(make_ctx(prices, "2000-01-03", ["SPX"], 2, nav_history=stale))
