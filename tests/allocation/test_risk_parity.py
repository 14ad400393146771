import numpy as np
import pytest

from pipelines.allocation.base import AllocationError
from pipelines.allocation.covariance import estimate_covariance
from pipelines.allocation.solvers.risk_parity import risk_budget_weights, risk_contributions

from .conftest import MIXED, STOCKS, make_ctx, random_cov, strategy


class TestRiskBudgetSolver:
    @pytest.mark.parametrize("n", [2, 3, 20, 100])
    def test_equal_risk_contributions(self, n):
        cov = random_cov(n, seed=n)
        w = risk_budget_weights(cov)
        rc = risk_contributions(w, cov)
        assert np.all(w > 0) and w.sum() == pytest.approx(1.0, abs=1e-14)
        np.testing.assert_allclose(rc, 1.0 / n, rtol=1e-8, atol=0)

    def test_budgets_honoured(self):
        cov = random_cov(6, seed=3)
        b = np.array([0.4, 0.2, 0.15, 0.1, 0.1, 0.05])
        w = risk_budget_weights(cov, b * 7.0)  # budgets are normalised
        np.testing.assert_allclose(risk_contributions(w, cov), b, rtol=1e-8, atol=0)

    def test_singular_covariance(self):
        rng = np.random.default_rng(5)
        r = rng.standard_normal((300, 5)) * 0.01
        r = np.column_stack([r, r[:, 0] + r[:, 1] - 0.5 * r[:, 2]])  # a linear combination
        cov = np.cov(r.T)
        assert np.linalg.matrix_rank(cov) == 5
        w = risk_budget_weights(cov)
        np.testing.assert_allclose(risk_contributions(w, cov), 1 / 6, rtol=1e-8)

    def test_zero_variance_long_mix_is_a_clear_error(self):
        rng = np.random.default_rng(5)
        r = rng.standard_normal((300, 2)) * 0.01
        cov = np.cov(np.column_stack([r, -r[:, 0] - r[:, 1]]).T)  # w = (1,1,1)/3 has no risk
        with pytest.raises(ValueError, match="zero variance"):
            risk_budget_weights(cov)

    def test_duplicate_asset_splits_evenly(self):
        cov = random_cov(3, seed=1)
        dup = np.pad(cov, ((0, 1), (0, 1)))
        dup[3, :3] = dup[:3, 3] = cov[0]
        dup[3, 3] = cov[0, 0]
        w = risk_budget_weights(dup)
        assert w[0] == pytest.approx(w[3], rel=1e-10)

    def test_single_asset_and_zero_variance(self):
        assert risk_budget_weights(np.array([[0.04]])) == pytest.approx([1.0])
        cov = random_cov(3)
        cov[1, :] = cov[:, 1] = 0.0
        with pytest.raises(ValueError, match="positive diagonal"):
            risk_budget_weights(cov)


class TestRiskParityStrategy:
    def test_weights_on_real_data(self, prices):
        s = strategy("risk_parity", covariance="ledoit_wolf")
        ctx = make_ctx(prices, "2008-10-15", MIXED, s.needs.lookback)
        w = s.target_weights(ctx)
        assert list(w.index) == [*MIXED, "CASH"] and w["CASH"] == 0.0
        assert w.sum() == pytest.approx(1.0, abs=1e-12) and (w[MIXED] > 0).all()
        rets = ctx.prices[MIXED].pct_change().iloc[1:].to_numpy()
        cov = estimate_covariance(rets, "ledoit_wolf")
        np.testing.assert_allclose(risk_contributions(w[MIXED].to_numpy(), cov), 1 / 8, rtol=1e-8)

    def test_budgets_by_symbol(self, prices):
        budgets = {"SPX": 0.5, "UST10Y": 0.3, "WTI": 0.2}
        s = strategy("risk_parity", budgets=budgets, covariance="ewma", halflife_days=42)
        ctx = make_ctx(prices, "2012-06-29", list(budgets), s.needs.lookback)
        w = s.target_weights(ctx)[list(budgets)].to_numpy()
        rets = ctx.prices[list(budgets)].pct_change().iloc[1:].to_numpy()
        cov = estimate_covariance(rets, "ewma", 42)
        np.testing.assert_allclose(risk_contributions(w, cov), [0.5, 0.3, 0.2], rtol=1e-8)

    def test_thin_history_falls_back_or_errors(self, prices):
        ctx = make_ctx(prices, "1990-01-02", STOCKS[:4])  # inception: a single row
        w = strategy("risk_parity").target_weights(ctx)
        assert w[STOCKS[:4]].tolist() == [0.25] * 4
        assert strategy("risk_parity", fallback="cash").target_weights(ctx)["CASH"] == 1.0
        with pytest.raises(AllocationError, match="risk_parity: no asset has 63 returns"):
            strategy("risk_parity", fallback="error").target_weights(ctx)

    def test_asset_without_history_is_left_out(self, prices):
        frame = prices.loc[:"2005-06-30", ["SPX", "UST10Y", "WTI", "CASH"]].copy()
        frame.loc[:"2005-05-31", "WTI"] = np.nan  # listed a month ago
        ctx = make_ctx(frame, "2005-06-30", ["SPX", "UST10Y", "WTI"], 253)
        w = strategy("risk_parity").target_weights(ctx)
        assert w["WTI"] == 0.0 and w[["SPX", "UST10Y"]].sum() == pytest.approx(1.0)

    def test_all_nan_window(self, prices):
        frame = prices.loc[:"2005-06-30", ["SPX", "UST10Y", "CASH"]].copy()
        frame[["SPX", "UST10Y"]] = np.nan
        ctx = make_ctx(frame, "2005-06-30", ["SPX", "UST10Y"], 253)
        assert strategy("risk_parity").target_weights(ctx)["CASH"] == 1.0  # nothing priced: cash
        with pytest.raises(AllocationError):
            strategy("risk_parity", fallback="error").target_weights(ctx)
