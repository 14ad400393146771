"""Purged and embargoed k-fold cross-validation for labels that span time (Lopez de Prado,
*Advances in Financial Machine Learning*, ch. 7).

Sample i is observed at t0[i] and its label is realised over (t0[i], t1[i]]. Test folds are
contiguous blocks. A training sample is kept only if its whole span [t0, t1] ends before the
test block starts, or it starts after the block's last label end plus an embargo of
`embargo` x n_samples positions: no training label overlaps the test window, and the samples
right after it (whose features overlap the test labels) are dropped too.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd


class PurgedKFold:
    """sklearn-style splitter; `t1` maps each sample's observation time (index, ascending) to
    the time its label is known."""

    def __init__(self, n_splits: int, t1: pd.Series, embargo: float = 0.01) -> None:
        if n_splits < 2:
            raise ValueError(f"n_splits must be at least 2, got {n_splits}")
        if not 0 <= embargo < 1:
            raise ValueError(f"embargo must lie in [0, 1), got {embargo}")
        if not t1.index.is_monotonic_increasing:
            raise ValueError("t1 must be indexed by ascending observation times")
        if (t1.to_numpy() < t1.index.to_numpy()).any():
            raise ValueError("a label ends before it is observed")
        self.n_splits = n_splits
        self.t1 = t1
        self.embargo = embargo

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        return self.n_splits

    def split(self, X=None, y=None, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        n = len(self.t1)
        if X is not None and len(X) != n:
            raise ValueError(f"X has {len(X)} rows but t1 has {n}")
        t0 = self.t1.index.to_numpy()
        t1 = self.t1.to_numpy()
        h = int(np.ceil(self.embargo * n))
        for block in np.array_split(np.arange(n), self.n_splits):
            start = block[0]
            test_start, test_end = t0[start], t1[block].max()
            after = np.flatnonzero(t0 > test_end)
            first_after = after[0] + h if len(after) else n
            before = np.flatnonzero(t1 < test_start)
            train = np.concatenate([before, np.arange(first_after, n)])
            yield train, block
