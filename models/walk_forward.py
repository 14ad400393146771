"""Walk-forward training of the regime models and their point-in-time predictions.

Refits happen on one schedule (the first trading day of every year, or quarter), whichever
runner trains them, so the refit serving a date is a function of the date alone. A refit at R trains on
the samples known at R's close (models.regime); its version is a hash of what it was trained
on, so a refit already in the registry is loaded instead of re-trained (the per-refit cache).

A prediction for date D uses the latest refit with trained_through < D. The out-of-sample
record stored with a refit is every earlier prediction whose label was known by R, scored
against the naive baselines with the training rates of the refit that was in force, each month
labelled with the threshold of that refit; with it, the stationary-bootstrap interval of the
log-loss difference to each baseline (below 0: the model's loss is lower).

Every refit records its hyper-parameter trials (the grid of models.regime, with CV scores) and
keeps each trial's fitted pipeline in its artifact, so every configuration tried has a
walk-forward out-of-sample record (`trial_history`) for the evidence step's PBO.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from models.evaluation import always_risk_on, log_loss_difference, previous_month, scores
from models.regime import (
    Samples,
    TrainingSpec,
    fit_mixture,
    make_classifier,
    monthly_samples,
    trial_id,
    tune_classifier,
)
from models.registry import ModelRecord, Registry, version_id

CLASSIFIER = "risk_off_classifier"
MIXTURE = "regime_mixture"
Schedule = Literal["annual", "quarterly"]
FIRST_REFIT = pd.Timestamp("1996-01-01")


@dataclass
class ClassifierArtifact:
    pipeline: object
    features: tuple[str, ...]
    threshold: float       # the label threshold of this refit (volatility: fitted on its months)
    base_rate: float
    prev: np.ndarray       # training samples' previous-month labels, for the baseline
    y: np.ndarray
    target: str = "volatility"
    trials: dict[str, object] = field(default_factory=dict)   # trial id -> pipeline fitted on all samples

    def probability(self, X: pd.DataFrame) -> np.ndarray:
        return self.pipeline.predict_proba(X[list(self.features)].to_numpy())[:, 1]

    def trial_probabilities(self, X: pd.DataFrame) -> pd.DataFrame:
        """(n, n_trials) risk-off probabilities of every trial configuration."""
        Z = X[list(self.features)].to_numpy()
        return pd.DataFrame({k: m.predict_proba(Z)[:, 1] for k, m in self.trials.items()}, index=X.index)


def refit_dates(index: pd.DatetimeIndex, as_of: pd.Timestamp, schedule: Schedule = "annual",
                first: pd.Timestamp = FIRST_REFIT) -> list[pd.Timestamp]:
    """First trading day of each year (quarter) from `first` up to `as_of`."""
    idx = index[(index >= first) & (index <= as_of)]
    period = idx.to_period("Y" if schedule == "annual" else "Q")
    firsts = pd.Series(idx, index=idx).groupby(period).min()
    return list(pd.DatetimeIndex(firsts.to_numpy()))


def _fingerprint(kind: str, samples: Samples, spec: TrainingSpec) -> str:
    h = hashlib.sha256()
    h.update(kind.encode())
    h.update(json.dumps(asdict(spec), sort_keys=True).encode())
    h.update(np.ascontiguousarray(samples.X.to_numpy()).tobytes())
    h.update(np.ascontiguousarray(samples.y.to_numpy()).tobytes())
    h.update(samples.X.index.asi8.tobytes())
    return h.hexdigest()


@dataclass(frozen=True)
class Refit:
    classifier: ModelRecord
    mixture: ModelRecord
    trained: bool          # False when both came from the registry
    seconds: dict[str, float]


def _oos(history: pd.DataFrame, known_by: pd.Timestamp, seed: int = 0) -> dict:
    """Scores of the walk-forward predictions with labels known by `known_by`, vs baselines,
    and the bootstrap interval of the model's log loss minus each baseline's."""
    h = history[history["t1"] < known_by]
    if h.empty:
        return {"n": 0}
    y = h["y"].to_numpy()
    out = {"period": [str(h.index[0].date()), str(h.index[-1].date())],
           "model": scores(y, h["p"].to_numpy()),
           "always_risk_on": scores(y, h["p_always_on"].to_numpy()),
           "previous_month": scores(y, h["p_previous"].to_numpy())}
    if len(h) >= 24:
        out["log_loss_difference"] = {
            base: log_loss_difference(y, h["p"].to_numpy(), h[col].to_numpy(), seed=seed)
            for base, col in (("always_risk_on", "p_always_on"), ("previous_month", "p_previous"))}
    return out


def train_refit(registry: Registry, features: pd.DataFrame, prices: pd.DataFrame, R: pd.Timestamp,
                spec: TrainingSpec, snapshot: str, history: pd.DataFrame) -> Refit | None:
    """Train (or load) both models as of R's close; None when there are too few samples."""
    samples = monthly_samples(features, prices, R, spec)
    if len(samples.y) < spec.min_samples or samples.y.nunique() < 2:
        return None
    trained_through = R.date()
    window = {"train_start": str(samples.X.index[0].date()), "train_end": str(samples.X.index[-1].date()),
              "label_known_by": str(samples.t1.iloc[-1].date()), "n_samples": int(len(samples.y))}
    common = {"data_snapshot": snapshot, "spec": asdict(spec), "training_window": window,
              "created_at": dt.datetime.now(dt.UTC).isoformat()}
    seconds = {}
    trained = False

    cv_version = version_id(CLASSIFIER, trained_through, _fingerprint(CLASSIFIER, samples, spec))
    if registry.exists(CLASSIFIER, cv_version):
        clf_rec = next(r for r in registry.records(CLASSIFIER) if r.version == cv_version)
        seconds[CLASSIFIER] = clf_rec.meta.get("training_seconds", 0.0)
    else:
        t0 = time.perf_counter()
        best, cv_scores, trials = tune_classifier(samples, spec)
        X, y = samples.X.to_numpy(), samples.y.to_numpy()
        fitted = {t["id"]: make_classifier(t["params"]["C"], t["params"]["balanced"], spec.seed).fit(X, y)
                  for t in trials}
        art = ClassifierArtifact(fitted[trial_id(best)], tuple(spec.features), samples.threshold,
                                 float(samples.y.mean()), samples.prev.to_numpy(), y, spec.target, fitted)
        secs = time.perf_counter() - t0
        meta = {**common, "kind": "classifier", "features": list(spec.features),
                "target": {"kind": spec.target, "threshold": samples.threshold,
                           "vol_quantile": spec.vol_quantile if spec.target == "volatility" else None},
                "hyperparameters": best, "cv_metrics": cv_scores, "trials": trials,
                "oos_metrics": _oos(history, R, spec.seed), "training_seconds": secs,
                "estimator": "StandardScaler+LogisticRegression, C and class weights by purged k-fold "
                             "log loss over a fixed grid"}
        clf_rec = registry.save(CLASSIFIER, cv_version, trained_through, art, meta)
        seconds[CLASSIFIER] = secs
        trained = True

    mx_version = version_id(MIXTURE, trained_through, _fingerprint(MIXTURE, samples, spec))
    if registry.exists(MIXTURE, mx_version):
        mx_rec = next(r for r in registry.records(MIXTURE) if r.version == mx_version)
        seconds[MIXTURE] = mx_rec.meta.get("training_seconds", 0.0)
    else:
        t0 = time.perf_counter()
        mixture, info = fit_mixture(samples.X, spec)
        secs = time.perf_counter() - t0
        meta = {**common, "kind": "mixture", "features": list(spec.gmm_features),
                "hyperparameters": {"n_components": info["n_components"], "covariance_type": "full"},
                "cv_metrics": {"bic": info["bic"]}, "oos_metrics": {}, "regimes": info["profile"],
                "trials": [{"id": f"n_components={k}", "params": {"n_components": k}, "cv": {"bic": b}}
                           for k, b in info["bic"].items()],
                "training_seconds": secs,
                "estimator": "StandardScaler+GaussianMixture, components by BIC"}
        mx_rec = registry.save(MIXTURE, mx_version, trained_through, mixture, meta)
        seconds[MIXTURE] = secs
        trained = True
    return Refit(clf_rec, mx_rec, trained, seconds)


