"""Causal regime models: truncating the data after D changes nothing on or before D (and the
same check fails on hmmlearn's smoothed probabilities and on the jump model's backtracked
path), the forward filter agrees with hmmlearn's own forward-backward at the last row,
planted regimes are recovered, fits are reproducible."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from models.causal_regimes import HMMRegimes, JumpRegimes, MixtureRegimes, forward_filter, tune_jump_penalty

TRAIN = 800
TOL = 1e-12  # what the causal test allows



@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Small fits: one BLAS/OpenMP thread is many times faster on a shared 2-core machine."""
    with threadpool_limits(1):
        yield

@pytest.fixture(scope="module")
def planted():
    """Persistent two-state Markov chain (stay 0.98 / 0.96) driving three Gaussian features;
    state 1 is the one with the higher mean of feature 1."""
    rng = np.random.default_rng(0)
    T = 1200
    P = np.array([[0.98, 0.02], [0.04, 0.96]])
    s = np.zeros(T, dtype=int)
    for t in range(1, T):
        s[t] = rng.choice(2, p=P[s[t - 1]])
    means = np.array([[0.5, -0.5, 0.3], [-0.8, 1.0, -0.4]])
    X = means[s] + rng.normal(0, 0.6, (T, 3))
    return X, s


@pytest.fixture(scope="module")
def cuts(planted):
    """Cut points D: two fixed rows, and the rows at and two after every planted switch past
    the training window (where later data says most about earlier states)."""
    _, s = planted
    switches = np.flatnonzero(np.diff(s)) + 1
    later = switches[switches > TRAIN]
    return sorted({TRAIN - 100, 1000, *later.tolist(), *(later + 2).tolist()} - {len(s)})


@pytest.fixture(scope="module")
def fitted(planted):
    X, _ = planted
    score = X[:TRAIN, 1]
    return {"mixture": MixtureRegimes(seed=1).fit(X[:TRAIN], score),
            "hmm": HMMRegimes(seed=1, n_init=2).fit(X[:TRAIN], score),
            "jump": JumpRegimes(jump_penalty=10.0, seed=1).fit(X[:TRAIN], score)}


def truncation_violation(f, X: np.ndarray, cuts: list[int]) -> float:
    """Largest change, on rows 0..D, between f(X[:D+1]) and f(X)[:D+1] over the cut points D."""
    full = np.asarray(f(X), dtype=float)
    return max(float(np.abs(np.asarray(f(X[:d + 1]), dtype=float) - full[:d + 1]).max())
               for d in cuts)


@pytest.mark.parametrize("name", ["mixture", "hmm", "jump"])
def test_truncating_after_d_changes_nothing_on_or_before_d(fitted, planted, cuts, name):
    X, _ = planted
    m = fitted[name]
    assert truncation_violation(m.filtered_probabilities, X, cuts) <= TOL
    assert truncation_violation(m.filtered_states, X, cuts) == 0


def test_the_truncation_check_fails_on_smoothing_and_viterbi(fitted, planted, cuts):
    """The same check catches look-ahead: hmmlearn's predict_proba (forward-backward) and
    predict (Viterbi), and the jump model's predict (its DP path backtracked from the end),
    all move states on or before D when rows after D are removed (by far more than TOL)."""
    X, _ = planted
    hmm, jump = fitted["hmm"], fitted["jump"]
    Z = hmm._prepare(X)
    assert truncation_violation(hmm.model_.predict_proba, Z, cuts) > 1e6 * TOL
    assert truncation_violation(hmm.model_.predict, Z, cuts) >= 1
    assert truncation_violation(jump.model_.predict, jump._prepare(X), cuts) >= 1


def test_filter_equals_hmmlearn_smoothing_at_the_last_row(fitted, planted, cuts):
    """Known value from the reference implementation: at the last row of the data, smoothing
    and filtering coincide, so filtered[D] must equal hmmlearn's predict_proba(X[:D+1])[-1]."""
    X, _ = planted
    hmm = fitted["hmm"]
    Z = hmm._prepare(X)
    filtered = hmm._filter(Z)
    for d in cuts:
        np.testing.assert_allclose(filtered[d], hmm.model_.predict_proba(Z[:d + 1])[-1],
                                   atol=1e-8)


def test_forward_filter_on_a_hand_example():
    """Two states, start (0.5, 0.5), stay 0.9; emissions 0.8/0.2 then 0.3/0.6:
    p1 = (0.8, 0.2); predicted = p1 @ A = (0.74, 0.26); times (0.3, 0.6) -> (0.222, 0.156),
    normalised (0.5873, 0.4127)."""
    A = np.array([[0.9, 0.1], [0.1, 0.9]])
    p = forward_filter(np.log([[0.8, 0.2], [0.3, 0.6]]), np.array([0.5, 0.5]), A)
    np.testing.assert_allclose(p, [[0.8, 0.2], [0.222 / 0.378, 0.156 / 0.378]], atol=1e-12)


@pytest.mark.parametrize("name, accuracy", [("mixture", 0.9), ("hmm", 0.95), ("jump", 0.9)])
def test_recovers_planted_regimes_out_of_sample(fitted, planted, name, accuracy):
    X, s = planted
    states = fitted[name].filtered_states(X)
    assert (states[TRAIN:] == s[TRAIN:]).mean() >= accuracy


@pytest.mark.parametrize("make", [lambda: MixtureRegimes(seed=3), lambda: HMMRegimes(seed=3, n_init=2),
                                  lambda: JumpRegimes(jump_penalty=5.0, seed=3)])
def test_reproducible_with_a_seed(planted, make):
    X, _ = planted
    a = make().fit(X[:TRAIN], X[:TRAIN, 1]).filtered_probabilities(X)
    b = make().fit(X[:TRAIN], X[:TRAIN, 1]).filtered_probabilities(X)
    np.testing.assert_array_equal(a, b)


def test_jump_penalty_buys_persistence(planted):
    X, _ = planted
    switches = [int((np.diff(JumpRegimes(jump_penalty=lam, seed=0).fit(X[:TRAIN])
                             .filtered_states(X)) != 0).sum()) for lam in (0.0, 3.0, 30.0)]
    assert switches[0] > switches[1] > switches[2]


def test_tune_jump_penalty_by_walk_forward(planted):
    """Scored by out-of-fold accuracy against the planted states, the walk-forward choice is
    the candidate with the best mean score, and each fold fits only rows before it. Extra
    noise makes the unpenalised model flicker, so a penalty must win."""
    X, s = planted
    X = X + np.random.default_rng(4).normal(0, 0.8, X.shape)
    seen = []

    def accuracy(states, rows):
        seen.append(rows)
        return float((states == s[rows]).mean())

    choice = tune_jump_penalty(X[:TRAIN], (0.0, 10.0, 100.0), accuracy, fit_score=X[:TRAIN, 1],
                               n_folds=3, min_train=400, n_init=3)
    assert choice.folds == ((400, 533), (533, 666), (666, 800))
    assert choice.penalty == max(choice.scores, key=choice.scores.get)
    assert choice.scores[choice.penalty] > choice.scores[0.0]
    assert [(r[0], r[-1] + 1) for r in seen[:3]] == list(choice.folds)


def test_rejects_bad_input(planted):
    X, _ = planted
    with pytest.raises(ValueError, match="missing"):
        HMMRegimes().fit(np.r_[X[:100], [[np.nan, 0, 0]]])
    with pytest.raises(ValueError, match="features"):
        MixtureRegimes().fit(X[:200]).filtered_states(X[:, :2])
    with pytest.raises(RuntimeError, match="not fitted"):
        JumpRegimes().filtered_states(X)
