"""Hierarchical risk parity (Lopez de Prado, 2016).

1. Correlation distance d_ij = sqrt((1 - rho_ij) / 2).
2. Agglomerative clustering of the condensed distance matrix (scipy linkage: single, ward, ...),
   as skfolio and PyPortfolioOpt do (not the "distance of distances" variant of the paper).
3. Quasi-diagonalisation: assets ordered as the leaves of the dendrogram (optionally with
   scipy's optimal leaf ordering, skfolio's default seriation).
4. Recursive bisection of the ordered list into halves; each half's variance is that of its
   inverse-variance portfolio, and weight is split in inverse proportion to the two variances.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.cluster import hierarchy as sch
from scipy.spatial.distance import squareform

Linkage = Literal["single", "complete", "average", "ward"]


def correlation_distance(cov: np.ndarray) -> np.ndarray:
    """(n, n) distance sqrt((1 - rho) / 2), zero diagonal."""
    sd = np.sqrt(np.diag(cov))
    corr = np.clip(cov / np.outer(sd, sd), -1.0, 1.0)
    dist = np.sqrt(np.clip(0.5 * (1.0 - corr), 0.0, 1.0))
    np.fill_diagonal(dist, 0.0)
    return dist


def quasi_diagonal_order(cov: np.ndarray, linkage: Linkage = "single",
                         optimal_ordering: bool = False) -> np.ndarray:
    """Asset indices in dendrogram leaf order (the quasi-diagonalisation)."""
    condensed = squareform(correlation_distance(cov), checks=False)
    link = sch.linkage(condensed, method=linkage)
    if optimal_ordering:
        link = sch.optimal_leaf_ordering(link, condensed)
    return sch.leaves_list(link)


def recursive_bisection(cov: np.ndarray, order: np.ndarray) -> np.ndarray:
    """HRP weights for assets taken in `order`, bisecting the ordered list into halves.

    Vectorised by level: clusters are contiguous runs of the ordered list, so the numerators
    u' Sigma_c u of every cluster's inverse-variance portfolio come from one pair of
    `np.add.reduceat` calls on M = Sigma_oo * u u' per level (log2 n levels, no Python loop
    over clusters). Returns (n,) weights in the original asset order.
    """
    order = np.asarray(order)
    n = len(order)
    u = 1.0 / np.diag(cov)[order]
    M = cov[np.ix_(order, order)] * np.outer(u, u)
    cu = np.concatenate([[0.0], np.cumsum(u)])
    w = np.ones(n)
    starts, ends = np.array([0]), np.array([n])
    while True:
        split = ends - starts >= 2
        if not split.any():
            break
        mids = starts + (ends - starts) // 2
        # children: left and right halves of split clusters, singletons carried as they are
        c_start = np.concatenate([starts[split], mids[split], starts[~split]])
        c_end = np.concatenate([mids[split], ends[split], ends[~split]])
        sort = np.argsort(c_start, kind="stable")
        c_start, c_end = c_start[sort], c_end[sort]
        blocks = np.add.reduceat(np.add.reduceat(M, c_start, axis=0), c_start, axis=1)
        var = np.diag(blocks) / (cu[c_end] - cu[c_start]) ** 2
        pos = {int(a): i for i, a in enumerate(c_start)}
        left = np.array([pos[int(a)] for a in starts[split]])
        right = np.array([pos[int(m)] for m in mids[split]])
        alpha = 1.0 - var[left] / (var[left] + var[right])
        factor = np.ones(len(c_start))
        factor[left] = alpha
        factor[right] = 1.0 - alpha
        w *= np.repeat(factor, c_end - c_start)
        starts, ends = c_start, c_end
    out = np.empty(n)
    out[order] = w
    return out


def hrp_weights(cov: np.ndarray, linkage: Linkage = "single",
                optimal_ordering: bool = False) -> np.ndarray:
    """Long-only HRP weights summing to one. cov: (n, n) with a positive diagonal."""
    cov = np.asarray(cov, dtype=float)
    n = cov.shape[0]
    if cov.shape != (n, n) or n == 0:
        raise ValueError(f"covariance must be square and non-empty, got {cov.shape}")
    if not np.all(np.isfinite(cov)) or not np.all(np.diag(cov) > 0):
        raise ValueError("covariance must be finite with a positive diagonal (zero-variance asset?)")
    if n == 1:
        return np.ones(1)
    w = recursive_bisection(cov, quasi_diagonal_order(cov, linkage, optimal_ordering))
    return w / w.sum()
