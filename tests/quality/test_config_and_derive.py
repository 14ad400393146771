"""Quality configuration is validated on load; derived columns mean what the suites assume."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import yaml

from pipelines.config import REPO_ROOT, ConfigError, Settings
from pipelines.quality import derive
from pipelines.quality.config import load_quality_config, quality_config

SETTINGS = Settings(data_root=REPO_ROOT / "var", config_dir=REPO_ROOT / "config")


def _write(tmp_path, mutate) -> tuple:
    raw = yaml.safe_load((REPO_ROOT / "config" / "quality.yaml").read_text())
    mutate(raw)
    path = tmp_path / "quality.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_repo_config_loads():
    cfg = quality_config(SETTINGS)
    assert set(cfg.prices.asset_classes) >= {a.asset_class for a in SETTINGS.universe.assets}


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r["macro"]["ranges"].pop("DGS10"), "field 'macro.ranges': no plausible range for ['DGS10']"),
    (lambda r: r["prices"]["asset_classes"].pop("cash"), "no thresholds for ['cash']"),
    (lambda r: r["prices"]["asset_classes"]["equity"].update(warn_abs_log_return=2.0),
     "warn_abs_log_return must not exceed error_abs_log_return"),
    (lambda r: r["macro"]["ranges"].update(DGS2=[1, 0]), "min < max"),
    (lambda r: r["prices"]["waivers"][0].update(symbol="NOPE"), "unknown symbols ['NOPE']"),
    (lambda r: r["prices"].update(max_gap=3), "max_gap"),
])
def test_bad_config_names_the_field(tmp_path, mutate, message):
    with pytest.raises(ConfigError, match="quality.yaml") as info:
        load_quality_config(_write(tmp_path, mutate), SETTINGS.universe)
    assert message in str(info.value)


def test_curated_view_returns_runs_gaps_and_completeness():
    cfg = quality_config(SETTINGS)
    dates = pd.bdate_range("2016-06-01", periods=6)
    hist = pd.DataFrame({"date": np.repeat(dates[:3], 2), "symbol": ["AAPL", "SPX"] * 3,
                         "close": [10.0, 100.0, 10.0, 101.0, 10.0, 102.0]})
    batch = pd.DataFrame({"date": [dates[3], dates[3], dates[5]], "symbol": ["AAPL", "SPX", "AAPL"],
                          "close": [100.0, 103.0, 100.0]})
    before = batch.copy()
    view = derive.curated_prices_view(hist, batch, SETTINGS.universe, cfg.prices)
    pd.testing.assert_frame_equal(batch, before)  # input untouched
    assert view["date"].tolist() == [dates[3], dates[3], dates[5]]  # batch rows only
    aapl = view[view["symbol"] == "AAPL"]
    assert aapl["abs_log_return"].iloc[0] == pytest.approx(np.log(10))
    assert aapl["run_length"].tolist() == [1.0, 2.0]
    assert view["business_day_gap"].tolist() == [1.0, 1.0, 2.0]
    assert view.loc[view["date"] == dates[5], ["symbols_on_date", "symbols_expected"]].values.tolist() == [[1.0, 2.0]]


def test_waiver_lifts_only_its_checks_and_dates():
    cfg = quality_config(SETTINGS)
    dates = pd.to_datetime(["1990-04-09", "1990-04-10", "1992-07-01", "1992-07-02"])
    batch = pd.DataFrame({"date": dates, "symbol": "RRC", "close": [1.0, 3.0, 3.0, 9.0]})
    view = derive.curated_prices_view(batch.iloc[:0], batch, SETTINGS.universe, cfg.prices)
    assert np.isinf(view["error_abs_log_return"].iloc[1]) and np.isfinite(view["error_abs_log_return"].iloc[3])


def test_macro_views():
    cfg = quality_config(SETTINGS)
    raw = pd.DataFrame({"series": ["DGS10", "CPILFESL"], "obs_date": pd.to_datetime(["2016-07-01", "2016-06-01"]),
                        "release_date": pd.to_datetime(["2016-06-30", "2016-07-15"]), "value": [0.0146, 247.0]})
    view = derive.raw_macro_view(raw, cfg.macro)
    assert view["release_lag_days"].tolist() == [-1.0, 44.0]
    assert view["range_max"].tolist() == [0.25, 1000.0]
    assert dt.date(2016, 7, 1) == raw["obs_date"].iloc[0].date()  # unchanged input
