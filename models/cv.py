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
from itertools import combinations

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
            yield purged_train(t0, t1, block, h), block


def purged_train(t0: np.ndarray, t1: np.ndarray, test: np.ndarray, h: int) -> np.ndarray:
    """Indices outside `test` whose span [t0, t1] overlaps no test group's span, and that are
    not among the h samples right after a test group (the embargo). `test` may hold several
    contiguous groups; each is purged and embargoed on its own."""
    n = len(t0)
    keep = np.ones(n, dtype=bool)
    keep[test] = False
    breaks = np.flatnonzero(np.diff(test) != 1) + 1
    for group in np.split(np.sort(test), breaks):
        lo, hi = t0[group[0]], t1[group].max()
        keep &= ~((t1 >= lo) & (t0 <= hi))           # span overlaps the group's labels
        after = np.flatnonzero(t0 > hi)
        if len(after) and h:
            keep[after[0]: after[0] + h] = False
    return np.flatnonzero(keep)


class CombinatorialPurgedKFold:
    """Combinatorial purged CV (AFML ch. 12): the samples are cut into `n_groups` contiguous
    groups and every choice of `n_test_groups` of them is a test set, trained on the rest after
    purging and embargo. The C(n_groups, n_test_groups) splits assemble into
    C(n_groups - 1, n_test_groups - 1) backtest paths (`paths`), each covering every sample once.
    """

    def __init__(self, n_groups: int, n_test_groups: int, t1: pd.Series,
                 embargo: float = 0.01) -> None:
        if not 1 <= n_test_groups < n_groups:
            raise ValueError(f"need 1 <= n_test_groups < n_groups, got {n_test_groups}, "
                             f"{n_groups}")
        if not 0 <= embargo < 1:
            raise ValueError(f"embargo must lie in [0, 1), got {embargo}")
        if not t1.index.is_monotonic_increasing:
            raise ValueError("t1 must be indexed by ascending observation times")
        if (t1.to_numpy() < t1.index.to_numpy()).any():
            raise ValueError("a label ends before it is observed")
        if len(t1) < n_groups:
            raise ValueError(f"{len(t1)} samples cannot make {n_groups} groups")
        self.n_groups = n_groups
        self.n_test_groups = n_test_groups
        self.t1 = t1
        self.embargo = embargo
        self.groups = np.array_split(np.arange(len(t1)), n_groups)
        self.combinations = list(combinations(range(n_groups), n_test_groups))

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        return len(self.combinations)

    def split(self, X=None, y=None, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        n = len(self.t1)
        if X is not None and len(X) != n:
            raise ValueError(f"X has {len(X)} rows but t1 has {n}")
        t0 = self.t1.index.to_numpy()
        t1 = self.t1.to_numpy()
        h = int(np.ceil(self.embargo * n))
        for combo in self.combinations:
            test = np.concatenate([self.groups[g] for g in combo])
            yield purged_train(t0, t1, test, h), test

    def paths(self) -> np.ndarray:
        """(n_paths, n_groups) index of the split whose prediction fills group g on path p:
        path p takes, for every group, the p-th split (in order) that tests that group."""
        by_group = [[s for s, c in enumerate(self.combinations) if g in c]
                    for g in range(self.n_groups)]
        return np.array(by_group).T
