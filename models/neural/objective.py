"""The training objective: the Sharpe ratio of the policy's realised returns net of costs.

A rollout walks through consecutive days. On day t the policy sees the window ending at t and
the weights it holds (yesterday's target drifted by yesterday's returns), sets target weights
w_t, pays cost_rate x its risky turnover sum_i |w_t,i - held_t,i| (cash is the counterpart of
every trade), and earns w_t . r_t+1 over the next day. The objective is the annualised Sharpe
ratio of those net returns in excess of the cash return, so the gradient sees what trading
costs; its negative is the loss.

An ensemble is a stack of members: at each step every member proposes weights from the same
held weights and the ensemble holds their average (still valid: the constraint set is convex).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from models.neural.features import ANNUAL_DAYS
from models.neural.networks import PolicyConfig, policy_weights


def rollout(params: dict, enc: jax.Array, cov: jax.Array | None, r_next: jax.Array,
            charge: jax.Array, w0: jax.Array, cfg: PolicyConfig, labels: tuple[str, ...]
            ) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """Walk the policy through time.

    params: members stacked on axis 0 (M, ...); enc: (M, L, B, hidden) encodings, time-major;
    cov: (L, B, n, n) window covariances or None; r_next: (L, B, A) next-day returns, cash last;
    charge: (L,) 1 where costs are paid (0 on a first step whose held weights are notional);
    w0: (B, A) weights held before the first step.
    Returns weights (L, B, A), net returns (L, B), turnover (L, B) and the held weights after
    the last step (B, A).
    """
    members = jax.vmap(policy_weights, in_axes=(0, 0, None, None, None, None))

    def step(held, inp):
        e, c, r, k = inp
        w = members(params, e, held, c if cfg.target_vol is not None else None, cfg,
                    labels).mean(axis=0)
        turnover = jnp.sum(jnp.abs(w - held)[..., :-1], axis=-1)
        gross = jnp.sum(w * r, axis=-1)
        net = gross - cfg.cost_rate * k * turnover
        drifted = w * (1.0 + r) / (1.0 + gross)[..., None]
        return drifted, (w, net, turnover)

    if cov is None:  # a per-step placeholder the weights layer ignores
        cov = jnp.zeros((r_next.shape[0],), r_next.dtype)
    held, (w, net, turnover) = jax.lax.scan(step, w0, (jnp.swapaxes(enc, 0, 1), cov, r_next,
                                                       charge))
    return w, net, turnover, held


def sharpe(net: jax.Array, cash: jax.Array, valid: jax.Array) -> jax.Array:
    """Annualised Sharpe ratio of net - cash over the cells where `valid` is 1."""
    ex = (net - cash) * valid
    n = jnp.maximum(jnp.sum(valid), 1.0)
    mean = jnp.sum(ex) / n
    var = jnp.sum(((net - cash) - mean) ** 2 * valid) / n
    return mean / jnp.sqrt(var + 1e-12) * jnp.sqrt(float(ANNUAL_DAYS))
