"""Policy networks: a window of features and the current weights in, long-only weights out.

An encoder reads the (standardised) window: `mlp` flattens it into one tanh layer, `lstm` runs
an LSTM over its days and keeps the last hidden state. A linear head maps the encoding and the
currently held weights (so the policy can see what trading would cost) to one logit per asset,
cash included; softmax makes them long-only weights that sum to one. Weight bounds, when
given, are enforced exactly by a water-filling layer (no weight above its cap, the excess
spread over the others in proportion); the optional volatility layer then scales the risky
weights down to a target volatility, estimated from the window's returns, with the remainder in
cash (never up: no leverage).

Parameters are plain dicts of arrays (a JAX pytree), so an ensemble is the same dict with a
leading member axis and an artifact is a dict of numpy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np

from models.neural.features import ANNUAL_DAYS

Kind = Literal["mlp", "lstm"]
CAP_FLOOR = 1e-6


@dataclass(frozen=True)
class PolicyConfig:
    """The network and the portfolio rules it obeys (hashed into the model version).

    lower / upper: per-label bounds as (label, bound) pairs; labels absent are 0 and 1.
    target_vol: annualised volatility the risky weights are scaled down to (None: off).
    cost_rate: proportional cost per unit of traded weight (0.001 = 10 bp).
    trade_rate: initial fraction of the way to its target the policy trades each day (a
    learned parameter, partial adjustment as in Garleanu and Pedersen 2013); None trades all
    the way every day.
    """

    kind: Kind = "mlp"
    hidden: int = 16
    lower: tuple[tuple[str, float], ...] = ()
    upper: tuple[tuple[str, float], ...] = ()
    target_vol: float | None = None
    cost_rate: float = 0.001
    trade_rate: float | None = 0.2

    def __post_init__(self) -> None:
        if self.kind not in ("mlp", "lstm"):
            raise ValueError(f"policy kind must be 'mlp' or 'lstm', got {self.kind!r}")
        if self.hidden < 1:
            raise ValueError(f"hidden must be >= 1, got {self.hidden}")
        if self.cost_rate < 0:
            raise ValueError(f"cost_rate must be >= 0, got {self.cost_rate}")
        if self.trade_rate is not None and not 0 < self.trade_rate < 1:
            raise ValueError(f"trade_rate must lie in (0, 1), got {self.trade_rate}")
        if self.target_vol is not None and not self.target_vol > 0:
            raise ValueError(f"target_vol must be > 0, got {self.target_vol}")

    def bounds(self, labels: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) arrays aligned on `labels`, checked feasible."""
        lo, hi = dict(self.lower), dict(self.upper)
        unknown = sorted((set(lo) | set(hi)) - set(labels))
        if unknown:
            raise ValueError(f"bounds name labels {unknown} that are not weights {list(labels)}")
        lb = np.array([lo.get(x, 0.0) for x in labels], dtype=np.float64)
        ub = np.array([hi.get(x, 1.0) for x in labels], dtype=np.float64)
        if (lb < 0).any() or (ub > 1).any() or (lb > ub).any():
            raise ValueError(f"bounds must satisfy 0 <= lower <= upper <= 1: {lo} {hi}")
        if lb.sum() > 1 or ub.sum() < 1:
            raise ValueError(f"bounds cannot sum to one: sum(lower)={lb.sum():.3f}, "
                             f"sum(upper)={ub.sum():.3f}")
        if self.target_vol is not None and ((lb[:-1] > 0).any() or ub[-1] < 1):
            raise ValueError("volatility scaling moves weight into cash: it needs no lower "
                             "bound on risky assets and no upper bound on cash")
        return lb, ub

    @property
    def bounded(self) -> bool:
        return bool(self.lower or self.upper)


def init_params(rng: np.random.Generator, cfg: PolicyConfig, window: int, n_features: int,
                n_weights: int) -> dict[str, np.ndarray]:
    """One member's parameters (float32 numpy, drawn from `rng`); the zero head starts every
    member at uniform weights, with no turnover from noise."""
    h = cfg.hidden

    def normal(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape) / np.sqrt(shape[0])

    if cfg.kind == "mlp":
        enc = {"w1": normal(window * n_features, h), "b1": np.zeros(h)}
    else:
        b = np.zeros(4 * h)
        b[h:2 * h] = 1.0  # forget-gate bias 1: remember by default
        enc = {"wx": normal(n_features, 4 * h), "wh": normal(h, 4 * h), "b": b}
    head = {"wo": np.zeros((h, n_weights)), "ww": np.zeros((n_weights, n_weights)),
            "bo": np.zeros(n_weights)}
    if cfg.trade_rate is not None:
        head["kappa"] = np.array(np.log(cfg.trade_rate / (1.0 - cfg.trade_rate)))
    return {k: np.asarray(v, np.float32) for k, v in {**enc, **head}.items()}


