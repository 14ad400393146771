import numpy as np
import pytest

from pipelines.allocation.solvers.hrp import correlation_distance, hrp_weights, quasi_diagonal_order

from .conftest import STOCKS, make_ctx, random_cov, strategy

# Hand-worked example. Vols 10%, 20%, 15%, 25% for assets A, B, C, D; corr(A,B) = 0.9,
# corr(C,D) = 0.8, every cross pair 0.1. The assets are listed in the order A, C, B, D so that
# quasi-diagonalisation has to regroup them.
SD = np.array([0.10, 0.15, 0.20, 0.25])          # A, C, B, D
CORR = np.array([[1.0, 0.1, 0.9, 0.1],
                 [0.1, 1.0, 0.1, 0.8],
                 [0.9, 0.1, 1.0, 0.1],
                 [0.1, 0.8, 0.1, 1.0]])
COV = CORR * np.outer(SD, SD)
# Distances sqrt((1 - rho) / 2): d(A,B) = sqrt(0.05) = 0.2236, d(C,D) = sqrt(0.1) = 0.3162, cross
# sqrt(0.45) = 0.6708. Single linkage joins {A,B} first, then {C,D}, then both: leaf order
# A, B, C, D = positions [0, 2, 1, 3].
# Bisection into {A,B} | {C,D}:
#   {A,B}: inverse-variance weights (100, 25)/125 = (0.8, 0.2);
#          var = 0.64*0.01 + 0.04*0.04 + 2*0.8*0.2*0.9*0.1*0.2 = 0.01376
#   {C,D}: inverse-variance weights (400/9, 16)/(544/9) = (25/34, 9/34);
#          var = (625*0.0225 + 81*0.0625 + 450*0.8*0.15*0.25) / 34^2 = 32.625/1156 = 0.0282223
#   alpha = 1 - 0.01376/(0.01376 + 0.0282223) = 0.6722430 to {A,B}, 0.3277570 to {C,D}
# Then {A} | {B}: alpha = 1 - 0.01/(0.01 + 0.04) = 0.8; {C} | {D}: 1 - 0.0225/0.085 = 25/34.
ALPHA = 0.028222318339100345 / (0.01376 + 0.028222318339100345)
EXPECTED = np.array([0.8 * ALPHA, 25 / 34 * (1 - ALPHA), 0.2 * ALPHA, 9 / 34 * (1 - ALPHA)])


class TestHRPSolver:
    def test_hand_worked_four_assets(self):
        np.testing.assert_allclose(correlation_distance(COV)[0, 2], np.sqrt(0.05), rtol=1e-14)
        assert quasi_diagonal_order(COV, "single").tolist() == [0, 2, 1, 3]
        np.testing.assert_allclose(hrp_weights(COV, "single"), EXPECTED, rtol=1e-12)
        np.testing.assert_allclose(EXPECTED, [0.537794, 0.240998, 0.134449, 0.086759], atol=1e-6)

    def test_ward_linkage_same_tree_here(self):
        np.testing.assert_allclose(hrp_weights(COV, "ward"), EXPECTED, rtol=1e-12)

    def test_invariant_to_input_order(self):
        cov = random_cov(15, seed=2)
        perm = np.random.default_rng(0).permutation(15)
        w = hrp_weights(cov)
        wp = hrp_weights(cov[np.ix_(perm, perm)])
        np.testing.assert_allclose(wp, w[perm], rtol=1e-12)

    def test_singular_and_single(self):
        cov = random_cov(10, seed=4, singular=True)
        w = hrp_weights(cov, "ward")
        assert np.all(w > 0) and w.sum() == pytest.approx(1.0)
        assert hrp_weights(np.array([[0.02]])).tolist() == [1.0]
        bad = random_cov(3)
        bad[0, :] = bad[:, 0] = 0.0
        with pytest.raises(ValueError, match="positive diagonal"):
            hrp_weights(bad)


class TestHRPStrategy:
    def test_real_stocks(self, prices):
        s = strategy("hrp", linkage="ward", covariance="ledoit_wolf")
        ctx = make_ctx(prices, "2016-12-30", STOCKS, s.needs.lookback)
        w = s.target_weights(ctx)
        assert w.sum() == pytest.approx(1.0, abs=1e-12) and (w[STOCKS] > 0).all() and w["CASH"] == 0

    def test_duplicate_series_is_fine(self, prices):
        frame = prices.loc[:"2010-12-31", ["SPX", "UST10Y", "CASH"]].copy()
        frame.insert(2, "UST5Y", frame["UST10Y"])  # perfectly correlated twin
        s = strategy("hrp")
        w = s.target_weights(make_ctx(frame, "2010-12-31", ["SPX", "UST10Y", "UST5Y"], s.needs.lookback))
        assert w["UST10Y"] == pytest.approx(w["UST5Y"], rel=1e-12)
