import numpy as np
import pandas as pd

from pipelines.allocation.strategies.momentum import momentum_scores

from .conftest import make_ctx, strategy, synthetic_prices


def crossing_path() -> pd.DataFrame:
    """A falls for 40 days, then rises (crossing its 20-day SMA upward), then falls again;
    B rises steadily (always in)."""
    r_a = np.concatenate([np.full(40, -0.01), np.full(30, 0.012), np.full(30, -0.015)])
    r_b = np.full(100, 0.002)
    return synthetic_prices(np.column_stack([r_a, r_b]), ["A", "B"])


class TestTrendFollowing:
    def test_switches_exactly_at_the_crossing(self):
        px = crossing_path()
        s = strategy("trend_following", sma_days=20)
        sma = px["A"].rolling(20).mean()
        expected_in = (px["A"] > sma) & sma.notna()
        got = pd.Series([s.target_weights(make_ctx(px, d, ["A", "B"], s.needs.lookback))["A"]
                         for d in px.index], index=px.index)
        assert ((got == 0.5) == expected_in).all() and got.isin([0.0, 0.5]).all()
        flips = expected_in.astype(int).diff().fillna(0)
        up, down = flips.index[flips == 1], flips.index[flips == -1]
        assert len(up) == 1 and len(down) == 1
        day_before = px.index[px.index.get_loc(up[0]) - 1]
        assert got[day_before] == 0.0 and got[up[0]] == 0.5  # in on the crossing day itself
        assert px["A"][up[0]] > sma[up[0]] and px["A"][day_before] <= sma[day_before]

    def test_out_goes_to_safe_asset_and_cash_is_explicit(self):
        px = crossing_path()
        date = px.index[35]  # A below its average
        s = strategy("trend_following", sma_days=20, safe_asset="B", base_weights={"A": 0.7, "B": 0.3})
        w = s.target_weights(make_ctx(px, date, ["A", "B"], s.needs.lookback))
        assert w.to_dict() == {"A": 0.0, "B": 1.0, "CASH": 0.0}
        w = strategy("trend_following", sma_days=20).target_weights(make_ctx(px, date, ["A", "B"], 20))
        assert w.to_dict() == {"A": 0.0, "B": 0.5, "CASH": 0.5}

    def test_on_the_average_is_out_and_short_history_is_out(self):
        flat = synthetic_prices(np.zeros((30, 1)), ["A"])
        s = strategy("trend_following", sma_days=20)
        assert s.target_weights(make_ctx(flat, flat.index[-1], ["A"], 20))["CASH"] == 1.0
        up = synthetic_prices(np.full((10, 1), 0.01), ["A"])  # 11 closes < 20
        assert s.target_weights(make_ctx(up, up.index[-1], ["A"], 20))["CASH"] == 1.0

    def test_fast_slow_cross(self):
        px = crossing_path()
        s = strategy("trend_following", sma_days=20, fast_days=5)
        fast, slow = px["A"].rolling(5).mean(), px["A"].rolling(20).mean()
        for d in px.index[20:]:
            w = s.target_weights(make_ctx(px, d, ["A", "B"], s.needs.lookback))
            assert (w["A"] > 0) == (fast[d] > slow[d])


class TestMomentum:
    def test_twelve_minus_one_top_k(self):
        rng = np.random.default_rng(3)
        rets = rng.normal(0.0003, 0.01, (300, 5))
        px = synthetic_prices(rets, list("ABCDE"))
        px.iloc[-10:, 4] *= 3.0  # E jumps inside the skipped month: must not count
        s = strategy("momentum", top_k=2)
        d = px.index[-1]
        w = s.target_weights(make_ctx(px, d, list("ABCDE"), s.needs.lookback))
        mom = px.iloc[-22] / px.iloc[-253] - 1
        top = mom[list("ABCDE")].sort_values(ascending=False).index[:2]
        assert sorted(w[w > 0].drop("CASH", errors="ignore").index) == sorted(top)
        assert w[top].tolist() == [0.5, 0.5] and w["CASH"] == 0.0
        np.testing.assert_allclose(momentum_scores(px[list("ABCDE")].to_numpy(), 252, 21),
                                   mom[list("ABCDE")].to_numpy(), rtol=1e-12)

    def test_absolute_momentum_and_short_history(self):
        rets = np.column_stack([np.full(300, 0.001), np.full(300, -0.001), np.full(300, 0.0002)])
        px = synthetic_prices(rets, ["A", "B", "SAFE"], cash_rate=0.0001)
        s = strategy("momentum", top_k=2, absolute_momentum=True, safe_asset="SAFE")
        w = s.target_weights(make_ctx(px, px.index[-1], ["A", "B", "SAFE"], s.needs.lookback))
        assert w.to_dict() == {"A": 0.5, "B": 0.0, "SAFE": 0.5, "CASH": 0.0}  # B loses to cash
        short = px.iloc[:100]
        w = s.target_weights(make_ctx(short, short.index[-1], ["A", "B", "SAFE"], s.needs.lookback))
        assert w["SAFE"] == 1.0  # nothing ranked yet: every slot to the safe asset
