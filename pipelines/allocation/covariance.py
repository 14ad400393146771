"""Covariance and mean estimators shared by the risk-based strategies.

Every estimator takes daily simple returns shaped (n_observations, n_assets), rows in time
order with no NaN, and returns daily (not annualised) moments. Weight rules that only use
relative risk (risk parity, HRP, inverse vol) are unaffected by the annualisation factor.

`factor` is the multi-factor model's covariance B F B' + D (models.factor_model: 60 monthly
returns on the ten factors, at least 36, every value known at the close of D) from the
point-in-time model view the caller passes (`ctx.models`); it needs the window's symbols,
ignores the daily window itself, and is scaled from monthly to daily by 12/252. An asset enters the model
only with a return in every month of its window, so when any eligible symbol is not covered
(too short a history, or no model yet before 36 months of factor data) the whole matrix falls
back to Ledoit-Wolf on the daily window: one estimator per matrix keeps it PSD.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
from scipy.linalg.blas import dsyrk
from sklearn.covariance import ledoit_wolf

from models.factors import FACTORS

if TYPE_CHECKING:
    from pipelines.allocation.base import ModelView

CovarianceMethod = Literal["sample", "ewma", "ledoit_wolf", "factor"]
MeanMethod = Literal["mean", "ewma"]

TRADING_DAYS = 252
FACTOR_WINDOW_MONTHS, FACTOR_MIN_MONTHS = 60, 36

log = logging.getLogger(__name__)


def ewma_weights(n_obs: int, halflife: float) -> np.ndarray:
    """Observation weights decaying with `halflife` (in rows), the newest row heaviest, sum 1."""
    if halflife <= 0:
        raise ValueError(f"halflife must be positive, got {halflife}")
    age = np.arange(n_obs - 1, -1, -1, dtype=float)
    w = 0.5 ** (age / halflife)
    return w / w.sum()


# one pass while n mean^2 is under this share of sum x^2 per column (the variance keeps > 1e-2 of
# it, so at most 2 of 16 digits go); above it the centred two-pass formula
_ONE_PASS_MAX_MEAN_SHARE = 0.99


def sample_covariance(returns: np.ndarray) -> np.ndarray:
    """Unbiased sample covariance (ddof=1) in one read of the returns: BLAS syrk forms one
    triangle of X'X on the array as laid out (no centred copy, no transpose), then the mean's
    outer product comes off. That difference loses about log10(1 + mean^2/variance) digits,
    nothing for returns; a column whose mean dwarfs its spread (prices, not returns) goes
    through the two-pass formula instead. The column sums come from BLAS too (gemv: a tenth of
    numpy's row-by-row reduction over a narrow array, and blocked, so no less accurate)."""
    n_obs = len(returns)
    mean = (np.ones(n_obs) @ returns) / n_obs
    if returns.flags.f_contiguous:
        cross = dsyrk(1.0, returns, trans=1)
    else:
        cross = dsyrk(1.0, np.ascontiguousarray(returns).T, trans=0)
    cross = np.triu(cross) + np.triu(cross, 1).T
    centred = cross - n_obs * np.outer(mean, mean)
    if np.any(n_obs * mean * mean > _ONE_PASS_MAX_MEAN_SHARE * np.diag(cross)):
        return _two_pass_covariance(returns)
    return centred / (n_obs - 1)


def _two_pass_covariance(returns: np.ndarray) -> np.ndarray:
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


def factor_covariance(returns: np.ndarray, symbols: Sequence[str], models: ModelView) -> np.ndarray:
    """Daily factor-model covariance of `symbols` from the model view (see module doc);
    Ledoit-Wolf on `returns` when the model does not cover every symbol."""
    symbols = list(symbols)
    fit = models.factor_fit(symbols, FACTORS, FACTOR_WINDOW_MONTHS, FACTOR_MIN_MONTHS).value
    if fit is None or len(fit.assets) != len(symbols):
        missing = symbols if fit is None else sorted(set(symbols) - set(fit.assets))
        log.debug("factor covariance: %s not covered, Ledoit-Wolf instead", missing)
        return ledoit_wolf_covariance(returns)
    return fit.covariance(symbols).to_numpy() * (12.0 / TRADING_DAYS)


def estimate_covariance(returns: np.ndarray, method: CovarianceMethod = "sample",
                        halflife: float = 63.0, *, symbols: Sequence[str] | None = None,
                        models: ModelView | None = None) -> np.ndarray:
    """(n_assets, n_assets) daily covariance of `returns` with the named estimator.

    `symbols` (the columns of `returns`) and the model view `models` are needed by `factor` only."""
    returns = np.asarray(returns, dtype=float)
    if returns.ndim != 2 or len(returns) < 2:
        raise ValueError(f"need at least 2 observations of (n_obs, n_assets) returns, got {returns.shape}")
    if method == "factor":
        if symbols is None or models is None:
            raise ValueError("the factor covariance needs the symbols and the model view")
        if len(symbols) != returns.shape[1]:
            raise ValueError(f"{len(symbols)} symbols for {returns.shape[1]} return columns")
        cov = factor_covariance(returns, symbols, models)
    elif method == "sample":
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
