import numpy as np
import pytest

from pipelines.allocation.base import AllocationError
from pipelines.allocation.covariance import estimate_covariance

from .conftest import make_ctx, strategy


class TestInverseVol:
    def test_proportional_to_inverse_vol(self, prices):
        syms = ["SPX", "UST10Y", "WTI"]
        s = strategy("inverse_vol", window_days=63, min_history_days=42)
        ctx = make_ctx(prices, "2014-03-31", syms, s.needs.lookback)
        w = s.target_weights(ctx)
        vol = ctx.prices[syms].pct_change().iloc[1:].std()
        np.testing.assert_allclose(w[syms].to_numpy(), (1 / vol / (1 / vol).sum()).to_numpy(), rtol=1e-12)
        assert w["CASH"] == 0.0


class TestVolTarget:
    BASE = {"weights": {"SPX": 0.6, "UST10Y": 0.4}}

    def _vol(self, ctx, w, syms):
        cov = estimate_covariance(ctx.prices[syms].pct_change().iloc[1:].to_numpy())
        return float(np.sqrt(w @ cov @ w * 252))

    def test_scales_to_target_with_cash_remainder(self, prices):
        syms = ["SPX", "UST10Y"]
        s = strategy("vol_target", target_vol=0.05, base_strategy="static_mix", base_params=self.BASE)
        ctx = make_ctx(prices, "2008-11-28", syms, s.needs.lookback)
        w = s.target_weights(ctx)
        assert self._vol(ctx, w[syms].to_numpy(), syms) == pytest.approx(0.05, rel=1e-10)
        assert w[syms].iloc[0] / w[syms].iloc[1] == pytest.approx(1.5)  # base mix kept
        assert w["CASH"] > 0.5 and w.sum() == pytest.approx(1.0, abs=1e-12)

    def test_leverage_cap(self, prices):
        syms = ["SPX", "UST10Y"]
        calm = make_ctx(prices, "2017-03-28", syms, 64)
        capped = strategy("vol_target", target_vol=0.5, base_strategy="static_mix", base_params=self.BASE)
        assert capped.target_weights(calm)[syms].sum() == pytest.approx(1.0)
        lev = strategy("vol_target", target_vol=0.5, max_exposure=1.5, base_strategy="static_mix",
                       base_params=self.BASE)
        w = lev.target_weights(calm)
        assert w[syms].sum() == pytest.approx(1.5) and w["CASH"] == pytest.approx(-0.5)

    def test_over_risk_based_base_and_fallbacks(self, prices):
        syms = ["SPX", "UST10Y", "WTI"]
        s = strategy("vol_target", target_vol=0.06, base_strategy="risk_parity",
                     base_params={"window_days": 126, "min_history_days": 60})
        ctx = make_ctx(prices, "2011-08-31", syms, s.needs.lookback)
        w = s.target_weights(ctx)
        assert w.sum() == pytest.approx(1.0) and (w >= 0).all()
        first = make_ctx(prices, "1990-01-02", syms, s.needs.lookback)
        assert s.target_weights(first)[syms].tolist() == pytest.approx([1 / 3] * 3)  # base unscaled
        err = strategy("vol_target", target_vol=0.06, base_strategy="static_mix",
                       base_params={"weights": {"SPX": 1.0}}, fallback="error")
        with pytest.raises(AllocationError, match="no volatility estimate"):
            err.target_weights(make_ctx(prices, "1990-01-02", ["SPX"], 64))


class TestStaticAndEqualWeight:
    def test_all_weather_mix(self, prices):
        mix = {"SPX": 0.30, "UST10Y": 0.40, "UST5Y": 0.15, "WTI": 0.15}
        w = strategy("static_mix", weights=mix).target_weights(make_ctx(prices, "2001-09-28", list(mix)))
        assert w.drop("CASH").to_dict() == mix and w["CASH"] == 0.0

    def test_equal_weight_only_priced(self, prices):
        frame = prices.loc[:"2001-09-28", ["SPX", "WTI", "CASH"]].copy()
        frame.loc["2001-09-28", "WTI"] = np.nan
        w = strategy("equal_weight").target_weights(make_ctx(frame, "2001-09-28", ["SPX", "WTI"]))
        assert w.to_dict() == {"SPX": 1.0, "WTI": 0.0, "CASH": 0.0}
