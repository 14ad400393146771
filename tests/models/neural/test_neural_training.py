"""Training by gradient ascent on the net Sharpe ratio: it learns a planted signal, is
reproducible, rejects diverging or non-finite refits, and refuses the wrong inputs."""

from __future__ import annotations

import dataclasses

import joblib
import numpy as np
import pandas as pd
import pytest
from neural_support import POLICY, SPEC, TRAIN

from models.neural.features import DailyInputs, FeatureMismatchError, build_windows
from models.neural.training import (
    Diverged,
    InsufficientHistory,
    NeuralModel,
    NonFiniteInput,
    RefitRejected,
    fit,
    training_samples,
)

# held-out Sharpe the policy must add over the best fixed mix on the planted-momentum market
MARGIN = 0.5


def _sharpe(ex: np.ndarray) -> float:
    return float(ex.mean() / ex.std() * np.sqrt(252))


@pytest.fixture(scope="module")
def windows(market):
    return build_windows(market, SPEC)


@pytest.fixture(scope="module")
def cutoff(windows):
    return windows.dates[2000]


@pytest.fixture(scope="module")
def model(windows, market, cutoff) -> NeuralModel:
    return fit(windows, market, SPEC, POLICY, TRAIN, cutoff)


def test_loss_falls_and_the_policy_learns_the_planted_momentum(model, windows, market, cutoff):
    losses = model.metrics["train_loss"]
    assert np.mean(losses[-3:]) < losses[0] - 0.5
    held_out = windows.between(cutoff + pd.Timedelta(days=1), windows.dates[-1])
    r = market.next_returns(SPEC.weight_labels, held_out.dates)
    w, net, turnover, _ = model.simulate(held_out, r, np.array([0.0, 0.0, 1.0]))
    policy = _sharpe(net[:-1] - r[:-1, -1])
    mixes = {"MOM": [1, 0, 0], "NOISE": [0, 1, 0], "50/50": [0.5, 0.5, 0], "thirds": [1 / 3] * 3}
    fixed = {k: _sharpe(r[:-1] @ np.array(v) - r[:-1, -1]) for k, v in mixes.items()}
    assert policy > max(fixed.values()) + MARGIN, (policy, fixed)
    # it times MOM: more MOM after MOM has risen over the window than after it has fallen
    up = held_out.values[:, :, 0].sum(axis=1) > 0
    assert w[up, 0].mean() > w[~up, 0].mean() + 0.2


def test_weights_on_the_training_and_held_out_dates_are_valid(model, windows, market, cutoff):
    held_out = windows.between(cutoff + pd.Timedelta(days=1), windows.dates[-1])
    r = market.next_returns(SPEC.weight_labels, held_out.dates)
    w, net, _, held = model.simulate(held_out, r, np.array([1.0, 0.0, 0.0]))
    assert (w >= -1e-6).all()
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(held.sum(), 1.0, atol=1e-6)
    assert np.isnan(net[-1]) and np.isfinite(net[:-1]).all()  # last next-day return unknown
    # serving one date: yesterday's target drifted by yesterday's returns is what is held
    drifted = w[4] * (1 + r[4]) / (1 + w[4] @ r[4])
    one = model.predict(held_out.between(held_out.dates[5], held_out.dates[5]), drifted[None])
    np.testing.assert_allclose(one[0], w[5], atol=1e-5)


def test_same_seeds_give_the_same_weights_bit_for_bit(model, windows, market, cutoff):
    again = fit(windows, market, SPEC, POLICY, TRAIN, cutoff)
    for k, v in model.params.items():
        assert np.array_equal(v, again.params[k]), k
    assert again.fingerprint == model.fingerprint
    other = fit(windows, market, SPEC, POLICY, dataclasses.replace(TRAIN, seeds=(5, 6)), cutoff)
    assert not np.array_equal(other.params["w1"], model.params["w1"])


def test_training_sees_nothing_after_the_cutoff(windows, market, cutoff):
    samples, r_next = training_samples(windows, market, SPEC, cutoff)
    assert samples.dates[-1] < cutoff  # the day before: its next return is known at cutoff
    np.testing.assert_array_equal(r_next[-1], market.next_returns(SPEC.weight_labels,
                                                                  samples.dates[-1:])[0])
    m = fit(windows, market, SPEC, POLICY, TRAIN, cutoff)
    assert m.metrics["validation_end"] == str(samples.dates[-1].date())


def test_a_huge_learning_rate_is_rejected(windows, market, cutoff):
    with pytest.raises(Diverged, match=r"diverged at epoch \d+") as err:
        fit(windows, market, SPEC, POLICY, dataclasses.replace(TRAIN, learning_rate=1e8), cutoff)
    assert isinstance(err.value, RefitRejected)


def test_a_planted_nan_input_is_rejected_naming_the_date(market, cutoff):
    windows = build_windows(market, SPEC)
    bad = windows.values.copy()
    bad[1500, -1, 1] = np.nan
    planted = dataclasses.replace(windows, values=bad)
    with pytest.raises(NonFiniteInput, match=str(windows.dates[1500].date())):
        fit(planted, market, SPEC, POLICY, TRAIN, cutoff)
    r = market.returns.copy()
    r.iloc[1200, 0] = np.inf
    with pytest.raises(RefitRejected, match="non-finite"):
        fit(windows, DailyInputs(r, market.cash), SPEC, POLICY, TRAIN, cutoff)


def test_too_little_history_is_not_a_refit(windows, market):
    with pytest.raises(InsufficientHistory, match="needs 252 training"):
        fit(windows, market, SPEC, POLICY, TRAIN, windows.dates[300])


def test_the_model_refuses_other_features_or_windows(model, market, cutoff):
    other = build_windows(market, dataclasses.replace(SPEC, window=10))
    after = other.between(cutoff + pd.Timedelta(days=1), other.dates[-1])
    with pytest.raises(FeatureMismatchError, match="windows of 20 days"):
        model.predict(after, np.full((len(after), 3), 1 / 3))
    swapped = build_windows(market, dataclasses.replace(SPEC, assets=("NOISE", "MOM")))
    after = swapped.between(cutoff + pd.Timedelta(days=1), swapped.dates[-1])
    with pytest.raises(FeatureMismatchError, match="trained on features"):
        model.predict(after, np.full((len(after), 3), 1 / 3))


def test_the_model_refuses_dates_it_was_trained_on(model, windows, cutoff):
    seen = windows.between(cutoff, cutoff)
    with pytest.raises(ValueError, match="serves dates after"):
        model.predict(seen, np.full((1, 3), 1 / 3))


def test_artifact_round_trips_through_a_dict_and_joblib(model, windows, cutoff, tmp_path):
    after = windows.between(cutoff + pd.Timedelta(days=1), windows.dates[-1])
    held = np.tile([0.2, 0.3, 0.5], (len(after), 1))
    path = tmp_path / "model.joblib"
    joblib.dump(model.to_dict(), path)
    back = NeuralModel.from_dict(joblib.load(path))
    assert back.spec == model.spec and back.policy == model.policy and back.train == model.train
    np.testing.assert_array_equal(back.predict(after, held), model.predict(after, held))
    joblib.dump(model, path)
    np.testing.assert_array_equal(joblib.load(path).predict(after, held),
                                  model.predict(after, held))
