"""Covariance and mean estimators shared by the risk-based strategies.

Every estimator takes daily simple returns shaped (n_observations, n_assets), rows in time
order with no NaN, and returns daily (not annualised) moments. Weight rules that only use
relative risk (risk parity, HRP, inverse vol) are unaffected by the annualisation factor.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.linalg.blas import dsyrk
from sklearn.covariance import ledoit_wolf

CovarianceMethod = Literal["sample", "ewma", "ledoit_wolf"]
MeanMethod = Literal["mean", "ewma"]

TRADING_DAYS = 252


def ewma_weights(n_obs: int, halflife: float) -> np.ndarray:
    """Observation weights decaying with `halflife` (in rows), the newest row heaviest, sum 1."""
    if halflife <= 0:
        raise ValueError(f"halflife must be positive, got {halflife}")
    age = np.arange(n_obs - 1, -1, -1, dtype=float)
    w = 0.5 ** (age / halflife)
    return w / w.sum()


def sample_covariance(returns: np.ndarray) -> np.ndarray:
    """Unbiased sample covariance (ddof=1); BLAS syrk computes one triangle, half a matmul."""
    x = np.ascontiguousarray(returns - returns.mean(axis=0))
    upper = dsyrk(1.0 / (len(returns) - 1), x.T, trans=0)  # x.T is Fortran-ordered: no copy
    return np.triu(upper) + np.triu(upper, 1).T


def ewma_covariance(returns: np.ndarray, halflife: float) -> np.ndarray:
    """Exponentially weighted covariance around the weighted mean (RiskMetrics-style, no bias fix)."""
    w = ewma_weights(len(returns), halflife)
    x = returns - w @ returns
    return (x * w[:, None]).T @ x


def ledoit_wolf_covariance(returns: np.ndarray) -> np.ndarray:
    """Ledoit-Wolf shrinkage towards a scaled identity (sklearn)."""
    cov, _ = ledoit_wolf(returns, assume_centered=False)
    return cov


def estimate_covariance(returns: np.ndarray, method: CovarianceMethod = "sample",
                        halflife: float = 63.0) -> np.ndarray:
    """(n_assets, n_assets) daily covariance of `returns` with the named estimator."""
    returns = np.asarray(returns, dtype=float)
    if returns.ndim != 2 or len(returns) < 2:
        raise ValueError(f"need at least 2 observations of (n_obs, n_assets) returns, got {returns.shape}")
    if method == "sample":
        cov = sample_covariance(returns)
    elif method == "ewma":
        cov = ewma_covariance(returns, halflife)
    elif method == "ledoit_wolf":
        cov = ledoit_wolf_covariance(returns)
    else:
        raise ValueError(f"unknown covariance method {method!r}")
    return (cov + cov.T) / 2.0


def estimate_mean(returns: np.ndarray, method: MeanMethod = "mean", halflife: float = 63.0) -> np.ndarray:
    """(n_assets,) daily expected returns: the plain or exponentially weighted mean."""
    returns = np.asarray(returns, dtype=float)
    if method == "mean":
        return returns.mean(axis=0)
    if method == "ewma":
        return ewma_weights(len(returns), halflife) @ returns
    raise ValueError(f"unknown mean method {method!r}")
