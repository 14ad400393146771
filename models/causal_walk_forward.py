"""Walk-forward refits of the causal regime models (models.causal_regimes) that a regime
strategy can run on instead of the risk-off classifier: a Gaussian mixture, a Gaussian HMM or a
statistical jump model with two states (bull, bear) on the daily return features of
pipelines.features.regime (those of Shu, Yu and Mulvey 2024; docs/regime_replication.md).

- Schedule: the classifier's (models.walk_forward.refit_dates, the first trading day of each
  year from 1996), so the refit serving D is a function of D alone. A refit at R trains on the
  complete feature rows dated at or before R (known at R's close) within the `lookback_years`
  before R; it is stored with trained_through = R and serves the dates after R. `start` skips
  refits that serve no date from `start` on (a later portfolio inception needs fewer refits;
  the refit serving a date is the same either way).
- States: bear is the state with the lower mean excess return over the training rows.
- Jump penalty: chosen at every refit by the walk-forward CV of models.causal_regimes
  (`tune_jump_penalty`: expanding folds over the training window's second half, scored by
  the Sharpe ratio, net of `cost` per switch, of the stock-or-cash switch the states give,
  traded with `delay`). Every candidate is a recorded trial, which the evidence step counts.
- Inference (`CausalArtifact.bear_probability`): P(bear | rows anchor..t) for each row t, the
  anchor being the refit's first training row: the HMM's forward recursion, the jump model's
  online assignment, the mixture's per-row posterior. No row after t is read, so the state
  served on D is the same whether the data ends at D or years later.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import pandas as pd

from models.causal_regimes import CausalRegimeModel, HMMRegimes, JumpRegimes, MixtureRegimes, tune_jump_penalty
from models.registry import ModelRecord, Registry, version_id
from models.walk_forward import Schedule, refit_dates

Kind = Literal["mixture", "hmm", "jump"]
KINDS: tuple[Kind, ...] = ("mixture", "hmm", "jump")
STATES = ("bull", "bear")
PAD = 256


def model_name(kind: str) -> str:
    """The registry name of a causal regime model kind."""
    if kind not in KINDS:
        raise ValueError(f"unknown causal regime model {kind!r}; choose one of {', '.join(KINDS)}")
    return f"causal_{kind}"


@dataclass(frozen=True)
class CausalSpec:
    """What defines a refit of the causal regime models (hashed into the version)."""

    lookback_years: int = 11
    penalties: tuple[float, ...] = (25.0, 50.0, 100.0, 200.0, 400.0, 800.0, 1600.0)
    cv_folds: int = 3
    n_init: int = 3          # EM / k-means starts (the penalty CV and the HMM and mixture fits)
    jump_n_init: int = 5     # starts of the jump model's final fit
    seed: int = 7
    cost: float = 0.001      # per unit of weight traded, in the penalty CV's score
    delay: int = 1           # the CV's switch trades the state of close D at close D + 1 + delay - 1
    clip: float = 3.0
    min_rows: int = 504


def switch_returns(invest: np.ndarray, r: np.ndarray, c: np.ndarray, delay: int,
                   cost: float) -> tuple[np.ndarray, np.ndarray]:
    """(daily net returns, weights) of holding equity when invest[D] = 1, else cash. The signal
    of the close of D sets the weight over day D + 1 + delay; days 0..delay hold the first
    signal; a switch costs `cost` per unit of weight traded."""
    w = np.empty(len(invest))
    w[: delay + 1] = invest[0]
    w[delay + 1:] = invest[: len(invest) - delay - 1]
    traded = np.abs(np.diff(w, prepend=w[0]))
    return w * r + (1 - w) * c - cost * traded, w


def switch_sharpe_score(r: np.ndarray, c: np.ndarray, delay: int, cost: float):
    """The penalty CV's score: Sharpe ratio (daily, in excess of cash) of the switch net of costs,
    bull (state 0) in equity."""
    def score(states: np.ndarray, rows: np.ndarray) -> float:
        net, _ = switch_returns((states == 0).astype(float), r[rows], c[rows], delay, cost)
        ex = net - c[rows]
        sd = ex.std(ddof=1)
        return float(ex.mean() / sd) if sd > 0 else 0.0
    return score


@dataclass
class CausalArtifact:
    """A fitted causal regime model and where its filter starts."""

    kind: str
    model: CausalRegimeModel
    anchor: pd.Timestamp               # the first training row: every filter run starts here
    features: tuple[str, ...]

    def bear_probability(self, features: pd.DataFrame) -> pd.Series:
        """P(bear | rows anchor..t) on every row t of `features` from the anchor on."""
        X = features.loc[features.index >= self.anchor, list(self.features)]
        bad = X.index[X.isna().any(axis=1)]
        if len(bad):
            raise ValueError(f"{self.kind} regime features missing on {len(bad)} dates from "
                             f"{bad[0].date()} (prices of the S&P 500 or cash absent)")
        Z = X.to_numpy()
        n = len(Z)
        # Padded to a multiple of PAD rows with copies of the last: rows after t never move row
        # t (causal), and BLAS then takes the same path for a row whatever the input's length
        # (an unpadded tail can differ in its last bits), so the state served on D has the same
        # bits in a daily run on data to D as in a backfill on data to years later.
        pad = -n % PAD
        Z = np.vstack([Z, np.repeat(Z[-1:], pad, axis=0)]) if n and pad else Z
        p = self.model.filtered_probabilities(Z)[:n, 1] if n else np.empty(0)
        return pd.Series(p, index=X.index, name="p_bear")


def _make(kind: str, spec: CausalSpec, penalty: float | None) -> CausalRegimeModel:
    if kind == "mixture":
        return MixtureRegimes(2, seed=spec.seed, n_init=spec.n_init, clip=spec.clip)
    if kind == "hmm":
        return HMMRegimes(2, seed=spec.seed, n_init=spec.n_init, clip=spec.clip)
    return JumpRegimes(2, jump_penalty=float(penalty), seed=spec.seed, n_init=spec.jump_n_init, clip=spec.clip)


def _fingerprint(kind: str, spec: CausalSpec, X: pd.DataFrame, r: np.ndarray, c: np.ndarray) -> str:
    h = hashlib.sha256()
    h.update(kind.encode())
    h.update(json.dumps(asdict(spec), sort_keys=True).encode())
    for a in (X.to_numpy(), r, c):
        h.update(np.ascontiguousarray(a, dtype=float).tobytes())
    h.update(X.index.asi8.tobytes())
    return h.hexdigest()


def _fit(kind: str, X: pd.DataFrame, r: np.ndarray, c: np.ndarray, spec: CausalSpec) -> tuple[CausalArtifact, dict]:
    """Fit one refit on its training rows; (artifact, metadata of the fit and its trials)."""
    Z = X.to_numpy()
    score = -(r - c)                                    # ascending: state 0 is bull
    meta: dict = {"hyperparameters": {"n_states": 2}, "cv_metrics": {},
                  "trials": [{"id": f"{kind}", "params": {}, "cv": {}}]}
    penalty = None
    if kind == "jump":
        choice = tune_jump_penalty(Z, spec.penalties, switch_sharpe_score(r, c, spec.delay, spec.cost),
                                   fit_score=score, n_folds=spec.cv_folds, n_states=2, seed=spec.seed,
                                   n_init=spec.n_init, clip=spec.clip)
        penalty = choice.penalty
        meta["hyperparameters"]["jump_penalty"] = penalty
        meta["cv_metrics"] = {"sharpe_daily_by_penalty": {f"{k:g}": v for k, v in choice.scores.items()},
                              "folds": [list(f) for f in choice.folds]}
        meta["trials"] = [{"id": f"jump_penalty={k:g}", "params": {"jump_penalty": k}, "cv": {"sharpe_daily": v}}
                          for k, v in choice.scores.items()]
    model = _make(kind, spec, penalty).fit(Z, score)
    states = model.filtered_states(Z)
    meta["training_states"] = {"bear_share": float(states.mean()), "switches": int((np.diff(states) != 0).sum()),
                               "mean_excess_daily": {s: float((r - c)[states == i].mean()) if (states == i).any()
                                                     else None for i, s in enumerate(STATES)}}
    return CausalArtifact(kind, model, X.index[0], tuple(X.columns)), meta


def first_needed_refit(dates: list[pd.Timestamp], start: dt.date | None) -> int:
    """Index of the first refit that serves a date from `start` on (the last refit before it)."""
    if start is None:
        return 0
    before = [i for i, R in enumerate(dates) if R.date() < start]
    return before[-1] if before else 0


def train_causal(registry: Registry, kind: str, features: pd.DataFrame, returns: pd.DataFrame,
                 as_of: pd.Timestamp, spec: CausalSpec, snapshot: str, schedule: Schedule = "annual",
                 start: dt.date | None = None) -> tuple[list[ModelRecord], pd.DataFrame]:
    """Train (or load) every refit of `kind` up to `as_of`; return the records and the daily
    walk-forward rows (date, p_bear, model_version) each refit served, up to `as_of`.

    features: (dates, features) from pipelines.features.regime.return_features; returns: the
    columns `equity` and `cash` of pipelines.features.regime.daily_excess_returns."""
    name = model_name(kind)
    dates = refit_dates(features.index, as_of, schedule)
    dates = dates[first_needed_refit(dates, start):]
    rets = returns.reindex(features.index)
    records: list[ModelRecord] = []
    for R in dates:
        window = features[(features.index <= R) & (features.index > R - pd.DateOffset(years=spec.lookback_years))]
        window = window[window.notna().all(axis=1)]
        if len(window) < spec.min_rows:
            continue
        r = rets.loc[window.index, "equity"].to_numpy()
        c = rets.loc[window.index, "cash"].to_numpy()
        version = version_id(name, R.date(), _fingerprint(kind, spec, window, r, c))
        if registry.exists(name, version):
            records.append(next(x for x in registry.records(name) if x.version == version))
            continue
        t0 = time.perf_counter()
        art, info = _fit(kind, window, r, c, spec)
        meta = {**info, "kind": f"causal_{kind}", "features": list(window.columns), "data_snapshot": snapshot,
                "spec": asdict(spec), "states": list(STATES), "oos_metrics": {},
                "training_window": {"train_start": str(window.index[0].date()),
                                    "train_end": str(window.index[-1].date()), "n_samples": int(len(window))},
                "training_seconds": time.perf_counter() - t0,
                "created_at": dt.datetime.now(dt.UTC).isoformat(),
                "estimator": {"mixture": "Gaussian mixture, per-row posterior",
                              "hmm": "Gaussian HMM (hmmlearn EM), forward filter",
                              "jump": "statistical jump model (jumpmodels), online assignment, "
                                      "penalty by walk-forward CV"}[kind]}
        records.append(registry.save(name, version, R.date(), art, meta))
    return records, served_history(registry, records, features, as_of)


def served_history(registry: Registry, records: list[ModelRecord], features: pd.DataFrame,
                   as_of: pd.Timestamp) -> pd.DataFrame:
    """Daily rows: each date after a refit, to the next refit (or `as_of`), with the P(bear)
    of the refit that serves it."""
    parts = []
    for i, rec in enumerate(records):
        lo = pd.Timestamp(rec.trained_through)
        hi = pd.Timestamp(records[i + 1].trained_through) if i + 1 < len(records) else pd.Timestamp(as_of)
        rows = features[(features.index > lo) & (features.index <= hi)]
        if rows.empty:
            continue
        art = registry.load(rec, rows.index[0].date())
        p = art.bear_probability(features[features.index <= hi])
        p = p[p.index > lo]
        parts.append(pd.DataFrame({"date": p.index, "p_bear": p.to_numpy(), "model_version": rec.version}))
    if not parts:
        return pd.DataFrame(columns=["date", "p_bear", "model_version"])
    return pd.concat(parts, ignore_index=True)
