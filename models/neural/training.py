"""Training a seed ensemble of policies by gradient ascent on the net Sharpe ratio.

A refit with cutoff C sees windows ending on or before C and next-day returns known by C (so
the last usable sample ends the day before C). The last `val_days` samples are the validation
slice; training minibatches are contiguous sequences drawn from the samples before it.
Features are standardised with the training slice's mean and deviation.

Every seed is one member; the members train side by side (`vmap` over the seed axis) with
Adam (optax), and each keeps the parameters of its best validation Sharpe (early stopping with
patience). The same seeds on the same data give the same parameters bit for bit.

The arrays are padded to a multiple of `pad_to` samples so refits of similar length share one
compiled program. A refit whose loss or validation score is not finite, or whose weights are
not valid, raises `Diverged`; inputs that are not finite raise `NonFiniteInput`. Both are
`RefitRejected`: the caller keeps serving the previous model.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from dataclasses import asdict, dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pandas as pd

from models.neural.features import DailyInputs, FeatureSpec, FeatureWindows, check_windows
from models.neural.networks import (
    PolicyConfig,
    encode,
    init_params,
    policy_weights,
    window_covariance,
)
from models.neural.objective import rollout, sharpe

WEIGHT_TOL = 1e-5


class RefitRejected(ValueError):
    """A refit that must not serve; the previous model keeps serving."""


class Diverged(RefitRejected):
    """Training produced a non-finite loss or score, or invalid weights."""


class NonFiniteInput(RefitRejected):
    """The training windows or returns hold NaN or infinite values."""


class InsufficientHistory(ValueError):
    """Fewer samples than a refit needs (training plus validation)."""


@dataclass(frozen=True)
class TrainConfig:
    """How a refit trains (hashed into the model version)."""

    seeds: tuple[int, ...] = (0, 1, 2)
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    batch: int = 16            # sequences per minibatch
    seq_len: int = 63          # days per sequence
    steps_per_epoch: int = 16
    max_epochs: int = 30
    patience: int = 5          # epochs without a better validation Sharpe before stopping
    val_days: int = 252
    min_train_days: int = 504
    pad_to: int = 8192         # one padded shape (so one compile) for ~32 years of days

    def __post_init__(self) -> None:
        if not self.seeds:
            raise ValueError("an ensemble needs at least one seed")
        if self.min_train_days < self.seq_len:
            raise ValueError(f"min_train_days ({self.min_train_days}) must cover one sequence "
                             f"({self.seq_len} days)")
        for name in ("batch", "seq_len", "steps_per_epoch", "max_epochs", "patience", "val_days",
                     "pad_to"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


@dataclass(frozen=True)
class NeuralModel:
    """A fitted ensemble: parameters (numpy, members on axis 0), the feature spec and rules it
    was trained with, the training slice's scaler, and its training record."""

    spec: FeatureSpec
    policy: PolicyConfig
    train: TrainConfig
    params: dict[str, np.ndarray]
    mu: np.ndarray
    sd: np.ndarray
    trained_through: pd.Timestamp
    fingerprint: str
    metrics: dict = field(default_factory=dict)

    @property
    def labels(self) -> tuple[str, ...]:
        return self.spec.weight_labels

    def predict(self, windows: FeatureWindows, held: np.ndarray) -> np.ndarray:
        """(n, A) target weights for each window given the weights held then (n, A)."""
        check_windows(windows, self.spec)
        held = np.asarray(held, dtype=np.float32)
        if held.shape != (len(windows), len(self.labels)):
            raise ValueError(f"held weights must be (n_windows, {len(self.labels)}) over "
                             f"{list(self.labels)}, got {held.shape}")
        _check_not_after(windows, self.trained_through)
        n = len(windows)
        x, h = _pad(windows.values, 256), _pad(held, 256)
        out = _predict_program(self.policy, self.labels)(self._jparams(), x, h, self.mu, self.sd)
        return np.asarray(out[:n], dtype=np.float64)

    def simulate(self, windows: FeatureWindows, r_next: np.ndarray, held0: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Walk the ensemble through consecutive windows from held weights `held0` (A,).

        r_next (n, A) are the returns over the day after each window (cash last; a NaN last
        row, not known yet, is allowed). Returns weights (n, A), net returns (n,) (NaN where
        r_next is), turnover (n,) and the weights held after the last known day.
        """
        check_windows(windows, self.spec)
        _check_not_after(windows, self.trained_through)
        n = len(windows)
        r = np.asarray(r_next, dtype=np.float32)
        unknown = np.isnan(r).any(axis=1)
        if unknown[:-1].any():
            raise ValueError(f"next-day returns unknown before the last window: "
                             f"{[str(d.date()) for d in windows.dates[:-1][unknown[:-1]][:5]]}")
        r = np.where(unknown[:, None], 0.0, r).astype(np.float32)
        x, rp = _pad(windows.values, 256), _pad(r, 256)
        charge = np.ones(len(rp), np.float32)
        w, net, to, _ = _simulate_program(self.policy, self.labels)(
            self._jparams(), x, rp, charge, np.asarray(held0, np.float32)[None], self.mu, self.sd)
        w = np.asarray(w[:n, 0], np.float64)
        net = np.asarray(net[:n, 0], np.float64)
        to = np.asarray(to[:n, 0], np.float64)
        net[unknown] = np.nan
        last = n - 1 - int(unknown[-1])
        if last < 0:
            return w, net, to, np.asarray(held0, np.float64)
        gross = float(w[last] @ r[last])
        held = w[last] * (1.0 + r[last]) / (1.0 + gross)
        return w, net, to, held

    def _jparams(self) -> dict:
        return {k: jnp.asarray(v) for k, v in self.params.items()}

    def to_dict(self) -> dict:
        """Plain numpy arrays and dicts (what the registry stores)."""
        return {"spec": self.spec.to_dict(), "policy": _plain(asdict(self.policy)),
                "train": _plain(asdict(self.train)), "params": dict(self.params),
                "mu": self.mu, "sd": self.sd, "trained_through": str(self.trained_through.date()),
                "fingerprint": self.fingerprint, "metrics": self.metrics}

    @classmethod
    def from_dict(cls, d: dict) -> NeuralModel:
        p = d["policy"]
        policy = PolicyConfig(kind=p["kind"], hidden=int(p["hidden"]),
                              lower=tuple((k, float(v)) for k, v in p["lower"]),
                              upper=tuple((k, float(v)) for k, v in p["upper"]),
                              target_vol=p["target_vol"], cost_rate=float(p["cost_rate"]),
                              trade_rate=p["trade_rate"])
        t = d["train"]
        train = TrainConfig(**{**t, "seeds": tuple(t["seeds"])})
        return cls(FeatureSpec.from_dict(d["spec"]), policy, train,
                   {k: np.asarray(v) for k, v in d["params"].items()}, np.asarray(d["mu"]),
                   np.asarray(d["sd"]), pd.Timestamp(d["trained_through"]), d["fingerprint"],
                   dict(d["metrics"]))


def _plain(d: dict) -> dict:
    return {k: [list(x) if isinstance(x, tuple) else x for x in v] if isinstance(v, tuple) else v
            for k, v in d.items()}


def _check_not_after(windows: FeatureWindows, trained_through: pd.Timestamp) -> None:
    if len(windows) and windows.dates[0] <= trained_through:
        raise ValueError(f"a model trained through {trained_through.date()} serves dates after "
                         f"it; got windows from {windows.dates[0].date()}")


def _pad(a: np.ndarray, multiple: int) -> np.ndarray:
    n = len(a)
    size = max(multiple, -(-n // multiple) * multiple)
    out = np.zeros((size,) + a.shape[1:], np.float32)
    out[:n] = a
    return out


# ----------------------------------------------------------------------------- programs

def _encode_all(params: dict, x: jax.Array, mu: jax.Array, sd: jax.Array, kind: str
                ) -> jax.Array:
    """Members (M, ...) x windows (N, W, F) -> (M, N, hidden)."""
    z = (x - mu) / sd
    return jax.vmap(lambda p: encode(p, z, kind))(params)


@functools.cache
def _predict_program(policy: PolicyConfig, labels: tuple[str, ...]):
    n_assets = len(labels) - 1
    members = jax.vmap(policy_weights, in_axes=(0, 0, None, None, None, None))

    @jax.jit
    def run(params, x, held, mu, sd):
        enc = _encode_all(params, x, mu, sd, policy.kind)
        cov = window_covariance(x, n_assets) if policy.target_vol is not None else None
        return members(params, enc, held, cov, policy, labels).mean(axis=0)

    return run


def _contiguous(params, x, r, charge, held0, mu, sd, policy, labels):
    """Ensemble rollout over one contiguous stretch (B = 1)."""
    n_assets = len(labels) - 1
    enc = _encode_all(params, x, mu, sd, policy.kind)[:, :, None, :]
    cov = window_covariance(x, n_assets)[:, None] if policy.target_vol is not None else None
    return rollout(params, enc, cov, r[:, None], charge, held0, policy, labels)


@functools.cache
def _simulate_program(policy: PolicyConfig, labels: tuple[str, ...]):
    return jax.jit(functools.partial(_contiguous, policy=policy, labels=labels))


def _optimizer(learning_rate: float, weight_decay: float) -> optax.GradientTransformation:
    """Adam(W) after global-norm clipping; its rates live in the optimiser state (injected), so
    refits that differ only in rates share one compiled program."""
    return optax.chain(optax.clip_by_global_norm(1.0),
                       optax.inject_hyperparams(optax.adamw)(learning_rate=learning_rate,
                                                             weight_decay=weight_decay))


def _train_programs(policy: PolicyConfig, labels: tuple[str, ...], train: TrainConfig):
    return _programs_for(policy, labels, train.batch, train.seq_len, train.steps_per_epoch,
                         train.val_days)


@functools.cache
def _programs_for(policy: PolicyConfig, labels: tuple[str, ...], B: int, L: int, steps: int,
                  V: int):
    """The jitted training programs of one network and loop shape."""
    n_weights = len(labels)
    n_assets = n_weights - 1
    opt = _optimizer(0.0, 0.0)  # update reads the rates from the state
    charge_seq = jnp.ones(L).at[0].set(0.0)

    def loss(params, X, R, starts, mu, sd):
        idx = starts[:, None] + jnp.arange(L)
        x = X[idx].reshape((B * L,) + X.shape[1:])
        enc = _encode_all(jax.tree.map(lambda a: a[None], params), x, mu, sd, policy.kind)
        enc = jnp.swapaxes(enc.reshape(1, B, L, -1), 1, 2)
        cov = None
        if policy.target_vol is not None:
            cov = jnp.swapaxes(window_covariance(x, n_assets).reshape(B, L, n_assets, n_assets),
                               0, 1)
        r = jnp.swapaxes(R[idx], 0, 1)
        w0 = jnp.full((B, n_weights), 1.0 / n_weights)
        _, net, _, _ = rollout(jax.tree.map(lambda a: a[None], params), enc, cov, r, charge_seq,
                               w0, policy, labels)
        return -sharpe(net, r[..., -1], jnp.ones_like(net))

    grad = jax.value_and_grad(loss)

    def member_epoch(params, opt_state, key, X, R, mu, sd, n_train):
        def body(carry, k):
            p, o = carry
            starts = jax.random.randint(k, (B,), 0, n_train - L + 1)
            value, g = grad(p, X, R, starts, mu, sd)
            updates, o = opt.update(g, o, p)
            return (optax.apply_updates(p, updates), o), value

        keys = jax.random.split(key, steps + 1)
        (params, opt_state), values = jax.lax.scan(body, (params, opt_state), keys[1:])
        return params, opt_state, keys[0], values

    def member_score(params, X, R, start, mu, sd):
        x = jax.lax.dynamic_slice_in_dim(X, start, V)
        r = jax.lax.dynamic_slice_in_dim(R, start, V)
        charge = jnp.ones(V).at[0].set(0.0)
        held0 = jnp.full((1, n_weights), 1.0 / n_weights)
        _, net, _, _ = _contiguous(jax.tree.map(lambda a: a[None], params), x, r, charge, held0,
                                   mu, sd, policy, labels)
        return sharpe(net, r[:, None, -1], jnp.ones_like(net))

    def keep_best(best, params, improved):
        return jax.tree.map(
            lambda b, p: jnp.where(improved.reshape((-1,) + (1,) * (p.ndim - 1)), p, b),
            best, params)

    def evaluate(params, X, R, mu, sd):
        """Ensemble path over the whole padded stretch from the start (pad cells ignored)."""
        N = X.shape[0]
        charge = jnp.ones(N).at[0].set(0.0)
        held0 = jnp.full((1, n_weights), 1.0 / n_weights)
        w, net, _, _ = _contiguous(params, X, R, charge, held0, mu, sd, policy, labels)
        return w[:, 0], net[:, 0]

    return {
        "epoch": jax.jit(jax.vmap(member_epoch, in_axes=(0, 0, 0, None, None, None, None, None))),
        "score": jax.jit(jax.vmap(member_score, in_axes=(0, None, None, None, None, None))),
        "keep_best": jax.jit(keep_best),
        "evaluate": jax.jit(evaluate),
    }


# ----------------------------------------------------------------------------- fit

def training_samples(windows: FeatureWindows, inputs: DailyInputs, spec: FeatureSpec,
                     cutoff: pd.Timestamp) -> tuple[FeatureWindows, np.ndarray]:
    """Windows ending by `cutoff` whose next-day return is known by `cutoff`, and those returns."""
    cutoff = pd.Timestamp(cutoff)
    win = windows.until(cutoff)
    r_next = inputs.truncated(cutoff).next_returns(spec.weight_labels, win.dates)
    known = np.isfinite(r_next).all(axis=1)
    n = len(known) - int(np.argmax(known[::-1])) if known.any() else 0
    bad_x = ~np.isfinite(win.values[:n]).all(axis=(1, 2))
    bad = bad_x | ~known[:n]
    if bad.any():
        days = [str(d.date()) for d in win.dates[:n][bad][:5]]
        raise NonFiniteInput(f"refit through {cutoff.date()}: non-finite inputs (windows or "
                             f"next-day returns) on {days} ({int(bad.sum())} samples)")
    return FeatureWindows(win.values[:n], win.dates[:n], win.names, win.window), r_next[:n]


def fingerprint(spec: FeatureSpec, policy: PolicyConfig, train: TrainConfig,
                cutoff: pd.Timestamp, samples: FeatureWindows, r_next: np.ndarray) -> str:
    """Hash of everything that defines a refit: configs, cutoff and the training arrays."""
    h = hashlib.sha256()
    head = {"spec": spec.to_dict(), "policy": _plain(asdict(policy)),
            "train": _plain(asdict(train)), "cutoff": str(pd.Timestamp(cutoff).date())}
    h.update(json.dumps(head, sort_keys=True).encode())
    h.update(np.ascontiguousarray(samples.values).tobytes())
    h.update(np.ascontiguousarray(r_next).tobytes())
    h.update(samples.dates.asi8.tobytes())
    return h.hexdigest()


def fit(windows: FeatureWindows, inputs: DailyInputs, spec: FeatureSpec, policy: PolicyConfig,
        train: TrainConfig, cutoff: pd.Timestamp) -> NeuralModel:
    """Train the seed ensemble on what is known at `cutoff`'s close."""
    t0 = time.perf_counter()
    check_windows(windows, spec)
    labels = spec.weight_labels
    policy.bounds(labels)  # refuse infeasible bounds before any work
    cutoff = pd.Timestamp(cutoff)
    samples, r_next = training_samples(windows, inputs, spec, cutoff)
    n = len(samples)
    if n < train.min_train_days + train.val_days:
        raise InsufficientHistory(f"refit through {cutoff.date()}: {n} samples, needs "
                                  f"{train.min_train_days} training + {train.val_days} validation")
    n_train = n - train.val_days
    rows = samples.values[:n_train, -1, :].astype(np.float64)
    mu = rows.mean(axis=0).astype(np.float32)
    sd = rows.std(axis=0)
    sd = np.where(sd > 1e-8, sd, 1.0).astype(np.float32)

    X = jnp.asarray(_pad(samples.values, train.pad_to))
    R = jnp.asarray(_pad(r_next.astype(np.float32), train.pad_to))
    mu_j, sd_j = jnp.asarray(mu), jnp.asarray(sd)
    prog = _train_programs(policy, labels, train)
    members = [init_params(np.random.default_rng(s), policy, spec.window, len(spec.names),
                           len(labels)) for s in train.seeds]
    params = {k: jnp.asarray(np.stack([m[k] for m in members])) for k in members[0]}
    keys = jnp.stack([jax.random.PRNGKey(s) for s in train.seeds])
    opt_state = jax.vmap(_optimizer(train.learning_rate, train.weight_decay).init)(params)
    n_train_j = jnp.int32(n_train)

    best = params
    best_val = np.asarray(prog["score"](params, X, R, n_train_j, mu_j, sd_j), np.float64)
    best_epoch = np.zeros(len(train.seeds), int)
    stale = np.zeros(len(train.seeds), int)
    losses: list[float] = []
    epochs = 0
    for epoch in range(1, train.max_epochs + 1):
        params, opt_state, keys, values = prog["epoch"](params, opt_state, keys, X, R, mu_j, sd_j,
                                                        n_train_j)
        values = np.asarray(values, np.float64)
        val = np.asarray(prog["score"](params, X, R, n_train_j, mu_j, sd_j), np.float64)
        epochs = epoch
        if not np.isfinite(values).all() or not np.isfinite(val).all():
            bad = ~np.isfinite(values).all(axis=1) | ~np.isfinite(val)
            seeds = [s for s, b in zip(train.seeds, bad, strict=True) if b]
            raise Diverged(f"refit through {cutoff.date()} diverged at epoch {epoch} (seeds "
                           f"{seeds}): training loss per seed {values.mean(axis=1).tolist()}, "
                           f"validation Sharpe {val.tolist()}")
        losses.append(float(values.mean()))
        improved = val > best_val
        best = prog["keep_best"](best, params, jnp.asarray(improved))
        best_val = np.where(improved, val, best_val)
        best_epoch = np.where(improved, epoch, best_epoch)
        stale = np.where(improved, 0, stale + 1)
        if (stale >= train.patience).all():
            break

    w, net = prog["evaluate"](best, X, R, mu_j, sd_j)
    w, net = np.asarray(w[:n], np.float64), np.asarray(net[:n], np.float64)
    _check_weights(w, policy, labels, cutoff)
    final = {k: np.asarray(v) for k, v in best.items()}
    if not all(np.isfinite(v).all() for v in final.values()):
        raise Diverged(f"refit through {cutoff.date()}: non-finite parameters")
    cash = r_next[:, -1]
    metrics = {
        "train_sharpe": _sharpe_np(net[1:n_train] - cash[1:n_train]),
        "validation_sharpe": _sharpe_np(net[n_train:] - cash[n_train:]),
        "member_validation_sharpe": best_val.tolist(),
        "best_epoch": best_epoch.tolist(), "epochs": epochs, "train_loss": losses,
        "n_train": n_train, "n_validation": train.val_days,
        "train_start": str(samples.dates[0].date()),
        "train_end": str(samples.dates[n_train - 1].date()),
        "validation_start": str(samples.dates[n_train].date()),
        "validation_end": str(samples.dates[-1].date()),
        "seconds": time.perf_counter() - t0}
    return NeuralModel(spec, policy, train, final, mu, sd, cutoff,
                       fingerprint(spec, policy, train, cutoff, samples, r_next), metrics)


def _sharpe_np(ex: np.ndarray) -> float:
    sd = ex.std()
    return float(ex.mean() / sd * np.sqrt(252.0)) if sd > 0 else 0.0


def _check_weights(w: np.ndarray, policy: PolicyConfig, labels: tuple[str, ...],
                   cutoff: pd.Timestamp) -> None:
    lb, ub = policy.bounds(labels)
    problems = []
    if not np.isfinite(w).all():
        problems.append("non-finite weights")
    else:
        if (w < -WEIGHT_TOL).any():
            problems.append(f"negative weights (min {w.min():.3g})")
        if (np.abs(w.sum(axis=1) - 1.0) > 1e-4).any():
            problems.append("weights not summing to one")
        if (w < lb - WEIGHT_TOL).any() or (w > ub + WEIGHT_TOL).any():
            problems.append("weights outside their bounds")
    if problems:
        raise Diverged(f"refit through {cutoff.date()} rejected: {', '.join(problems)}")
