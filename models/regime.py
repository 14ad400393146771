"""The regime models: an unsupervised Gaussian mixture and a supervised risk-off classifier,
both scikit-learn Pipelines, trained on monthly samples known at a refit date.

Samples: the last trading day m of every complete month (see pipelines.features.calendar),
features as of m's close. Label of m: 1 (risk-off) when the S&P 500's return over cash from m
to the next month end is below `threshold`; it is known at that next month end, so a refit at R
trains only on months whose label month has ended before R.

- Classifier: StandardScaler + LogisticRegression; C and class weighting tuned by optuna's TPE
  sampler (fixed seed, fixed trial budget) on purged, embargoed k-fold log loss.
- Mixture: StandardScaler + GaussianMixture on return / volatility / spread features; the
  number of components (2 or 3) chosen by BIC; components labelled by the average equity
  volatility of their members: calm < normal < stress.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import optuna
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from models.cv import PurgedKFold
from models.evaluation import scores
from pipelines.features.calendar import complete_month_ends
from pipelines.features.regime import FEATURES, forward_excess_return

GMM_FEATURES = ("eq_ret_63", "eq_vol_63", "eq_drawdown", "bond_ret_63", "credit_spread", "term_spread")
REGIME_NAMES = {2: ("calm", "stress"), 3: ("calm", "normal", "stress")}


@dataclass(frozen=True)
class TrainingSpec:
    """Everything that defines how a refit is trained (hashed into the model version)."""

    threshold: float = 0.0
    n_splits: int = 5
    embargo: float = 0.02
    n_trials: int = 15
    seed: int = 7
    min_samples: int = 60
    features: tuple[str, ...] = FEATURES
    gmm_features: tuple[str, ...] = GMM_FEATURES
    gmm_components: tuple[int, ...] = (2, 3)


@dataclass(frozen=True)
class Samples:
    """Monthly training samples: X (n, n_features), y (n,), t1 label-known times indexed by
    observation time, prev = last month's realised label (known at observation)."""

    X: pd.DataFrame
    y: pd.Series
    t1: pd.Series
    prev: pd.Series


def monthly_samples(features: pd.DataFrame, prices: pd.DataFrame, as_of: pd.Timestamp,
                    spec: TrainingSpec) -> Samples:
    """Samples whose features and labels are both known at the close of `as_of`."""
    ends = complete_month_ends(prices.index, as_of)
    fwd = forward_excess_return(prices, ends)
    y_all = (fwd < spec.threshold).astype(float).where(fwd.notna())
    prev = y_all.shift(1)
    t1 = pd.Series(ends[1:].append(pd.DatetimeIndex([pd.NaT])), index=ends)
    X = features.reindex(ends)[list(spec.features)]
    ok = X.notna().all(axis=1) & y_all.notna() & prev.notna()
    return Samples(X[ok], y_all[ok].astype(int), t1[ok], prev[ok].astype(int))


def make_classifier(C: float, balanced: bool, seed: int) -> Pipeline:
    return Pipeline([("scale", StandardScaler()),
                     ("clf", LogisticRegression(C=C, class_weight="balanced" if balanced else None,
                                                solver="newton-cholesky", max_iter=200))])


def make_mixture(n_components: int, seed: int) -> Pipeline:
    return Pipeline([("scale", StandardScaler()),
                     ("gmm", GaussianMixture(n_components=n_components, covariance_type="full",
                                             n_init=3, reg_covar=1e-4, random_state=seed))])


def oof_probabilities(make, X: np.ndarray, y: np.ndarray, cv: PurgedKFold) -> np.ndarray:
    """Out-of-fold risk-off probabilities under the purged splitter."""
    p = np.full(len(y), np.nan)
    for train, test in cv.split(X):
        if len(np.unique(y[train])) < 2:
            p[test] = y[train].mean()
            continue
        p[test] = make().fit(X[train], y[train]).predict_proba(X[test])[:, 1]
    return p


def tune_classifier(samples: Samples, spec: TrainingSpec) -> tuple[dict, dict]:
    """(best hyper-parameters, CV scores of the best) by TPE under the purged splitter."""
    X, y = samples.X.to_numpy(), samples.y.to_numpy()
    cv = PurgedKFold(spec.n_splits, samples.t1, spec.embargo)

    def objective(trial: optuna.Trial) -> float:
        C = trial.suggest_float("C", 1e-3, 10.0, log=True)
        balanced = trial.suggest_categorical("balanced", [False, True])
        p = oof_probabilities(lambda: make_classifier(C, balanced, spec.seed), X, y, cv)
        return scores(y, p)["log_loss"]

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize",
                                sampler=optuna.samplers.TPESampler(seed=spec.seed))
    study.optimize(objective, n_trials=spec.n_trials)
    best = dict(study.best_params)
    p = oof_probabilities(lambda: make_classifier(best["C"], best["balanced"], spec.seed), X, y, cv)
    return best, scores(y, p)


@dataclass
class RegimeMixture:
    """A fitted mixture pipeline and the name of each component (by equity volatility)."""

    pipeline: Pipeline
    features: tuple[str, ...]
    names: tuple[str, ...]
    order: np.ndarray = field(repr=False)  # component index for each name

    def probabilities(self, X: pd.DataFrame) -> np.ndarray:
        """(n, n_regimes) probabilities in the order of `names`."""
        return self.pipeline.predict_proba(X[list(self.features)].to_numpy())[:, self.order]


def fit_mixture(X: pd.DataFrame, spec: TrainingSpec) -> tuple[RegimeMixture, dict]:
    """Choose the component count by BIC, fit, and name components calm .. stress."""
    best, best_bic = None, np.inf
    data = X[list(spec.gmm_features)].to_numpy()
    bics = {}
    for k in spec.gmm_components:
        pipe = make_mixture(k, spec.seed).fit(data)
        bic = float(pipe["gmm"].bic(pipe["scale"].transform(data)))
        bics[k] = bic
        if bic < best_bic:
            best, best_bic = pipe, bic
    resp = best.predict_proba(data)
    vol = X["eq_vol_63"].to_numpy()
    mean_vol = (resp * vol[:, None]).sum(axis=0) / np.maximum(resp.sum(axis=0), 1e-12)
    order = np.argsort(mean_vol)
    k = len(order)
    profile = {REGIME_NAMES[k][i]: {"eq_vol_63": float(mean_vol[c]),
                                    "eq_ret_63": float((resp[:, c] * X["eq_ret_63"].to_numpy()).sum()
                                                       / max(resp[:, c].sum(), 1e-12))}
               for i, c in enumerate(order)}
    return (RegimeMixture(best, tuple(spec.gmm_features), REGIME_NAMES[k], order),
            {"n_components": k, "bic": bics, "profile": profile})

