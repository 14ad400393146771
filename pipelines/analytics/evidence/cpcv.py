"""Backtest paths from combinatorial purged cross-validation (AFML ch. 12): every CPCV split
trains on its purged training set and predicts its test groups; path p stitches, group by
group, the predictions of the p-th split that tests that group, so each path is a full
out-of-sample backtest and there are C(N-1, k-1) of them instead of walk-forward's one.

The strategy is the caller's callable (pure here): `fit_predict(train, test)` returns the
strategy's per-period returns on the `test` indices, trained only on `train`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from models.cv import CombinatorialPurgedKFold

FitPredict = Callable[[np.ndarray, np.ndarray], np.ndarray]


def cpcv_backtest_paths(cv: CombinatorialPurgedKFold, fit_predict: FitPredict) -> np.ndarray:
    """(n_samples, n_paths) out-of-sample returns, one column per CPCV backtest path."""
    n = len(cv.t1)
    by_split: list[dict[int, np.ndarray]] = []
    for train, test in cv.split():
        r = np.asarray(fit_predict(train, test), dtype=float)
        if r.shape != test.shape:
            raise ValueError(f"fit_predict returned {r.shape} for {test.shape} test samples")
        # test is the concatenation of the split's groups, in order
        combo = cv.combinations[len(by_split)]
        cuts = np.cumsum([len(cv.groups[g]) for g in combo])[:-1]
        by_split.append(dict(zip(combo, np.split(r, cuts), strict=True)))
    paths = cv.paths()
    out = np.empty((n, len(paths)))
    for p, splits in enumerate(paths):
        for g, s in enumerate(splits):
            out[cv.groups[g], p] = by_split[s][g]
    return out
