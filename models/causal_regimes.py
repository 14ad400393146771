"""Regime models with causal inference, behind one small interface, so a regime strategy can
use a Gaussian mixture, a Gaussian HMM or a statistical jump model interchangeably.

Contract (`CausalRegimeModel`): `fit(X, score)` on a training window; then
`filtered_probabilities(X)` (n, n_states) and `filtered_states(X)` (n,), where row t depends
on rows 0..t of X only: appending rows after t changes nothing at or before t. States are
numbered by the training-window mean of `score` (ascending), e.g. volatility for calm..stress
or minus the excess return for bull..bear.

- Mixture: a row's posterior under a Gaussian mixture uses that row alone: causal as it is.
- HMM (hmmlearn): its `predict_proba` is forward-backward *smoothing* (row t sees later
  rows) and `predict` a Viterbi path over the whole input, both look-ahead. The filter here
  is the forward recursion alone, written from the fitted start, transition and emission
  parameters: p(s_t | x_0..x_t).
- Jump model (Nystrup, Lindström and Madsen 2020, via the `jumpmodels` package): its
  `predict` backtracks the optimal path (look-ahead); `predict_online` takes, at row t, the
  state minimising the dynamic-programming value over rows 0..t, which is causal.

Inputs are standardised with the training window's mean and standard deviation and clipped at
`clip` standard deviations (robust to the crash days that otherwise own a state).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from hmmlearn.hmm import GaussianHMM
from jumpmodels.jump import JumpModel
from scipy import stats
from sklearn.mixture import GaussianMixture


class CausalRegimeModel(Protocol):
    n_states: int

    def fit(self, X: np.ndarray, score: np.ndarray | None = None) -> CausalRegimeModel: ...

    def filtered_probabilities(self, X: np.ndarray) -> np.ndarray: ...

    def filtered_states(self, X: np.ndarray) -> np.ndarray: ...


@dataclass
class _Scaler:
    mean: np.ndarray
    sd: np.ndarray
    clip: float | None

    @classmethod
    def fit(cls, X: np.ndarray, clip: float | None) -> _Scaler:
        sd = X.std(axis=0)
        return cls(X.mean(axis=0), np.where(sd > 0, sd, 1.0), clip)

    def transform(self, X: np.ndarray) -> np.ndarray:
        Z = (X - self.mean) / self.sd
        return Z if self.clip is None else np.clip(Z, -self.clip, self.clip)


def _check_X(X: np.ndarray, n_features: int | None = None) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"X must be (n_samples, n_features), got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError("X has missing or infinite values (drop the warm-up rows first)")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features, the model was fitted on {n_features}")
    return X


def _order(membership: np.ndarray, score: np.ndarray | None, n_states: int) -> np.ndarray:
    """State relabelling: new state i is old state order[i] (ascending mean score)."""
    if score is None:
        return np.arange(n_states)
    score = np.asarray(score, dtype=float)
    if score.shape != (len(membership),):
        raise ValueError(f"score must be (n_samples,) = ({len(membership)},), got {score.shape}")
    w = membership.sum(axis=0)
    mean = np.where(w > 0, (membership * score[:, None]).sum(axis=0) / np.maximum(w, 1e-300),
                    np.inf)  # an empty state sorts last
    return np.argsort(mean, kind="stable")


class _Base:
    n_states: int
    clip: float | None
    scaler_: _Scaler
    order_: np.ndarray

    def _prepare_fit(self, X: np.ndarray) -> np.ndarray:
        X = _check_X(X)
        if len(X) < 10 * self.n_states:
            raise ValueError(f"{len(X)} training rows are too few for {self.n_states} states")
        self.scaler_ = _Scaler.fit(X, self.clip)
        return self.scaler_.transform(X)

    def _prepare(self, X: np.ndarray) -> np.ndarray:
        if not hasattr(self, "scaler_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted")
        return self.scaler_.transform(_check_X(X, len(self.scaler_.mean)))

    def filtered_states(self, X: np.ndarray) -> np.ndarray:
        return self.filtered_probabilities(X).argmax(axis=1)


class MixtureRegimes(_Base):
    """Gaussian mixture; a row's state probabilities depend on that row only."""

    def __init__(self, n_states: int = 2, *, seed: int = 0, n_init: int = 5,
                 covariance_type: str = "full", clip: float | None = 3.0) -> None:
        self.n_states, self.seed, self.n_init = n_states, seed, n_init
        self.covariance_type, self.clip = covariance_type, clip

    def fit(self, X: np.ndarray, score: np.ndarray | None = None) -> MixtureRegimes:
        Z = self._prepare_fit(X)
        self.model_ = GaussianMixture(self.n_states, covariance_type=self.covariance_type,
                                      n_init=self.n_init, reg_covar=1e-4,
                                      random_state=self.seed).fit(Z)
        self.order_ = _order(self.model_.predict_proba(Z), score, self.n_states)
        return self

    def filtered_probabilities(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict_proba(self._prepare(X))[:, self.order_]


def forward_filter(log_emission: np.ndarray, startprob: np.ndarray,
                   transmat: np.ndarray) -> np.ndarray:
    """p(s_t | x_0..x_t) for every t: the HMM forward recursion, normalised at each step.
    log_emission (T, K) = log p(x_t | s_t = k)."""
    T, K = log_emission.shape
    b = np.exp(log_emission - log_emission.max(axis=1, keepdims=True))  # per-row rescale
    out = np.empty((T, K))
    alpha = startprob * b[0]
    out[0] = alpha / alpha.sum()
    for t in range(1, T):
        alpha = (out[t - 1] @ transmat) * b[t]
        s = alpha.sum()
        # an emission far outside every state leaves only the prediction step
        out[t] = alpha / s if s > 0 else out[t - 1] @ transmat
    return out


class HMMRegimes(_Base):
    """Gaussian HMM fitted by EM (hmmlearn, best of `n_init` seeds by likelihood), filtered
    by the forward recursion only."""

    def __init__(self, n_states: int = 2, *, seed: int = 0, n_init: int = 5, n_iter: int = 200,
                 covariance_type: str = "full", clip: float | None = 3.0) -> None:
        self.n_states, self.seed, self.n_init, self.n_iter = n_states, seed, n_init, n_iter
        self.covariance_type, self.clip = covariance_type, clip

    def fit(self, X: np.ndarray, score: np.ndarray | None = None) -> HMMRegimes:
        Z = self._prepare_fit(X)
        best, best_ll = None, -np.inf
        for i in range(self.n_init):
            m = GaussianHMM(self.n_states, covariance_type=self.covariance_type,
                            n_iter=self.n_iter, min_covar=1e-4, random_state=self.seed + i)
            m.fit(Z)
            ll = m.score(Z)
            if ll > best_ll:
                best, best_ll = m, ll
        self.model_ = best
        self.order_ = np.arange(self.n_states)
        self.order_ = _order(self._filter(Z), score, self.n_states)
        return self

    def _filter(self, Z: np.ndarray) -> np.ndarray:
        m = self.model_
        logb = np.column_stack([stats.multivariate_normal.logpdf(Z, m.means_[k], m.covars_[k],
                                                                 allow_singular=True)
                                for k in range(self.n_states)]).reshape(len(Z), -1)
        return forward_filter(logb, m.startprob_, m.transmat_)

    def filtered_probabilities(self, X: np.ndarray) -> np.ndarray:
        return self._filter(self._prepare(X))[:, self.order_]


class JumpRegimes(_Base):
    """Statistical jump model (discrete states, `jumpmodels.JumpModel`); the state on row t
    is the online (causal) assignment, its probabilities one-hot."""

    def __init__(self, n_states: int = 2, *, jump_penalty: float = 50.0, seed: int = 0,
                 n_init: int = 10, clip: float | None = 3.0) -> None:
        self.n_states, self.jump_penalty, self.seed = n_states, jump_penalty, seed
        self.n_init, self.clip = n_init, clip

    def fit(self, X: np.ndarray, score: np.ndarray | None = None) -> JumpRegimes:
        Z = self._prepare_fit(X)
        self.model_ = JumpModel(self.n_states, jump_penalty=self.jump_penalty,
                                n_init=self.n_init, random_state=self.seed)
        self.model_.fit(Z, sort_by=None)
        self.order_ = _order(np.eye(self.n_states)[np.asarray(self.model_.labels_)], score,
                             self.n_states)
        return self

    def filtered_states(self, X: np.ndarray) -> np.ndarray:
        Z = self._prepare(X)
        online = np.asarray(self.model_.predict_online(Z))
        return np.argsort(self.order_)[online]

    def filtered_probabilities(self, X: np.ndarray) -> np.ndarray:
        return np.eye(self.n_states)[self.filtered_states(X)]


Score = Callable[[np.ndarray, np.ndarray], float]


@dataclass(frozen=True)
class PenaltyChoice:
    penalty: float
    scores: dict[float, float]      # mean validation score of each candidate
    folds: tuple[tuple[int, int], ...]


def tune_jump_penalty(X: np.ndarray, penalties: tuple[float, ...], score: Score, *,
                      fit_score: np.ndarray | None = None, n_folds: int = 4,
                      min_train: int | None = None, n_states: int = 2, seed: int = 0,
                      n_init: int = 5, clip: float | None = 3.0) -> PenaltyChoice:
    """Choose the jump penalty by expanding-window walk-forward CV inside X (the caller's
    training window): fold k fits on rows [0, a_k), runs the causal assignment over rows
    [0, b_k) and scores `score(states, rows)` on the validation rows [a_k, b_k). The highest
    mean score wins (the smaller penalty on ties)."""
    X = _check_X(X)
    n = len(X)
    min_train = min_train if min_train is not None else n // 2
    if not 0 < min_train < n or n_folds < 1:
        raise ValueError(f"need 0 < min_train < {n} and n_folds >= 1")
    edges = np.linspace(min_train, n, n_folds + 1).astype(int)
    folds = tuple((int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a)
    result = {}
    for lam in sorted(penalties):
        vals = []
        for a, b in folds:
            m = JumpRegimes(n_states, jump_penalty=lam, seed=seed, n_init=n_init, clip=clip)
            m.fit(X[:a], None if fit_score is None else fit_score[:a])
            states = m.filtered_states(X[:b])[a:]
            vals.append(score(states, np.arange(a, b)))
        result[float(lam)] = float(np.mean(vals))
    best = max(result, key=lambda k: (result[k], -k))
    return PenaltyChoice(best, result, folds)
