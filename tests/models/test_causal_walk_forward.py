"""Walk-forward refits of the causal regime models on planted bull/bear returns: versions in the
registry (re-running trains nothing), bear is the low-return state, each date is served by the
latest refit trained before it, the served state on D ignores every row after D (and a smoothed
path would not), the jump penalty is a recorded trial chosen by the CV."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from models.causal_walk_forward import CausalSpec, first_needed_refit, model_name, switch_returns, train_causal
from models.registry import Registry
from pipelines.features.regime import excess_return_features

SPEC = CausalSpec(penalties=(5.0, 50.0), cv_folds=2, n_init=2, jump_n_init=2, min_rows=300)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def market():
    """Daily equity returns from a persistent two-state chain (bull +0.08% / 0.7%, bear -0.15% /
    2%), cash 0.01% a day, 1993-1998."""
    rng = np.random.default_rng(3)
    idx = pd.bdate_range("1993-01-04", "1998-06-30")
    P = np.array([[0.995, 0.005], [0.02, 0.98]])
    s = np.zeros(len(idx), dtype=int)
    for t in range(1, len(idx)):
        s[t] = rng.choice(2, p=P[s[t - 1]])
    r = np.where(s == 0, rng.normal(8e-4, 0.007, len(idx)), rng.normal(-1.5e-3, 0.02, len(idx)))
    rets = pd.DataFrame({"equity": r, "cash": 1e-4}, index=idx)
    feats = excess_return_features(rets["equity"] - rets["cash"])
    feats.iloc[:63] = np.nan
    return feats, rets, pd.Series(s, index=idx)


@pytest.fixture(scope="module")
def trained(market, tmp_path_factory):
    feats, rets, _ = market
    registry = Registry(tmp_path_factory.mktemp("models"))
    out = {k: train_causal(registry, k, feats, rets, feats.index[-1], SPEC, "snap") for k in ("hmm", "jump")}
    return registry, out


def test_refits_on_the_schedule_and_reruns_train_nothing(market, trained):
    feats, rets, _ = market
    registry, out = trained
    records, _ = out["hmm"]
    assert [r.trained_through for r in records] == [dt.date(1996, 1, 1), dt.date(1997, 1, 1), dt.date(1998, 1, 1)]
    again, _ = train_causal(registry, "hmm", feats, rets, feats.index[-1], SPEC, "snap")
    assert [r.version for r in again] == [r.version for r in records]
    assert len(registry.records(model_name("hmm"))) == 3


def test_bear_is_the_low_return_state_and_found_out_of_sample(market, trained):
    _, rets, s = market
    for kind in ("hmm", "jump"):
        _, served = trained[1][kind]
        days = pd.DatetimeIndex(served["date"])
        bear = served["p_bear"].to_numpy() >= 0.5
        truth = s.loc[days].to_numpy() == 1
        balanced = (bear[truth].mean() + (~bear[~truth]).mean()) / 2
        assert balanced > 0.65, kind
        ex = (rets["equity"] - rets["cash"]).loc[days].to_numpy()
        assert ex[bear].mean() < ex[~bear].mean(), kind


def test_each_date_is_served_by_the_latest_refit_before_it(trained):
    registry, out = trained
    records, served = out["jump"]
    for day, version in served.iloc[::97][["date", "model_version"]].itertuples(index=False):
        assert registry.latest(model_name("jump"), before=pd.Timestamp(day).date()).version == version
    assert pd.DatetimeIndex(served["date"]).min() > pd.Timestamp(records[0].trained_through)


@pytest.mark.parametrize("kind", ["hmm", "jump"])
def test_truncating_after_d_changes_no_served_state_on_or_before_d(market, trained, kind):
    """Bit for bit: the state served on D from data ending at D (a daily run) equals the one
    from data ending months later (a backfill), at every cut."""
    feats, _, _ = market
    registry, out = trained
    rec = out[kind][0][-1]
    art = registry.load(rec, dt.date(1998, 6, 30))
    full = art.bear_probability(feats)
    served = out[kind][1].set_index("date")["p_bear"]
    mine = served.index > pd.Timestamp(rec.trained_through)
    np.testing.assert_array_equal(served[mine].to_numpy(), full.loc[served.index[mine]].to_numpy())
    for d in feats.index[-130::7]:
        cut = art.bear_probability(feats.loc[:d])
        np.testing.assert_array_equal(cut.to_numpy(), full.loc[:d].to_numpy(), err_msg=str(d.date()))


def test_a_smoothed_state_would_fail_the_truncation_check(market, trained):
    """hmmlearn's forward-backward on the same refit moves states on or before D when later rows
    are cut: the check above is not vacuous."""
    feats, _, _ = market
    registry, out = trained
    rec = out["hmm"][0][-1]
    art = registry.load(rec, dt.date(1998, 6, 30))
    X = feats.loc[art.anchor:]
    m = art.model

    def smoothed(rows):
        return m.model_.predict_proba(m._prepare(rows.to_numpy()))

    full = smoothed(X)
    moved = max(np.abs(full[: len(cut)] - cut).max() for cut in (smoothed(X.loc[:d]) for d in X.index[-130::7]))
    assert moved > 1e-6          # the causal check allows 0


def test_the_jump_penalty_is_a_cv_choice_among_recorded_trials(trained):
    records, _ = trained[1]["jump"]
    for r in records:
        assert r.meta["hyperparameters"]["jump_penalty"] in SPEC.penalties
        assert {t["id"] for t in r.meta["trials"]} == {"jump_penalty=5", "jump_penalty=50"}
        scores = r.meta["cv_metrics"]["sharpe_daily_by_penalty"]
        assert float(max(scores, key=lambda k: (scores[k], -float(k)))) == r.meta["hyperparameters"]["jump_penalty"]


def test_first_needed_refit_and_switch_costs():
    dates = [pd.Timestamp(f"{y}-01-02") for y in (1996, 1997, 1998)]
    assert first_needed_refit(dates, None) == 0
    assert first_needed_refit(dates, dt.date(1997, 6, 1)) == 1      # 1997's refit serves it
    assert first_needed_refit(dates, dt.date(1997, 1, 2)) == 0      # the refit day itself: 1996's
    assert first_needed_refit(dates, dt.date(1990, 1, 2)) == 0
    net, w = switch_returns(np.array([1.0, 0.0, 0.0, 1.0]), np.full(4, 0.01), np.zeros(4), 1, 0.001)
    np.testing.assert_allclose(w, [1, 1, 1, 0])
    np.testing.assert_allclose(net, [0.01, 0.01, 0.01 - 0.0, -0.001])
    with pytest.raises(ValueError, match="unknown causal regime model"):
        model_name("viterbi")