def _predict_months(art: ClassifierArtifact, samples_all: Samples, start: pd.Timestamp,
                    stop: pd.Timestamp | None) -> pd.DataFrame:
    """Walk-forward rows for sample months in (start, stop] predicted by `art`, labelled with
    its threshold."""
    X = samples_all.X
    sel = (X.index > start) & (True if stop is None else X.index <= stop)
    if not np.any(sel):
        return pd.DataFrame(columns=["y", "t1", "p", "p_always_on", "p_previous"])
    months = samples_all.subset(sel).relabel(art.threshold)
    n = int(sel.sum())
    return pd.DataFrame({
        "y": months.y.to_numpy(), "t1": months.t1.to_numpy(), "p": art.probability(months.X),
        "p_always_on": always_risk_on(art.y, n),
        "p_previous": previous_month(art.prev, art.y, months.prev.to_numpy())},
        index=months.X.index)


def walk_forward(registry: Registry, features: pd.DataFrame, prices: pd.DataFrame,
                 as_of: pd.Timestamp, spec: TrainingSpec, snapshot: str,
                 schedule: Schedule = "annual"
                 ) -> tuple[list[Refit], pd.DataFrame]:
    """Train every refit up to `as_of` in order; return them and the walk-forward history."""
    dates = refit_dates(prices.index, as_of, schedule)
    all_samples = monthly_samples(features, prices, as_of, spec)
    refits: list[Refit] = []
    history = pd.DataFrame(columns=["y", "t1", "p", "p_always_on", "p_previous"])
    for i, R in enumerate(dates):
        refit = train_refit(registry, features, prices, R, spec, snapshot, history)
        if refit is None:
            continue
        refits.append(refit)
        art = registry.load(refit.classifier, R.date() + dt.timedelta(days=1))
        nxt = dates[i + 1] if i + 1 < len(dates) else None
        part = _predict_months(art, all_samples, R, nxt)
        history = pd.concat([history, part]) if len(history) else part
    return refits, history


