"""Time-series factor model: rolling OLS of asset excess returns on factor returns.

Window and frequency: monthly returns, the last `window` (default 60) complete months whose
factor values are all known at the close of D, at least `min_months` (default 36). An asset
enters the fit when it has a return in every month of that window. The model is re-estimated
whenever it is asked for a date (cheap: one least-squares solve for all assets at once).

For each asset i: r_i,t = alpha_i + sum_k beta_ik f_k,t + e_i,t, giving exposures (betas),
alpha, residual variance and R^2. The factor-model covariance is B F B' + D with F the sample
covariance of the factors over the window and D the diagonal of residual variances: positive
semi-definite by construction, and well conditioned even when assets outnumber months.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.factors import FACTORS, FactorPanel

MONTHS_PER_YEAR = 12


@dataclass(frozen=True)
class FactorFit:
    """Exposures (n_assets, n_factors), alpha, residual variance and R^2 per asset (monthly),
    the factor covariance F (n_factors, n_factors) and the months the fit used."""

    exposures: pd.DataFrame
    alpha: pd.Series
    residual_variance: pd.Series
    r_squared: pd.Series
    factor_covariance: pd.DataFrame
    first_month: pd.Period
    last_month: pd.Period

    @property
    def assets(self) -> list[str]:
        return list(self.exposures.index)

    @property
    def factors(self) -> list[str]:
        return list(self.exposures.columns)

    def covariance(self, assets: Sequence[str] | None = None) -> pd.DataFrame:
        """Monthly factor-model covariance B F B' + D of `assets` (default all fitted)."""
        assets = self.assets if assets is None else list(assets)
        B = self.exposures.loc[assets].to_numpy()
        F = self.factor_covariance.to_numpy()
        cov = B @ F @ B.T + np.diag(self.residual_variance.loc[assets].to_numpy())
        return pd.DataFrame((cov + cov.T) / 2.0, index=assets, columns=assets)


def ols_fit(y: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Multi-output OLS with intercept. y (T, n), X (T, k) -> alpha (n,), beta (n, k),
    residual variance (n,) with T - k - 1 degrees of freedom, R^2 (n,)."""
    T, k = X.shape
    Z = np.column_stack([np.ones(T), X])
    coef, *_ = np.linalg.lstsq(Z, y, rcond=None)
    resid = y - Z @ coef
    dof = max(T - k - 1, 1)
    rss = (resid ** 2).sum(axis=0)
    tss = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = np.where(tss > 0, 1.0 - rss / tss, 0.0)
    return coef[0], coef[1:].T, rss / dof, r2


def fit_factor_model(panel: FactorPanel, date: pd.Timestamp, assets: Sequence[str],
                     factors: Sequence[str] = FACTORS, window: int = 60,
                     min_months: int = 36) -> FactorFit | None:
    """The model as estimated at the close of `date` (None when fewer than `min_months`)."""
    unknown = [f for f in factors if f not in panel.returns.columns]
    if unknown:
        raise ValueError(f"unknown factors {unknown}; known: {list(panel.returns.columns)}")
    f, r = panel.as_of(date)
    f = f[list(factors)].dropna()
    f = f.iloc[-window:]
    if len(f) < min_months:
        return None
    r = r.reindex(index=f.index, columns=list(assets))
    ok = r.notna().all(axis=0).to_numpy()
    if not ok.any():
        return None
    kept = [a for a, k in zip(assets, ok, strict=True) if k]
    y = r[kept].to_numpy(dtype=float)
    X = f.to_numpy(dtype=float)
    alpha, beta, resid, r2 = ols_fit(y, X)
    fc = np.cov(X, rowvar=False, ddof=1).reshape(len(factors), len(factors))
    cols = list(factors)
    return FactorFit(pd.DataFrame(beta, index=kept, columns=cols), pd.Series(alpha, index=kept),
                     pd.Series(resid, index=kept), pd.Series(r2, index=kept),
                     pd.DataFrame(fc, index=cols, columns=cols), f.index[0], f.index[-1])


def risk_decomposition(fit: FactorFit, weights: pd.Series) -> pd.Series:
    """Share of the portfolio's (monthly) variance from each factor and from residuals (sums to 1).

    Euler decomposition: factor k contributes x_k (F x)_k / var with x = B'w; the residual
    share is w' D w / var."""
    w = weights.reindex(fit.assets).fillna(0.0).to_numpy()
    B, F = fit.exposures.to_numpy(), fit.factor_covariance.to_numpy()
    x = B.T @ w
    fac = x * (F @ x)
    spec = float(w @ (fit.residual_variance.to_numpy() * w))
    total = float(fac.sum() + spec)
    if total <= 0:
        return pd.Series(0.0, index=[*fit.factors, "residual"])
    return pd.Series([*(fac / total), spec / total], index=[*fit.factors, "residual"])


def portfolio_exposures(fit: FactorFit, weights: pd.Series) -> pd.Series:
    """Factor exposures x = B'w of a portfolio (weights on assets outside the fit count zero)."""
    w = weights.reindex(fit.assets).fillna(0.0)
    return fit.exposures.T @ w
