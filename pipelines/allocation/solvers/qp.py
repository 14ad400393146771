"""A small dense convex QP solver (Mehrotra predictor-corrector interior point).

    minimise 1/2 x'Qx + c'x   subject to  A x = b,  G x <= h

For the portfolio problems here (n <= a few hundred variables, a few equality rows, bounds and
group rows) one factorisation of the (n + p) KKT matrix per iteration and 10-25 iterations are
enough; it is much faster than going through a convex modelling layer, and converges to
~1e-10 residuals. Q must be positive semi-definite; the inequality rows make the reduced
Hessian Q + G'DG definite in practice.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.linalg import LinAlgWarning
from scipy.linalg.lapack import dgetrf as _getrf
from scipy.linalg.lapack import dgetrs as _getrs


class QPError(ValueError):
    """The QP is infeasible, unbounded or did not converge."""


@dataclass(frozen=True)
class QPResult:
    x: np.ndarray
    iterations: int


def _step_to_boundary(v: np.ndarray, dv: np.ndarray) -> float:
    """Largest step keeping v + a dv >= 0: min(-v / dv) over dv < 0 (inf when none)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(dv < 0, -v / dv, np.inf)
    return float(ratio.min(initial=np.inf))


def _lu_factor(K: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """scipy.linalg.lu_factor without its wrapper overhead: the same LAPACK getrf call."""
    lu, piv, info = _getrf(K, overwrite_a=False)
    if info < 0:
        raise ValueError(f"illegal value in argument {-info} of getrf")
    if info > 0:
        warnings.warn(f"Diagonal number {info} is exactly zero. Singular matrix.", LinAlgWarning, stacklevel=2)
    return lu, piv


def _lu_solve(lu_piv: tuple[np.ndarray, np.ndarray], b: np.ndarray) -> np.ndarray:
    """scipy.linalg.lu_solve without its wrapper overhead: the same LAPACK getrs call."""
    x, info = _getrs(*lu_piv, b, trans=0, overwrite_b=False)
    if info != 0:
        raise ValueError(f"illegal value in argument {-info} of getrs")
    return x


def solve_qp(Q: np.ndarray, c: np.ndarray, A: np.ndarray, b: np.ndarray, G: np.ndarray,
             h: np.ndarray, *, tol: float = 1e-9, gap_tol: float = 1e-13,
             max_iter: int = 80) -> QPResult:
    """Solve the QP above; shapes Q (n, n), c (n,), A (p, n), b (p,), G (m, n), h (m,).

    Stops when the KKT residuals are below `tol` and the mean complementarity s'z/m below
    `gap_tol` (both relative to the data's scale). Pushing further only amplifies rounding in
    the ill-conditioned late KKT systems, so the best iterate is kept as a guard.
    """
    n, p, m = len(c), len(b), len(h)
    Q = np.asarray(Q, dtype=float)
    # Start: x from the equality-constrained least-squares problem, slacks pushed positive.
    K = np.zeros((n + p, n + p))
    K[n:, :n] = A
    K[:n, n:] = A.T
    K[:n, :n] = Q + G.T @ G
    sol = np.linalg.lstsq(K, np.concatenate([-c + G.T @ h, b]), rcond=None)[0]
    x = sol[:n]
    y = np.zeros(p)
    s = h - G @ x
    s = np.maximum(s, 1.0) if np.any(s <= 0) else np.maximum(s, 1e-2)
    z = np.ones(m)
    scale = 1.0 + max(np.abs(c).max(initial=0.0), np.abs(Q).max(initial=0.0), np.abs(h).max(initial=0.0),
                      np.abs(b).max(initial=0.0))
    best = (np.inf, x, 0)
    for it in range(1, max_iter + 1):
        Qx = Q @ x
        rd = Qx + c + A.T @ y + G.T @ z
        rp = A @ x - b
        rg = G @ x + s - h
        mu = float(s @ z) / m
        res = max(np.abs(rd).max(initial=0.0), np.abs(rp).max(initial=0.0), np.abs(rg).max(initial=0.0))
        if res < tol * scale and mu < gap_tol * scale:
            return QPResult(x, it)
        merit = max(res / tol, mu / gap_tol)
        if merit < best[0]:
            best = (merit, x, it)
        d = z / s
        K[:n, :n] = Q + (G.T * d) @ G
        try:
            lu = _lu_factor(K)
        except (np.linalg.LinAlgError, ValueError) as exc:
            raise QPError(f"KKT system singular at iteration {it}") from exc

        def solve(rsz: np.ndarray, rd=rd, rg=rg, rp=rp, d=d, s=s, z=z, lu=lu
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
            rhs = np.concatenate([-rd - G.T @ (d * rg - rsz / s), -rp])
            sol = _lu_solve(lu, rhs)
            dx, dy = sol[:n], sol[n:]
            dz = d * (G @ dx + rg) - rsz / s
            ds = -(rsz + s * dz) / z
            return dx, dy, dz, ds

        dx, dy, dz, ds = solve(s * z)
        a_aff = min(1.0, _step_to_boundary(s, ds), _step_to_boundary(z, dz))
        mu_aff = float((s + a_aff * ds) @ (z + a_aff * dz)) / m
        sigma = (mu_aff / mu) ** 3
        dx, dy, dz, ds = solve(s * z + ds * dz - sigma * mu)
        alpha = min(1.0, 0.99 * min(_step_to_boundary(s, ds), _step_to_boundary(z, dz)))
        x, y, z, s = x + alpha * dx, y + alpha * dy, z + alpha * dz, s + alpha * ds
        if not np.all(np.isfinite(x)):
            break
    if best[0] < 1e3:  # within 1000x of both tolerances: accurate enough to use
        return QPResult(best[1], best[2])
    raise QPError(f"interior point did not converge in {max_iter} iterations (infeasible constraints?)")
