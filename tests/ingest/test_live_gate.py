"""The live source (Tiingo + FRED, replayed locally) through the ingest and its quality gate."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from replay_server import Reply, fixture

from pipelines.config import Settings
from pipelines.ingest.run import ingest
from pipelines.quality.errors import ValidationFailed

UNIVERSE = """
cash_symbol: SPX
calendar_symbol: SPX
assets:
  - {symbol: SPX, name: S&P 500 (SPY proxy), asset_class: equity, sector: index}
macro_series:
  - {series: DGS10, name: 10y yield, frequency: daily, release_lag: same_day}
"""
QUALITY = """
prices:
  asset_classes:
    equity: {warn_abs_log_return: 0.2, error_abs_log_return: 1.0, stale_after: 10}
macro:
  ranges:
    DGS10: [-0.02, 0.25]
"""


@pytest.fixture()
def live(tmp_path, monkeypatch, replay):
    config = tmp_path / "config"
    config.mkdir()
    (config / "universe.yaml").write_text(UNIVERSE)
    (config / "quality.yaml").write_text(QUALITY)
    (config / "portfolios.yaml").write_text("portfolios: []\n")
    monkeypatch.setenv("TIINGO_API_TOKEN", "tok")
    monkeypatch.setenv("FRED_API_KEY", "key")
    monkeypatch.setenv("DAA_TIINGO_URL", replay.url)
    monkeypatch.setenv("DAA_FRED_URL", replay.url)
    monkeypatch.delenv("DAA_TIINGO_TICKERS", raising=False)
    replay.add("/fred/series/observations", Reply(200, fixture("fred/dgs10_observations.json")))
    return Settings(data_root=tmp_path / "home", config_dir=config, source="live"), replay


def test_live_ingest_passes_the_gate(live):
    settings, replay = live
    replay.add("/tiingo/daily/spy/prices", Reply(200, fixture("tiingo/spy_2016-06-27_2016-07-01.json")))
    summary = ingest(settings, dt.date(2016, 7, 1))
    assert summary.source == "live" and summary.validation["status"] == "passed"
    assert summary.price_rows == 5 and summary.macro_rows == 4 and summary.prices_on_as_of == 1


def test_live_bad_price_is_quarantined(live):
    settings, replay = live
    rows = json.loads(fixture("tiingo/spy_2016-06-27_2016-07-01.json").read_text())
    rows[-1]["adjClose"] *= 10  # a vendor glitch: a 10x jump on the last day
    replay.add("/tiingo/daily/spy/prices", Reply(200, json.dumps(rows)))
    with pytest.raises(ValidationFailed, match="daily move within the error bound") as info:
        ingest(settings, dt.date(2016, 7, 1))
    assert '"symbol": "SPX"' in str(info.value) and "2016-07-01" in str(info.value)
    assert (info.value.quarantine / "prices.parquet").exists()
    assert not settings.curated_dir.exists() and not settings.raw_dir.exists()


def test_live_malformed_response_is_quarantined(live):
    settings, replay = live
    replay.add("/tiingo/daily/spy/prices",
               Reply(200, fixture("tiingo/proxy_error.html"), {"Content-Type": "text/html"}))
    with pytest.raises(ValidationFailed, match="response is not JSON") as info:
        ingest(settings, dt.date(2016, 7, 1))
    assert (info.value.quarantine / "reason.txt").exists()
