"""A small dense convex QP solver (Mehrotra predictor-corrector interior point).

    minimise 1/2 x'Qx + c'x   subject to  A x = b,  G x <= h

For the portfolio problems here (n <= a few hundred variables, a few equality rows, bounds and
group rows) one factorisation of the (n + p) KKT matrix per iteration and 10-25 iterations are
enough; it is much faster than going through a convex modelling layer, and converges to
~1e-10 residuals. Q must be positive semi-definite; the inequality rows make the reduced
Hessian Q + G'DG definite in practice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import lu_factor, lu_solve


class QPError(ValueError):
    """The QP is infeasible, unbounded or did not converge."""


@dataclass(frozen=True)
class QPResult:
    x: np.ndarray
    iterations: int


def _step_to_boundary(v: np.ndarray, dv: np.ndarray) -> float:
    neg = dv < 0
    return float(np.min(-v[neg] / dv[neg])) if neg.any() else np.inf


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
            lu = lu_factor(K, check_finite=False)
        except (np.linalg.LinAlgError, ValueError) as exc:
            raise QPError(f"KKT system singular at iteration {it}") from exc

        def solve(rsz: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
            rhs = np.concatenate([-rd - G.T @ (d * rg - rsz / s), -rp])
            sol = lu_solve(lu, rhs, check_finite=False)
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
