"""The neural policy in the pipeline: its setup from a portfolio's parameters, its walk-forward
refits in the registry, and the point-in-time path the strategy serves.

Setup: a `neural_sharpe` portfolio's symbols, the cash symbol and its parameters make the
feature spec, the network and the training settings (models.neural); the model name is a hash
of the three (`neural_policy-<10 hex>`), so the trainer and the strategy, which both see the
same parameters, agree on it without sharing state, and a changed parameter is a new model.

Refits: one per date of the shared schedule (models.walk_forward.refit_dates: the first trading
day of each year from 1996), trained on what is known at that date's close (trained_through =
the date) and serving the dates after it, like the regime models. A refit already in the
registry is not trained again (its version is a hash of its training data and settings). A
rejected refit (`RefitRejected`: NaN loss, invalid weights, non-finite inputs) is not stored:
the previous version keeps serving, and the rejection is logged and returned.

Path: the policy's input "weights held" is its own state: from cash at the first refit's first
serving date, each day's target drifted by the next day's returns, carried from one refit to the
next (models.neural.walk_forward.oos_path's arithmetic). The weight served on D is computed from
windows ending on or before D and from refits trained before D only; each refit's segment is
simulated on arrays padded to a fixed multiple, so the value on D does not depend on how far the
lake reaches past D (a daily run and a backfill serve the same bits).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from models.neural.features import DailyInputs, FeatureSpec, FeatureWindows, build_windows, prices_to_inputs
from models.neural.networks import PolicyConfig
from models.neural.training import NeuralModel, RefitRejected, TrainConfig, fingerprint, fit, training_samples
from models.registry import ModelRecord, Registry, version_id
from pipelines.features.regime import FEATURES

log = logging.getLogger(__name__)

STRATEGY = "neural_sharpe"
NAME_PREFIX = "neural_policy"


def use_compile_cache(path: Path) -> None:
    """Keep JAX's compiled programs under `path` (a process-wide setting, the first call wins):
    a later process, e.g. a DAG task after the backfill, loads them instead of compiling again.
    Compiled programs give the same results as fresh compiles."""
    import jax

    if jax.config.jax_compilation_cache_dir:
        return
    path.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)


@dataclass(frozen=True)
class NeuralSetup:
    """What one neural portfolio trains and serves."""

    spec: FeatureSpec
    policy: PolicyConfig
    train: TrainConfig

    def to_dict(self) -> dict:
        return {"spec": self.spec.to_dict(), "policy": _plain(asdict(self.policy)),
                "train": _plain(asdict(self.train))}

    @property
    def name(self) -> str:
        digest = hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()
        return f"{NAME_PREFIX}-{digest[:10]}"


def _plain(d: dict) -> dict:
    return json.loads(json.dumps(d, default=list))


def setup_for(symbols: Sequence[str], cash: str, params: object) -> NeuralSetup:
    """The setup of a `neural_sharpe` portfolio from its symbols and validated parameters."""
    p = params
    spec = FeatureSpec(assets=tuple(symbols), cash=cash, regime=FEATURES if p.regime_features else (),
                       window=p.window, vol_window=p.vol_window)
    policy = PolicyConfig(kind=p.kind, hidden=p.hidden, target_vol=p.target_vol, cost_rate=p.cost_rate,
                          trade_rate=p.trade_rate)
    train = TrainConfig(seeds=tuple(p.seeds), learning_rate=p.learning_rate, max_epochs=p.max_epochs,
                        patience=p.patience, steps_per_epoch=p.steps_per_epoch)
    return NeuralSetup(spec, policy, train)


def portfolio_setups(portfolios: Sequence, cash: str) -> dict[str, NeuralSetup]:
    """portfolio id -> setup, for every configured `neural_sharpe` portfolio."""
    return {cfg.id: setup_for(cfg.symbols, cash, cfg.params) for cfg in portfolios if cfg.strategy == STRATEGY}


def daily_inputs(prices: pd.DataFrame, features: pd.DataFrame, spec: FeatureSpec) -> DailyInputs:
    """The policy's daily inputs from the lake's closes and the regime features."""
    regime = features[list(spec.regime)] if spec.regime else None
    return prices_to_inputs(prices, spec.assets, spec.cash, regime)


# ----------------------------------------------------------------------------- training

@dataclass(frozen=True)
class RefitOutcome:
    """One scheduled refit: trained now, already in the registry, rejected or skipped."""

    date: pd.Timestamp
    status: str            # trained | registered | rejected | skipped
    version: str | None = None
    reason: str = ""
    seconds: float = 0.0


def train_refits(registry: Registry, name: str, setup: NeuralSetup, inputs: DailyInputs,
                 dates: Sequence[pd.Timestamp], snapshot: str,
                 windows: FeatureWindows | None = None) -> list[RefitOutcome]:
    """Train (or find in the registry) the refit at each date, in order."""
    windows = build_windows(inputs, setup.spec) if windows is None else windows
    out = []
    for R in dates:
        R = pd.Timestamp(R)
        t0 = time.perf_counter()
        try:
            samples, r_next = training_samples(windows, inputs, setup.spec, R)
        except RefitRejected as exc:
            log.warning("%s refit at %s rejected: %s", name, R.date(), exc)
            out.append(RefitOutcome(R, "rejected", reason=str(exc)))
            continue
        n_needed = setup.train.min_train_days + setup.train.val_days
        if len(samples) < n_needed:
            out.append(RefitOutcome(R, "skipped", reason=f"{len(samples)} samples, needs {n_needed}"))
            continue
        fp = fingerprint(setup.spec, setup.policy, setup.train, R, samples, r_next)
        version = version_id(name, R.date(), fp)
        if registry.exists(name, version):
            out.append(RefitOutcome(R, "registered", version))
            continue
        try:
            model = fit(windows, inputs, setup.spec, setup.policy, setup.train, R)
        except RefitRejected as exc:
            log.warning("%s refit at %s rejected, the previous version keeps serving: %s", name, R.date(), exc)
            out.append(RefitOutcome(R, "rejected", reason=str(exc), seconds=time.perf_counter() - t0))
            continue
        secs = time.perf_counter() - t0
        registry.save(name, version, R.date(), model.to_dict(), _meta(setup, model, snapshot, secs))
        out.append(RefitOutcome(R, "trained", version, seconds=secs))
    return out


def _meta(setup: NeuralSetup, model: NeuralModel, snapshot: str, seconds: float) -> dict:
    m = model.metrics
    config = setup.to_dict()
    return {"kind": "neural_policy", "features": list(setup.spec.names), "data_snapshot": snapshot,
            "hyperparameters": {"policy": config["policy"], "train": config["train"],
                                "window": setup.spec.window, "vol_window": setup.spec.vol_window},
            "spec": config,
            "training_window": {k: m[k] for k in ("train_start", "train_end", "validation_start",
                                                  "validation_end", "n_train", "n_validation")},
            "cv_metrics": {k: m[k] for k in ("train_sharpe", "validation_sharpe", "member_validation_sharpe",
                                             "best_epoch", "epochs")},
            "train_loss": m["train_loss"], "oos_metrics": {}, "training_seconds": seconds,
            "trials": [{"id": "fixed", "params": config}],
            "created_at": pd.Timestamp.now(tz="UTC").isoformat(),
            "estimator": f"{setup.policy.kind} policy, seed ensemble {list(setup.train.seeds)}, "
                         "gradient ascent on the net-of-cost Sharpe ratio, early stopping on the last "
                         f"{setup.train.val_days} days"}


# ----------------------------------------------------------------------------- serving

def serving_records(registry: Registry, name: str) -> list[ModelRecord]:
    """One record per training date, the one `Registry.latest` would serve."""
    by_date = {r.trained_through: r for r in registry.records(name)}
    return [by_date[d] for d in sorted(by_date)]


@dataclass(frozen=True)
class PolicyPath:
    """The weights the policy sets at each close (dates x labels) and the version serving it."""

    weights: pd.DataFrame
    version: pd.Series


def policy_path(registry: Registry, records: Sequence[ModelRecord], setup: NeuralSetup,
                inputs: DailyInputs, windows: FeatureWindows | None = None) -> PolicyPath:
    """Walk the refits through their serving dates, carrying the held weights across refits."""
    windows = build_windows(inputs, setup.spec) if windows is None else windows
    labels = setup.spec.weight_labels
    held = np.zeros(len(labels))
    held[-1] = 1.0
    parts_w, parts_v = [], []
    for i, rec in enumerate(records):
        start = pd.Timestamp(rec.trained_through) + pd.Timedelta(days=1)
        stop = pd.Timestamp(records[i + 1].trained_through) if i + 1 < len(records) else windows.dates[-1]
        seg = windows.between(start, stop)
        if not len(seg):
            continue
        model = NeuralModel.from_dict(registry.load(rec, seg.dates[0].date()))
        r_next = inputs.next_returns(labels, seg.dates)
        w, _, _, held = model.simulate(seg, r_next, held)
        w = np.maximum(w, 0.0)  # float32 arithmetic: exact long-only weights summing to one
        w = w / w.sum(axis=1, keepdims=True)
        parts_w.append(pd.DataFrame(w, index=seg.dates, columns=list(labels)))
        parts_v.append(pd.Series(rec.version, index=seg.dates, dtype=object))
    if not parts_w:
        return PolicyPath(pd.DataFrame(columns=list(labels), dtype=float), pd.Series(dtype=object))
    return PolicyPath(pd.concat(parts_w), pd.concat(parts_v))


def training_summary(outcomes: Mapping[str, Sequence[RefitOutcome]]) -> dict:
    """Counts and seconds per model name (for the train step's summary and the log)."""
    out = {}
    for name, rows in outcomes.items():
        out[name] = {"refits": len(rows), "trained": sum(r.status == "trained" for r in rows),
                     "rejected": [f"{r.date.date()}: {r.reason}" for r in rows if r.status == "rejected"],
                     "seconds": round(sum(r.seconds for r in rows), 2)}
    return out
