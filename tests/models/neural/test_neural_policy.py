"""Policy layers: every weight vector is long-only, sums to one, respects bounds and the
volatility target, whatever the parameters and held weights."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from models.neural.networks import (
    PolicyConfig,
    capped,
    encode,
    init_params,
    policy_weights,
    vol_scaled,
    window_covariance,
)

LABELS = ("A", "B", "C", "D", "CASH")
TOL = 1e-5


def _random_case(cfg: PolicyConfig, seed: int, scale: float = 30.0):
    """Random (large) parameters, windows and held weights off the simplex's interior."""
    rng = np.random.default_rng(seed)
    params = init_params(rng, cfg, window=15, n_features=8, n_weights=len(LABELS))
    params = {k: jnp.asarray(scale * rng.standard_normal(v.shape), jnp.float32)
              for k, v in params.items()}
    x = jnp.asarray(0.02 * rng.standard_normal((64, 15, 8)), jnp.float32)
    held = jnp.asarray(rng.dirichlet(np.full(len(LABELS), 0.3), 64), jnp.float32)
    return params, x, held


def _weights(cfg: PolicyConfig, seed: int) -> tuple[np.ndarray, np.ndarray]:
    params, x, held = _random_case(cfg, seed)
    enc = encode(params, x, cfg.kind)
    cov = window_covariance(x, len(LABELS) - 1) if cfg.target_vol is not None else None
    w = policy_weights(params, enc, held, cov, cfg, LABELS)
    return np.asarray(w, np.float64), np.asarray(cov) if cov is not None else None


@pytest.mark.parametrize("kind", ["mlp", "lstm"])
@pytest.mark.parametrize("trade_rate", [None, 0.3])
def test_weights_are_long_only_and_sum_to_one(kind, trade_rate):
    cfg = PolicyConfig(kind=kind, hidden=6, trade_rate=trade_rate)
    for seed in range(3):
        w, _ = _weights(cfg, seed)
        assert np.isfinite(w).all()
        assert (w >= -TOL).all()
        np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=TOL)


@pytest.mark.parametrize("trade_rate", [None, 0.3])
def test_bounds_hold_even_when_held_weights_drifted_outside(trade_rate):
    cfg = PolicyConfig(hidden=6, trade_rate=trade_rate, lower=(("CASH", 0.05), ("B", 0.1)),
                       upper=(("A", 0.2), ("B", 0.3), ("C", 0.25)))
    lb, ub = cfg.bounds(LABELS)
    for seed in range(4):
        w, _ = _weights(cfg, seed)
        assert (w >= lb - TOL).all() and (w <= ub + TOL).all()
        np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=TOL)
        assert (np.abs(w - ub) < 1e-4).any()  # the caps bind somewhere: the test has teeth


def test_volatility_layer_scales_risk_down_to_the_target_and_never_levers():
    cfg = PolicyConfig(hidden=6, target_vol=0.05, upper=(("A", 0.5),))
    for seed in range(3):
        w, cov = _weights(cfg, seed)
        risky = w[:, :-1]
        vol = np.sqrt(np.einsum("ni,nij,nj->n", risky, cov, risky))
        assert (vol <= 0.05 + 1e-4).all()
        assert (w >= -TOL).all() and (w[:, 0] <= 0.5 + TOL).all()
        np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=TOL)
        assert (w[:, -1] > 0.05).any()  # scaling moved weight to cash


def test_vol_scaling_leaves_a_portfolio_below_target_unchanged():
    w = jnp.array([[0.3, 0.2, 0.1, 0.0, 0.4]])
    cov = jnp.eye(4)[None] * 0.01  # 10% vols, portfolio vol ~ 3.7%
    np.testing.assert_allclose(np.asarray(vol_scaled(w, cov, 0.2)), np.asarray(w), atol=1e-7)


def test_capping_is_exact_water_filling():
    p = jnp.array([0.6, 0.25, 0.1, 0.05])
    cap = jnp.array([0.3, 0.3, 1.0, 1.0])
    q = np.asarray(capped(p, cap))
    # A and B capped at 0.3 each; the remaining 0.4 split 2:1 between C and D
    np.testing.assert_allclose(q, [0.3, 0.3, 0.4 * 2 / 3, 0.4 / 3], atol=1e-6)


@pytest.mark.parametrize("kwargs, match", [
    ({"upper": (("A", 0.1), ("B", 0.1), ("C", 0.1), ("D", 0.1), ("CASH", 0.1))}, "sum to one"),
    ({"lower": (("A", 0.6), ("B", 0.6))}, "sum to one"),
    ({"upper": (("Z", 0.5),)}, "not weights"),
    ({"target_vol": 0.1, "upper": (("CASH", 0.5),)}, "volatility scaling"),
])
def test_infeasible_rules_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PolicyConfig(**kwargs).bounds(LABELS)


def test_bad_config_values_are_refused():
    with pytest.raises(ValueError, match="kind"):
        PolicyConfig(kind="transformer")
    with pytest.raises(ValueError, match="trade_rate"):
        PolicyConfig(trade_rate=1.5)
