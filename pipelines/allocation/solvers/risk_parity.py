"""Risk budgeting (equal risk contribution when budgets are equal), long-only.

Solved on the convex formulation of Spinu (2013) / Griveau-Billion et al. (2013):

    minimise  f(x) = 1/2 x' R x - b' log(x),  x > 0

whose unique minimiser satisfies x_i (R x)_i = b_i, i.e. each asset's risk contribution equals
its budget; the weights are x / sum(x). We work on the correlation matrix R (x in units of
volatility) for conditioning, and take Newton steps with a Cholesky solve of the Hessian
R + diag(b / x^2) and an Armijo backtracking line search that keeps x positive. Convergence is
quadratic: typically 5-10 iterations to machine precision. A singular covariance is fine (the
log barrier makes the Hessian positive definite) as long as no long-only mix has zero variance;
such a mix, or a zero-variance asset, makes the problem unbounded and raises ValueError.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg.lapack import dpotrf, dpotrs


def _cholesky(H: np.ndarray) -> np.ndarray | None:
    """Upper Cholesky factor via LAPACK directly (the scipy wrappers cost more than the work
    at small n); None when H is not numerically positive definite."""
    c, info = dpotrf(H, lower=0, clean=0, overwrite_a=1)
    return c if info == 0 else None


def _solve(c: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    return dpotrs(c, rhs, lower=0)[0]


def risk_contributions(weights: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Each asset's share of portfolio variance, w_i (Sigma w)_i / w' Sigma w (sums to one)."""
    m = cov @ weights
    return weights * m / (weights @ m)


def _checked_inputs(cov: np.ndarray, budgets: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(covariance, budgets normalised to one), or a ValueError saying what is wrong."""
    cov = np.asarray(cov, dtype=float)
    n = cov.shape[0]
    if cov.shape != (n, n) or n == 0:
        raise ValueError(f"covariance must be square and non-empty, got {cov.shape}")
    b = np.full(n, 1.0 / n) if budgets is None else np.asarray(budgets, dtype=float)
    if b.shape != (n,) or not (b > 0).all() or not np.isfinite(b).all():
        raise ValueError("risk budgets must be positive and finite, one per asset")
    if not np.isfinite(cov).all() or not (np.diag(cov) > 0).all():
        raise ValueError("covariance must be finite with a positive diagonal (zero-variance asset?)")
    return cov, b / b.sum()


def _objective(x: np.ndarray, R: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, float]:
    """(R x, f(x)) of the convex formulation f(x) = x'Rx / 2 - b'log(x)."""
    Rx = R @ x
    return Rx, 0.5 * x @ Rx - b @ np.log(x)


def _chord_finish(x: np.ndarray, dx: np.ndarray, R: np.ndarray, b: np.ndarray, factor, tol: float) -> np.ndarray:
    """Close to the optimum: the Newton step, then chord steps that reuse its factorisation
    (O(n^2) each instead of a new O(n^3) Cholesky); they contract fast here."""
    x = x + dx
    for _ in range(20):
        Rx = R @ x
        if (np.abs(x * Rx - b) / b).max() < tol:
            break
        step = -_solve(factor, Rx - b / x)
        if not (x + step > 0).all():
            break
        x = x + step
    return x


def _backtrack(x, dx, t, f, slope, R, b):
    """Armijo backtracking from step t; (x, R x, f, stalled)."""
    while True:
        xn = x + t * dx
        Rxn, fn = _objective(xn, R, b)
        if fn <= f + 1e-4 * t * slope or t < 1e-12:
            break
        t *= 0.5
    return xn, Rxn, fn, fn >= f and t < 1e-12


def risk_budget_weights(cov: np.ndarray, budgets: np.ndarray | None = None, *, tol: float = 1e-12,
                        max_iter: int = 100) -> np.ndarray:
    """Long-only weights whose risk contributions equal `budgets` (default: equal).

    cov: (n, n) positive semi-definite covariance with a positive diagonal.
    budgets: (n,) positive risk budgets, normalised to sum to one.
    Returns (n,) weights summing to one.
    """
    cov, b = _checked_inputs(cov, budgets)
    n = cov.shape[0]
    if n == 1:
        return np.ones(1)
    sd = np.sqrt(np.diag(cov))
    R = cov / (sd[:, None] * sd)
    x = b * np.sqrt(1.0 / (b @ R @ b))  # scaled so that x' R x = sum(b) = 1, as at the optimum
    Rx, f = _objective(x, R, b)
    for _ in range(max_iter):
        g = Rx - b / x
        if (np.abs(x * Rx - b) / b).max() < tol:
            break
        H = R.copy()
        H.flat[:: n + 1] += b / (x * x)
        factor = _cholesky(H)
        if factor is None:
            break  # Hessian numerically singular: x ran off along a zero-variance direction
        dx = -_solve(factor, g)
        if -(g @ dx) < 1e-4 and (x + dx > 0).all():
            x = _chord_finish(x, dx, R, b, factor, tol)
            Rx, f = _objective(x, R, b)
            continue
        neg = dx < 0
        t = min(1.0, 0.95 * float(np.min(-x[neg] / dx[neg]))) if neg.any() else 1.0
        slope = g @ dx
        if -slope < 1e-28:  # Newton decrement at rounding level: nothing left to gain
            break
        if -slope < 1e-10:  # inside the quadratic region: the full step is right, f is flat
            x = x + t * dx
            Rx, f = _objective(x, R, b)
            continue
        xn, Rxn, fn, stalled = _backtrack(x, dx, t, f, slope, R, b)
        if stalled:
            break  # no further decrease possible at double precision
        x, Rx, f = xn, Rxn, fn
    err = float((np.abs(x * (R @ x) - b) / b).max())
    if not err < 1e-9:
        raise ValueError(f"risk parity Newton did not converge (relative error {err:.1e}); "
                         "a long-only mix with zero variance makes risk budgeting unbounded")
    w = x / sd
    return w / w.sum()
