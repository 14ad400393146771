"""The sample covariance's one-pass formula against numpy's centred two-pass estimate."""

import numpy as np
import pytest

from pipelines.allocation.covariance import sample_covariance


def _returns(n_obs: int, n_assets: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    loadings = rng.normal(0.0, 1.0, (n_assets, 3))
    x = rng.standard_normal((n_obs, 3)) @ loadings.T * 0.008 + rng.standard_normal((n_obs, n_assets)) * 0.01
    return x + rng.normal(0.0004, 0.0003, n_assets)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize(("n_obs", "n_assets"), [(30, 2), (252, 20), (6864, 20), (1260, 100)])
def test_daily_returns_match_the_two_pass_estimate_to_rounding(order, n_obs, n_assets):
    x = np.asarray(_returns(n_obs, n_assets, seed=n_obs + n_assets), order=order)
    cov = sample_covariance(x)
    ref = np.cov(x, rowvar=False)
    scale = np.sqrt(np.outer(np.diag(ref), np.diag(ref)))
    assert np.max(np.abs(cov - ref) / scale) < 1e-13
    assert np.array_equal(cov, cov.T)


def test_a_strided_window_of_a_longer_history_is_read_as_it_is():
    x = np.asfortranarray(_returns(2000, 8, seed=1))
    window = x[-500:]  # a row slice: neither C- nor Fortran-contiguous
    assert not window.flags.c_contiguous and not window.flags.f_contiguous
    np.testing.assert_allclose(sample_covariance(window), np.cov(window, rowvar=False), rtol=1e-12, atol=1e-20)


def test_a_column_whose_mean_dwarfs_its_spread_keeps_its_digits():
    """Price levels (mean 1e4 times the spread): X'X - n m m' would keep 8 digits, the centred
    formula keeps them all."""
    rng = np.random.default_rng(3)
    x = np.column_stack([1e4 + rng.standard_normal(500), rng.standard_normal(500) * 0.01])
    cov = sample_covariance(x)
    ref = np.cov(x - x.mean(axis=0), rowvar=False)
    np.testing.assert_allclose(cov, ref, rtol=1e-12, atol=0)


def test_a_constant_column_has_zero_variance_to_the_rounding_of_its_mean():
    """One pass would leave eps * mean^2 (~1e-23 here); the centred formula only the mean's
    own rounding squared."""
    x = np.column_stack([np.full(300, 0.0002), _returns(300, 1, seed=4)[:, 0]])
    cov = sample_covariance(x)
    assert abs(cov[0, 0]) < 1e-30 and abs(cov[0, 1]) < 1e-18
