"""Scores of probabilistic risk-off forecasts, and the naive baselines they must beat."""

from __future__ import annotations

import numpy as np
from arch.bootstrap import StationaryBootstrap, optimal_block_length
from sklearn.metrics import balanced_accuracy_score, brier_score_loss, log_loss

EPS = 1e-6


def scores(y: np.ndarray, p: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    """Balanced accuracy (class = p >= threshold), log loss and Brier score."""
    y = np.asarray(y, dtype=int)
    p = np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)
    if len(y) == 0:
        return {"n": 0, "balanced_accuracy": float("nan"), "log_loss": float("nan"), "brier": float("nan")}
    return {"n": int(len(y)),
            "balanced_accuracy": float(balanced_accuracy_score(y, (p >= threshold).astype(int))),
            "log_loss": float(log_loss(y, p, labels=[0, 1])),
            "brier": float(brier_score_loss(y, p))}


def always_risk_on(y_train: np.ndarray, n: int) -> np.ndarray:
    """Baseline 1: always risk-on; its probability is the training frequency of risk-off
    months (so log loss and Brier are finite), its class is always risk-on."""
    return np.full(n, min(float(np.mean(y_train)), 0.5 - EPS))


def previous_month(y_train_prev: np.ndarray, y_train: np.ndarray, prev: np.ndarray) -> np.ndarray:
    """Baseline 2: last month's realised regime persists; its probability is the training
    frequency of risk-off after a risk-off (or risk-on) month."""
    y_train_prev, y_train = np.asarray(y_train_prev, int), np.asarray(y_train, int)
    p_after = {}
    for s in (0, 1):
        mask = y_train_prev == s
        p_after[s] = float(y_train[mask].mean()) if mask.any() else float(y_train.mean())
    # the class follows last month's regime, so its probability sits on that side of 0.5
    p1 = max(p_after[1], 0.5)
    p0 = min(p_after[0], 0.5 - EPS)
    return np.where(np.asarray(prev, int) == 1, p1, p0)


def log_loss_difference(y: np.ndarray, p_model: np.ndarray, p_base: np.ndarray, *, reps: int = 1000,
                        seed: int = 0, confidence: float = 0.95) -> dict[str, float]:
    """Mean per-sample log loss of the model minus the baseline's, with a stationary-bootstrap
    percentile interval (a Diebold-Mariano style comparison that keeps serial dependence):
    an interval below 0 says the model's forecasts are better out of sample."""
    y = np.asarray(y, dtype=float)

    def loss(p: np.ndarray) -> np.ndarray:
        p = np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)
        return -(y * np.log(p) + (1 - y) * np.log(1 - p))

    d = loss(p_model) - loss(p_base)
    block = max(1.0, float(optimal_block_length(d)["stationary"].iloc[0])) if np.ptp(d) > 0 else 1.0
    ci = StationaryBootstrap(block, d, seed=seed).conf_int(np.mean, reps=reps, method="percentile",
                                                           size=confidence)
    return {"mean": float(d.mean()), "low": float(ci[0, 0]), "high": float(ci[1, 0]),
            "confidence": confidence, "block_length": block, "n": int(len(d))}
