"""Long-only mean-variance portfolios: minimum variance and maximum Sharpe (tangency).

Both are solved as QPs by `solvers.qp.solve_qp`. The tangency portfolio uses the standard
homogenisation (Cornuejols & Tutuncu, as in PyPortfolioOpt): with y = kappa * w, kappa > 0,

    minimise y' Sigma y  s.t.  (mu - rf)' y = 1,  sum(y) = kappa,
                               lower * kappa <= y <= upper * kappa,
                               group_lo * kappa <= sum_{i in g} y_i <= group_hi * kappa,

and w = y / kappa. It exists only when some feasible portfolio has a positive expected excess
return (`max_excess_return` > 0); callers check that first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog

from pipelines.allocation.solvers.qp import QPError, solve_qp


class NoTangencyError(ValueError):
    """No feasible portfolio has a positive expected excess return: no tangency portfolio."""


@dataclass(frozen=True)
class Constraints:
    """Long-only box bounds per asset and (mask, lo, hi) bounds on sums over groups of assets."""

    lower: np.ndarray
    upper: np.ndarray
    groups: list[tuple[np.ndarray, float, float]] = field(default_factory=list)

    @classmethod
    def box(cls, n: int, lower: float = 0.0, upper: float = 1.0,
            groups: list[tuple[np.ndarray, float, float]] | None = None) -> Constraints:
        return cls(np.full(n, float(lower)), np.full(n, float(upper)), list(groups or []))

    def check_feasible(self) -> None:
        """Raise ValueError when no fully invested portfolio satisfies the bounds."""
        lo, hi = self.lower, self.upper
        if np.any(lo < 0) or np.any(lo > hi):
            raise ValueError("bounds must satisfy 0 <= lower <= upper")
        if lo.sum() > 1 + 1e-12 or hi.sum() < 1 - 1e-12:
            raise ValueError(f"weight bounds cannot sum to one: lower bounds sum to {lo.sum():.4f}, "
                             f"upper bounds to {hi.sum():.4f}")
        if self.groups:
            A_eq = np.ones((1, len(lo)))
            rows, rhs = self._group_rows(kappa=False)
            res = linprog(np.zeros(len(lo)), A_ub=rows, b_ub=rhs, A_eq=A_eq, b_eq=[1.0],
                          bounds=list(zip(lo, hi, strict=True)), method="highs")
            if res.status != 0:
                raise ValueError("group bounds cannot be met by a fully invested portfolio")

    def _group_rows(self, kappa: bool) -> tuple[np.ndarray, np.ndarray]:
        """Rows G, h of sum_g w <= hi and -sum_g w <= -lo (homogenised: rhs moved into kappa)."""
        n = len(self.lower)
        rows, rhs = [], []
        for mask, lo, hi in self.groups:
            m = mask.astype(float)
            if kappa:
                rows += [np.append(m, -hi), np.append(-m, lo)]
                rhs += [0.0, 0.0]
            else:
                rows += [m, -m]
                rhs += [hi, -lo]
        width = n + 1 if kappa else n
        return np.array(rows).reshape(-1, width), np.array(rhs, dtype=float)


def max_excess_return(excess: np.ndarray, cons: Constraints) -> float:
    """Largest expected excess return of a fully invested portfolio within the constraints."""
    lo, hi = cons.lower, cons.upper
    if not cons.groups:  # greedy: fill the best assets up to their caps
        w = lo.copy()
        room = 1.0 - lo.sum()
        for i in np.argsort(-excess, kind="stable"):
            add = min(hi[i] - lo[i], room)
            w[i] += add
            room -= add
            if room <= 0:
                break
        return float(excess @ w)
    rows, rhs = cons._group_rows(kappa=False)
    res = linprog(-excess, A_ub=rows, b_ub=rhs, A_eq=np.ones((1, len(lo))), b_eq=[1.0],
                  bounds=list(zip(lo, hi, strict=True)), method="highs")
    if res.status != 0:
        raise ValueError("constraints are infeasible")
    return float(-res.fun)


def _polish(w: np.ndarray, cons: Constraints) -> np.ndarray:
    w = np.clip(w, cons.lower, cons.upper)
    return w / w.sum()


def min_variance_weights(cov: np.ndarray, cons: Constraints) -> np.ndarray:
    """Fully invested long-only minimum-variance weights. cov: (n, n) PSD."""
    n = cov.shape[0]
    scale = float(np.mean(np.diag(cov)))
    Q = cov / scale
    cap = cons.upper < 1.0
    gr, gh = cons._group_rows(kappa=False)
    G = np.vstack([-np.eye(n), np.eye(n)[cap], gr])
    h = np.concatenate([-cons.lower, cons.upper[cap], gh])
    res = solve_qp(Q, np.zeros(n), np.ones((1, n)), np.ones(1), G, h)
    return _polish(res.x, cons)


def max_sharpe_weights(mu: np.ndarray, cov: np.ndarray, risk_free: float,
                       cons: Constraints) -> np.ndarray:
    """Fully invested long-only weights maximising (mu'w - rf) / sqrt(w' cov w).

    mu, risk_free and cov in the same units (e.g. daily). Raises ValueError when no feasible
    portfolio has a positive expected excess return (the tangency portfolio does not exist).
    """
    n = cov.shape[0]
    excess = np.asarray(mu, dtype=float) - risk_free
    top = max_excess_return(excess, cons)
    if not top > 0:
        raise NoTangencyError(f"no feasible portfolio has a positive expected excess return (best {top:.3g})")
    ex = excess / np.abs(excess).max()
    Q = np.zeros((n + 1, n + 1))
    Q[:n, :n] = cov / float(np.mean(np.diag(cov)))
    A = np.zeros((2, n + 1))
    A[0, :n] = ex
    A[1, :n] = 1.0
    A[1, n] = -1.0
    eye = np.eye(n)
    low = np.hstack([-eye, cons.lower[:, None]])
    cap = cons.upper < 1.0
    high = np.hstack([eye, -cons.upper[:, None]])[cap]
    gr, _ = cons._group_rows(kappa=True)
    kap = np.zeros((1, n + 1))
    kap[0, n] = -1.0
    G = np.vstack([low, high, gr, kap])
    try:
        res = solve_qp(Q, np.zeros(n + 1), A, np.array([1.0, 0.0]), G, np.zeros(len(G)))
    except QPError as exc:
        raise ValueError(f"max Sharpe QP failed: {exc}") from exc
    y, kappa = res.x[:n], res.x[n]
    if not kappa > 0:
        raise ValueError("max Sharpe QP returned a non-positive scale")
    return _polish(y / kappa, cons)


def sharpe_ratio(w: np.ndarray, mu: np.ndarray, cov: np.ndarray, risk_free: float) -> float:
    return float((w @ mu - risk_free) / np.sqrt(w @ cov @ w))