def encode(params: dict, x: jax.Array, kind: Kind) -> jax.Array:
    """(n, window, n_features) standardised windows -> (n, hidden) encodings."""
    if kind == "mlp":
        return jnp.tanh(x.reshape(x.shape[0], -1) @ params["w1"] + params["b1"])
    n, h = x.shape[0], params["wh"].shape[0]
    xs = jnp.einsum("nwf,fg->wng", x, params["wx"]) + params["b"]

    def step(carry, gx):
        hs, cs = carry
        z = gx + hs @ params["wh"]
        i, f, g, o = jnp.split(z, 4, axis=-1)
        cs = jax.nn.sigmoid(f) * cs + jax.nn.sigmoid(i) * jnp.tanh(g)
        hs = jax.nn.sigmoid(o) * jnp.tanh(cs)
        return (hs, cs), None

    zeros = jnp.zeros((n, h), x.dtype)
    (hs, _), _ = jax.lax.scan(step, (zeros, zeros), xs)
    return hs


def head_logits(params: dict, enc: jax.Array, current: jax.Array) -> jax.Array:
    """(..., hidden) encodings and (..., n_weights) held weights -> logits."""
    return enc @ params["wo"] + current @ params["ww"] + params["bo"]


def capped(p: jax.Array, cap: jax.Array) -> jax.Array:
    """Weights q = min(cap, s * p) summing to one (exact after n_weights passes; sum(cap) >= 1).

    p is first mixed with a tiny uniform floor, so that mass above the caps can always be
    spread (a saturated softmax or held weights of exactly zero would have nowhere to put it).
    """
    n = p.shape[-1]
    p = (p + CAP_FLOOR) / (1.0 + n * CAP_FLOOR)
    s = jnp.ones(p.shape[:-1] + (1,), p.dtype)
    for _ in range(n):
        at_cap = s * p >= cap
        room = 1.0 - jnp.sum(jnp.where(at_cap, cap, 0.0), axis=-1, keepdims=True)
        free = jnp.sum(jnp.where(at_cap, 0.0, p), axis=-1, keepdims=True)
        s = jnp.where(free > 0, room / jnp.where(free > 0, free, 1.0), s)
    return jnp.where(s * p >= cap, cap, s * p)


def bounded_softmax(logits: jax.Array, lb: np.ndarray, ub: np.ndarray) -> jax.Array:
    """Softmax weights moved inside [lb, ub]: w = lb + (1 - sum lb) * capped(softmax)."""
    p = jax.nn.softmax(logits, axis=-1)
    room = 1.0 - float(np.sum(lb))
    if room <= 0:
        return jnp.broadcast_to(jnp.asarray(lb, p.dtype), p.shape)
    cap = jnp.asarray((ub - lb) / room, p.dtype)
    return jnp.asarray(lb, p.dtype) + room * capped(p, cap)


def window_covariance(raw: jax.Array, n_assets: int) -> jax.Array:
    """(n, window, n_features) raw windows -> (n, n_assets, n_assets) annualised covariance of
    the window's asset returns (the first n_assets features)."""
    r = raw[:, :, :n_assets]
    d = r - r.mean(axis=1, keepdims=True)
    denom = max(raw.shape[1] - 1, 1)
    return jnp.einsum("nwi,nwj->nij", d, d) * (ANNUAL_DAYS / denom)


def vol_scaled(w: jax.Array, cov: jax.Array, target: float) -> jax.Array:
    """Risky weights scaled by min(1, target / their volatility); cash (last) takes the rest."""
    risky = w[..., :-1]
    var = jnp.einsum("...i,...ij,...j->...", risky, cov, risky)
    scale = jnp.minimum(1.0, target / jnp.sqrt(var + 1e-12))[..., None]
    risky = risky * scale
    return jnp.concatenate([risky, 1.0 - jnp.sum(risky, axis=-1, keepdims=True)], axis=-1)


def feasible(held: jax.Array, cfg: PolicyConfig, labels: tuple[str, ...]) -> jax.Array:
    """Held weights moved inside the bounds (they drift out of them); identity when inside."""
    if not cfg.bounded:
        return held
    lb, ub = cfg.bounds(labels)
    room = 1.0 - float(np.sum(lb))
    if room <= 0:
        return jnp.broadcast_to(jnp.asarray(lb, held.dtype), held.shape)
    lbj = jnp.asarray(lb, held.dtype)
    excess = jnp.maximum(held - lbj, 0.0)
    total = jnp.sum(excess, axis=-1, keepdims=True)
    p = jnp.where(total > 0, excess / jnp.where(total > 0, total, 1.0), 1.0 / held.shape[-1])
    return lbj + room * capped(p, jnp.asarray((ub - lb) / room, held.dtype))


def policy_weights(params: dict, enc: jax.Array, held: jax.Array, cov: jax.Array | None,
                   cfg: PolicyConfig, labels: tuple[str, ...]) -> jax.Array:
    """One member: encodings (B, hidden) and held weights (B, A) -> weights (B, A).

    target = bounded softmax of the head's logits; the member trades a learned fraction
    kappa of the way from (feasible) held weights to it, then scales risky weights to the
    volatility target. Every step keeps the weights long-only, summing to one, in bounds.
    """
    logits = head_logits(params, enc, held)
    target = bounded_softmax(logits, *cfg.bounds(labels)) if cfg.bounded else jax.nn.softmax(logits, axis=-1)
    if cfg.trade_rate is not None:
        base = feasible(held, cfg, labels)
        kappa = jax.nn.sigmoid(params["kappa"])
        target = base + kappa * (target - base)
    if cfg.target_vol is not None:
        target = vol_scaled(target, cov, cfg.target_vol)
    return target
