import itertools

import numpy as np
import pytest

from pipelines.allocation.base import AllocationError
from pipelines.allocation.solvers.mean_variance import (
    Constraints,
    NoTangencyError,
    max_sharpe_weights,
    min_variance_weights,
    sharpe_ratio,
)

from .conftest import MIXED, make_ctx, random_cov, strategy

MU = np.array([0.0006, 0.0003, 0.0004])
COV = np.array([[4.0, 1.2, 0.6], [1.2, 1.0, 0.2], [0.6, 0.2, 2.25]]) * 1e-4
RF = 0.0001


def simplex_grid(step: float = 0.0025) -> np.ndarray:
    k = round(1 / step)
    pts = [(i, j, k - i - j) for i, j in itertools.product(range(k + 1), repeat=2) if i + j <= k]
    return np.array(pts, dtype=float) / k


def classes(symbols):
    return {s: ("government_bonds" if s.startswith("UST") else "commodity" if s == "WTI" else
                "cash" if s == "CASH" else "equity") for s in [*symbols, "CASH"]}


class TestMaxSharpe:
    def test_beats_brute_force_grid(self):
        grid = simplex_grid()
        sharpe = (grid @ MU - RF) / np.sqrt(np.einsum("ij,jk,ik->i", grid, COV, grid))
        w = max_sharpe_weights(MU, COV, RF, Constraints.box(3))
        ours = sharpe_ratio(w, MU, COV, RF)
        assert ours >= sharpe.max() - 1e-12
        assert ours - sharpe.max() < 1e-4  # the grid is fine enough to come close
        assert np.abs(w - grid[sharpe.argmax()]).max() < 0.01

    def test_bounds_and_grid(self):
        cons = Constraints.box(3, 0.1, 0.5)
        grid = simplex_grid()
        grid = grid[((grid >= 0.1) & (grid <= 0.5)).all(axis=1)]
        sharpe = (grid @ MU - RF) / np.sqrt(np.einsum("ij,jk,ik->i", grid, COV, grid))
        w = max_sharpe_weights(MU, COV, RF, cons)
        assert np.all(w >= 0.1 - 1e-12) and np.all(w <= 0.5 + 1e-12)
        assert sharpe_ratio(w, MU, COV, RF) >= sharpe.max() - 1e-12

    def test_unconstrained_matches_closed_form(self):
        cov = random_cov(5, seed=9)
        mu = np.full(5, 0.0005) + np.diag(cov) * 2
        raw = np.linalg.solve(cov, mu - RF)
        assert np.all(raw > 0)  # interior optimum: the long-only bound does not bind
        np.testing.assert_allclose(max_sharpe_weights(mu, cov, RF, Constraints.box(5)),
                                   raw / raw.sum(), atol=1e-8)

    def test_no_positive_excess(self):
        with pytest.raises(NoTangencyError):
            max_sharpe_weights(MU, COV, 0.01, Constraints.box(3))

    def test_strategy_group_bounds_and_cash(self, prices):
        s = strategy("max_sharpe", window_days=504, weight_bounds=(0.0, 0.35),
                     group_bounds={"government_bonds": (0.2, 0.7)}, covariance="ledoit_wolf")
        ctx = make_ctx(prices, "2007-06-29", MIXED, s.needs.lookback, asset_classes=classes(MIXED))
        w = s.target_weights(ctx)
        assert w.sum() == pytest.approx(1.0, abs=1e-12)
        assert (w[MIXED] <= 0.35 + 1e-9).all()
        bonds = w[["UST2Y", "UST10Y"]].sum()
        assert 0.2 - 1e-9 <= bonds <= 0.7 + 1e-9

    def test_strategy_no_excess_goes_to_cash(self, prices):
        ctx = make_ctx(prices, "2008-12-31", ["SPX", "WTI"], 253)  # both fell hard in 2008
        assert strategy("max_sharpe").target_weights(ctx)["CASH"] == 1.0
        mv = strategy("max_sharpe", no_positive_excess="min_variance").target_weights(ctx)
        assert mv[["SPX", "WTI"]].sum() == pytest.approx(1.0)
        with pytest.raises(AllocationError, match="positive expected excess"):
            strategy("max_sharpe", no_positive_excess="error").target_weights(ctx)


class TestMinVariance:
    def test_beats_brute_force_grid(self):
        grid = simplex_grid()
        var = np.einsum("ij,jk,ik->i", grid, COV, grid)
        w = min_variance_weights(COV, Constraints.box(3))
        assert w @ COV @ w <= var.min() + 1e-15

    def test_bounds_groups_and_singular(self):
        rng = np.random.default_rng(1)
        r = rng.standard_normal((400, 4)) * 0.01
        cov = np.cov(np.column_stack([r, r[:, 0]]).T)  # singular: asset 4 duplicates asset 0
        cons = Constraints.box(5, 0.05, 0.4, groups=[(np.array([1, 1, 0, 0, 0], bool), 0.5, 0.6)])
        w = min_variance_weights(cov, cons)
        assert np.all(w >= 0.05 - 1e-10) and np.all(w <= 0.4 + 1e-10)
        assert 0.5 - 1e-10 <= w[:2].sum() <= 0.6 + 1e-10
        assert w.sum() == pytest.approx(1.0, abs=1e-12)

    def test_infeasible_bounds_fall_back(self, prices):
        s = strategy("min_variance", weight_bounds=(0.0, 0.3))
        frame = prices.loc[:"2010-12-31", ["SPX", "UST10Y", "WTI", "CASH"]].copy()
        frame.loc[:"2010-11-30", "WTI"] = np.nan  # 2 eligible assets cannot hold 100% at 30% each
        ctx = make_ctx(frame, "2010-12-31", ["SPX", "UST10Y", "WTI"], s.needs.lookback)
        assert s.target_weights(ctx)[["SPX", "UST10Y", "WTI"]].tolist() == pytest.approx([1 / 3] * 3)
        with pytest.raises(AllocationError, match="cannot meet the bounds"):
            strategy("min_variance", weight_bounds=(0.0, 0.3), fallback="error").target_weights(ctx)