def trial_history(registry: Registry, features: pd.DataFrame, months: pd.DatetimeIndex,
                  as_of: pd.Timestamp) -> pd.DataFrame:
    """(months, trials) walk-forward risk-off probabilities of every trial configuration: each
    month end m predicted by the trial's pipeline of the latest refit trained before m (only
    refits trained by `as_of`, only trial ids every refit has)."""
    by_date = {r.trained_through: r for r in registry.records(CLASSIFIER)   # the one `latest` serves
               if pd.Timestamp(r.trained_through) <= as_of}
    records = [by_date[d] for d in sorted(by_date)]
    if not records:
        return pd.DataFrame(index=months[:0])
    X = features.reindex(months)
    parts = []
    for i, rec in enumerate(records):
        lo = pd.Timestamp(rec.trained_through)
        hi = pd.Timestamp(records[i + 1].trained_through) if i + 1 < len(records) else pd.Timestamp(as_of)
        rows = X[(X.index > lo) & (X.index <= hi)].dropna()
        if rows.empty:
            continue
        art = registry.load(rec, rows.index[0].date())
        if art.trials:
            parts.append(art.trial_probabilities(rows))
    if not parts:
        return pd.DataFrame(index=months[:0])
    out = pd.concat(parts, join="inner")
    return out[~out.index.duplicated(keep="last")].sort_index()


def oos_summary(history: pd.DataFrame, seed: int = 0) -> dict:
    """Scores of the whole walk-forward history with labels known (all of it)."""
    return _oos(history, pd.Timestamp.max, seed)
