"""Windows of point-in-time features: content, no look-ahead, bad input, refusing the wrong spec."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from neural_support import SPEC, momentum_market

from models.neural.features import (
    DailyInputs,
    FeatureMismatchError,
    FeatureSpec,
    build_windows,
    check_windows,
    daily_features,
    prices_to_inputs,
)


def test_window_rows_are_the_trailing_days_ending_at_each_date(market):
    feats = daily_features(market, SPEC)
    win = build_windows(market, SPEC)
    assert win.values.shape == (len(feats) - SPEC.window + 1, SPEC.window, len(SPEC.names))
    i = 100
    d = win.dates[i]
    expected = feats.loc[:d].iloc[-SPEC.window:].to_numpy(np.float32)
    np.testing.assert_array_equal(win.values[i], expected)
    # the last row is the day's own return and its trailing volatility
    r = market.returns.loc[:d, "MOM"]
    assert win.values[i, -1, 0] == np.float32(r.iloc[-1])
    assert win.values[i, -1, 2] == pytest.approx(r.iloc[-SPEC.vol_window:].std() * np.sqrt(252),
                                                 rel=1e-5)


def test_truncating_after_d_changes_no_window_on_or_before_d():
    market = momentum_market(n=600, with_regime=True)
    spec = dataclasses.replace(SPEC, regime=("level", "spread"))
    full = build_windows(market, spec)
    d = full.dates[300]
    cut = build_windows(market.truncated(d), spec)
    assert cut.dates[-1] == d
    np.testing.assert_array_equal(cut.values, full.until(d).values)


def test_regime_warm_up_is_dropped_and_named_columns_are_used():
    market = momentum_market(n=300, with_regime=True)
    spec = dataclasses.replace(SPEC, regime=("spread",))
    feats = daily_features(market, spec)
    assert feats.index[0] == market.regime.index[30]
    assert list(feats.columns) == ["ret:MOM", "ret:NOISE", "vol:MOM", "vol:NOISE", "regime:spread"]


def test_a_nan_after_the_warm_up_is_an_error_naming_feature_and_date(market):
    returns = market.returns.copy()
    bad_day = returns.index[200]
    returns.loc[bad_day, "NOISE"] = np.nan
    with pytest.raises(ValueError, match=rf"'ret:NOISE'.*{bad_day.date()}"):
        daily_features(DailyInputs(returns, market.cash), SPEC)


def test_prices_to_inputs_returns_over_the_previous_close():
    idx = pd.bdate_range("2020-01-01", periods=4)
    prices = pd.DataFrame({"A": [100.0, 110.0, 99.0, 99.0], "CASH": [1.0, 1.001, 1.002, 1.003]},
                          index=idx)
    inp = prices_to_inputs(prices, ["A"], "CASH")
    np.testing.assert_allclose(inp.returns["A"].to_numpy(), [0.1, -0.1, 0.0])
    assert inp.returns.index[0] == idx[1]
    nxt = inp.next_returns(("A", "CASH"), inp.returns.index)
    np.testing.assert_allclose(nxt[0], [-0.1, 1.002 / 1.001 - 1])
    assert np.isnan(nxt[-1]).all()  # the last day's next return is not known yet


class TestSpecMismatch:
    def test_other_feature_set_is_refused_with_the_names(self, market):
        other = FeatureSpec(assets=("NOISE", "MOM"), window=SPEC.window, vol_window=10)
        win = build_windows(market, other)
        with pytest.raises(FeatureMismatchError, match="different order"):
            check_windows(win, SPEC)
        with_regime = dataclasses.replace(SPEC, regime=("level",))
        with pytest.raises(FeatureMismatchError, match=r"unexpected \['regime:level'\]"):
            check_windows(build_windows(momentum_market(n=300, with_regime=True), with_regime),
                          SPEC)

    def test_other_window_is_refused(self, market):
        win = build_windows(market, dataclasses.replace(SPEC, window=SPEC.window + 5))
        with pytest.raises(FeatureMismatchError, match=f"windows of {SPEC.window} days"):
            check_windows(win, SPEC)

    def test_missing_regime_frame_is_refused(self, market):
        with pytest.raises(FeatureMismatchError, match="regime features"):
            build_windows(market, dataclasses.replace(SPEC, regime=("level",)))

    def test_spec_round_trips_through_a_dict(self):
        spec = dataclasses.replace(SPEC, regime=("a", "b"))
        assert FeatureSpec.from_dict(spec.to_dict()) == spec
