"""Truncating the data after D leaves every feature, exposure and prediction for D unchanged."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from models.factor_model import fit_factor_model
from models.factors import build_panel
from models.regime import TrainingSpec
from models.registry import Registry
from models.walk_forward import train_refit
from pipelines.config import Settings
from pipelines.features.inputs import load_inputs
from pipelines.features.regime import regime_features

DATES = [pd.Timestamp("2008-10-15"), pd.Timestamp("2012-01-31"), pd.Timestamp("2016-06-30")]


@pytest.fixture(scope="module")
def lake_data(base_home):
    home, config = base_home
    settings = Settings(data_root=home, config_dir=config)
    return settings, load_inputs(settings, dt.date(2016, 12, 29))


@pytest.mark.parametrize("d", DATES)
def test_features_and_exposures_for_d_ignore_later_rows(lake_data, d):
    settings, full = lake_data
    cut = full.truncated(d)
    pd.testing.assert_series_equal(regime_features(full).loc[d], regime_features(cut).loc[d])
    stocks = settings.universe.stocks
    a = fit_factor_model(build_panel(full, stocks), d, [*stocks, "SPX", "UST10Y"])
    b = fit_factor_model(build_panel(cut, stocks), d, [*stocks, "SPX", "UST10Y"])
    pd.testing.assert_frame_equal(a.exposures, b.exposures)
    pd.testing.assert_series_equal(a.r_squared, b.r_squared)
    pd.testing.assert_frame_equal(a.covariance(), b.covariance())


def test_fama_french_months_wait_for_their_release(lake_data):
    settings, full = lake_data
    panel = build_panel(full, settings.universe.stocks)
    f, _ = panel.as_of(pd.Timestamp("2016-06-15"))
    # May 2016 is released at the end of June: not known on June 15; April is.
    assert np.isnan(f.loc["2016-05", "MKT"]) and not np.isnan(f.loc["2016-04", "MKT"])


def test_prediction_for_d_ignores_later_rows(lake_data, tmp_path):
    settings, full = lake_data
    R, D = pd.Timestamp("2010-01-04"), pd.Timestamp("2010-03-15")
    spec = TrainingSpec(c_grid=(0.1, 1.0))
    probs = []
    for i, data in enumerate([full, full.truncated(D)]):
        reg = Registry(tmp_path / str(i) / "models")
        feats = regime_features(data)
        refit = train_refit(reg, feats, data.prices, R, spec, "snap", pd.DataFrame(
            columns=["y", "t1", "p", "p_always_on", "p_previous"]))
        art = reg.load(reg.latest("risk_off_classifier", before=D.date()), D.date())
        probs.append(art.probability(feats.loc[[D]])[0])
        assert refit.classifier.trained_through == R.date()
    assert probs[0] == probs[1]
