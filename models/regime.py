"""The regime models: an unsupervised Gaussian mixture and a supervised risk-off classifier,
both scikit-learn Pipelines, trained on monthly samples known at a refit date.

Samples: the last trading day m of every complete month (see pipelines.features.calendar),
features as of m's close. The classifier's target (`TrainingSpec.target`) is a quantity of the
next month, from m to the next month end, known at that month end, so a refit at R trains only
on months whose label month has ended before R:
- "volatility" (the default): risk-off (1) when next month's realised S&P 500 volatility is
  above the `vol_quantile` of the training months' (the threshold is fitted with the model and
  kept in its artifact). Volatility persists, so it has a chance of being predictable; out of
  sample (1996-2017) it beats both naive baselines (models.evaluation), where
- "excess_return" (the first target): risk-off when the S&P 500's return over cash is below
  `threshold`, did not (balanced accuracy 0.47 against 0.50 and 0.52).

- Classifier: StandardScaler + LogisticRegression; C and class weighting chosen on purged,
  embargoed k-fold log loss over a fixed grid (`c_grid` x `balanced_grid`): the same
  configurations at every refit, so the trials are countable and each has an out-of-sample
  record (the deflated Sharpe ratio and PBO need both). Every trial's CV scores are returned.
- Mixture: StandardScaler + GaussianMixture on return / volatility / spread features; the
  number of components (2 or 3) chosen by BIC; components labelled by the average equity
  volatility of their members: calm < normal < stress.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from models.cv import PurgedKFold
from models.evaluation import scores
from pipelines.features.calendar import complete_month_ends
from pipelines.features.regime import FEATURES, forward_excess_return, forward_realised_vol

GMM_FEATURES = ("eq_ret_63", "eq_vol_63", "eq_drawdown", "bond_ret_63", "credit_spread", "term_spread")
REGIME_NAMES = {2: ("calm", "stress"), 3: ("calm", "normal", "stress")}
Target = Literal["volatility", "excess_return"]


@dataclass(frozen=True)
class TrainingSpec:
    """Everything that defines how a refit is trained (hashed into the model version)."""

    target: Target = "volatility"
    threshold: float = 0.0          # excess_return: risk-off below this monthly excess return
    vol_quantile: float = 0.5       # volatility: risk-off above this quantile of the training months
    n_splits: int = 5
    embargo: float = 0.02
    c_grid: tuple[float, ...] = (0.001, 0.01, 0.1, 1.0, 10.0)
    balanced_grid: tuple[bool, ...] = (False, True)
    seed: int = 7
    min_samples: int = 60
    features: tuple[str, ...] = FEATURES
    gmm_features: tuple[str, ...] = GMM_FEATURES
    gmm_components: tuple[int, ...] = (2, 3)

    def grid(self) -> list[dict]:
        """The classifier's hyper-parameter trials, in a fixed order."""
        return [{"C": float(c), "balanced": bool(b)} for c in self.c_grid for b in self.balanced_grid]


def trial_id(params: dict) -> str:
    return ",".join(f"{k}={params[k]}" for k in sorted(params))


@dataclass(frozen=True)
class Samples:
    """Monthly training samples: X (n, n_features), y (n,) labels, t1 label-known times indexed
    by observation time, prev = last month's realised label (known at observation); `value` and
    `prev_value` are the quantities labelled with `threshold` (see `relabel`)."""

    X: pd.DataFrame
    y: pd.Series
    t1: pd.Series
    prev: pd.Series
    value: pd.Series
    prev_value: pd.Series
    threshold: float
    target: Target = "volatility"

    def relabel(self, threshold: float) -> Samples:
        """The same months labelled with another threshold (a refit's, for its predictions)."""
        return replace(self, y=label(self.value, threshold, self.target),
                       prev=label(self.prev_value, threshold, self.target), threshold=threshold)

    def subset(self, mask: np.ndarray) -> Samples:
        return replace(self, X=self.X[mask], y=self.y[mask], t1=self.t1[mask], prev=self.prev[mask],
                       value=self.value[mask], prev_value=self.prev_value[mask])


def label(value: pd.Series, threshold: float, target: Target) -> pd.Series:
    """1 (risk-off) or 0 for each month's quantity."""
    off = value > threshold if target == "volatility" else value < threshold
    return off.astype(int)


def monthly_samples(features: pd.DataFrame, prices: pd.DataFrame, as_of: pd.Timestamp,
                    spec: TrainingSpec, threshold: float | None = None) -> Samples:
    """Samples whose features and labels are both known at the close of `as_of`, labelled with
    `threshold` (default: the spec's, or for volatility the quantile of these samples')."""
    ends = complete_month_ends(prices.index, as_of)
    fwd = (forward_realised_vol(prices, ends) if spec.target == "volatility"
           else forward_excess_return(prices, ends))
    prev_value = fwd.shift(1)
    t1 = pd.Series(ends[1:].append(pd.DatetimeIndex([pd.NaT])), index=ends)
    X = features.reindex(ends)[list(spec.features)]
    ok = X.notna().all(axis=1) & fwd.notna() & prev_value.notna()
    value, prev_value = fwd[ok], prev_value[ok]
    if threshold is None:
        threshold = (float(value.quantile(spec.vol_quantile)) if spec.target == "volatility" and len(value)
                     else spec.threshold)
    return Samples(X[ok], label(value, threshold, spec.target), t1[ok],
                   label(prev_value, threshold, spec.target), value, prev_value, float(threshold), spec.target)


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


def tune_classifier(samples: Samples, spec: TrainingSpec) -> tuple[dict, dict, list[dict]]:
    """(best hyper-parameters, CV scores of the best, every trial with its CV scores): each
    configuration of the grid scored by out-of-fold log loss under the purged splitter (the
    first of equal scores wins)."""
    X, y = samples.X.to_numpy(), samples.y.to_numpy()
    cv = PurgedKFold(spec.n_splits, samples.t1, spec.embargo)
    trials = []
    for params in spec.grid():
        p = oof_probabilities(lambda params=params: make_classifier(params["C"], params["balanced"], spec.seed),
                              X, y, cv)
        trials.append({"id": trial_id(params), "params": params, "cv": scores(y, p)})
    best = min(trials, key=lambda t: t["cv"]["log_loss"])
    return dict(best["params"]), dict(best["cv"]), trials


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

