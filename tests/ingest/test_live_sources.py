"""Tiingo and FRED against recorded responses served by a local HTTP server (no network)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from replay_server import Reply, fixture

from pipelines.config import Universe
from pipelines.ingest.fred import FredSource
from pipelines.ingest.http import AuthError, NotFound
from pipelines.ingest.sources import MalformedInput, get_source
from pipelines.ingest.tiingo import TiingoSource, ticker_map

UNIVERSE = Universe.model_validate({
    "cash_symbol": "SPX", "calendar_symbol": "SPX",
    "assets": [{"symbol": "SPX", "name": "S&P 500", "asset_class": "equity", "sector": "index"}],
    "macro_series": [
        {"series": "DGS10", "name": "10y", "frequency": "daily", "release_lag": "same_day"},
        {"series": "CPILFESL", "name": "core CPI", "frequency": "monthly",
         "release_lag": {"days_after_month_end": 15}},
        {"series": "FF_SMB", "name": "SMB", "frequency": "monthly", "release_lag": "next_month_end"}]})
AAPL = Universe.model_validate({
    "cash_symbol": "AAPL", "calendar_symbol": "AAPL",
    "assets": [{"symbol": "AAPL", "name": "Apple", "asset_class": "equity", "sector": "it"}],
    "macro_series": []})


@pytest.fixture()
def tiingo_env(monkeypatch, replay):
    monkeypatch.setenv("TIINGO_API_TOKEN", "tok123")
    monkeypatch.setenv("DAA_TIINGO_URL", replay.url)
    monkeypatch.delenv("DAA_TIINGO_TICKERS", raising=False)
    return replay


def test_tiingo_adjusted_closes_and_token_in_header(tiingo_env):
    tiingo_env.add("/tiingo/daily/spy/prices", Reply(200, fixture("tiingo/spy_2016-06-27_2016-07-01.json")))
    df = TiingoSource.from_env().prices(UNIVERSE, dt.date(2016, 6, 24), dt.date(2016, 7, 1))
    assert list(df.columns) == ["date", "symbol", "close"] and set(df["symbol"]) == {"SPX"}
    assert df["close"].iloc[-1] == pytest.approx(187.669)  # adjClose, not close
    assert df["date"].iloc[0] == pd.Timestamp("2016-06-27") and df["close"].dtype == float
    call = tiingo_env.calls("/tiingo/daily/spy/prices")[0]
    assert call["headers"]["Authorization"] == "Token tok123"
    assert call["query"]["startDate"] == ["2016-06-25"] and call["query"]["endDate"] == ["2016-07-01"]
    assert "token" not in call["query"]


def test_tiingo_split_in_window_refetches_full_history(tiingo_env):
    tiingo_env.add("/tiingo/daily/aapl/prices", Reply(200, fixture("tiingo/aapl_window_split.json")),
                   Reply(200, fixture("tiingo/aapl_history.json")))
    df = TiingoSource.from_env().prices(AAPL, dt.date(2020, 8, 26), dt.date(2020, 8, 31))
    calls = tiingo_env.calls("/tiingo/daily/aapl/prices")
    assert [c["query"]["startDate"][0] for c in calls] == ["2020-08-27", "1990-01-01"]
    assert df["date"].min() == pd.Timestamp("2020-08-26")  # the whole re-adjusted series
    ret = df["close"].pct_change().iloc[-1]
    assert abs(ret) < 0.05  # the 4:1 split does not show as a -75% move


def test_tiingo_unknown_symbol(tiingo_env):
    tiingo_env.add("/tiingo/daily/spy/prices", Reply(404, fixture("tiingo/not_found.json")))
    with pytest.raises(NotFound, match=r"unknown symbol 'SPX' \(ticker 'SPY'\).*not found"):
        TiingoSource.from_env().prices(UNIVERSE, None, dt.date(2016, 7, 1))


def test_tiingo_bad_token(tiingo_env):
    tiingo_env.add("/tiingo/daily/spy/prices", Reply(401, fixture("tiingo/unauthorized.json")))
    with pytest.raises(AuthError, match="TIINGO_API_TOKEN.*Invalid token"):
        TiingoSource.from_env().prices(UNIVERSE, None, dt.date(2016, 7, 1))


def test_tiingo_malformed_bodies(tiingo_env):
    tiingo_env.add("/tiingo/daily/spy/prices",
                   Reply(200, fixture("tiingo/proxy_error.html"), {"Content-Type": "text/html"}))
    with pytest.raises(MalformedInput, match="not JSON"):
        TiingoSource.from_env().prices(UNIVERSE, None, dt.date(2016, 7, 1))
    tiingo_env.add("/tiingo/daily/spy/prices", Reply(200, fixture("tiingo/missing_fields.json")))
    with pytest.raises(MalformedInput, match=r"lack fields \['adjClose', 'divCash', 'splitFactor'\]"):
        TiingoSource.from_env().prices(UNIVERSE, None, dt.date(2016, 7, 1))
    tiingo_env.add("/tiingo/daily/spy/prices", Reply(200, '{"detail": "odd"}'))
    with pytest.raises(MalformedInput, match="expected a JSON list"):
        TiingoSource.from_env().prices(UNIVERSE, None, dt.date(2016, 7, 1))


def test_tiingo_retries_a_rate_limit_then_succeeds(tiingo_env):
    tiingo_env.add("/tiingo/daily/spy/prices", Reply(429, "", {"Retry-After": "0"}),
                   Reply(200, fixture("tiingo/empty.json")))
    df = TiingoSource.from_env().prices(UNIVERSE, dt.date(2016, 7, 1), dt.date(2016, 7, 4))
    assert df.empty and len(tiingo_env.calls("/tiingo/daily/spy/prices")) == 2


def test_tiingo_needs_a_token(monkeypatch):
    monkeypatch.delenv("TIINGO_API_TOKEN", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_TIINGO", raising=False)
    with pytest.raises(RuntimeError, match="TIINGO_API_TOKEN"):
        TiingoSource.from_env()


def test_ticker_map_override():
    assert ticker_map("SPX=VOO, CASH=SGOV")["SPX"] == "VOO"
    with pytest.raises(ValueError, match="SYMBOL=TICKER"):
        ticker_map("SPX")


@pytest.fixture()
def fred_api(monkeypatch, replay):
    monkeypatch.setenv("FRED_API_KEY", "k" * 32)
    monkeypatch.setenv("DAA_FRED_URL", replay.url)
    return replay


def test_fred_api_keeps_release_dates_and_drops_missing(fred_api):
    def route(query_series: str):
        return fixture({"DGS10": "fred/dgs10_observations.json",
                        "CPILFESL": "fred/cpilfesl_vintages.json"}[query_series])

    fred_api.add("/fred/series/observations", Reply(200, route("DGS10")), Reply(200, route("CPILFESL")))
    df = FredSource.from_env().macro(UNIVERSE, dt.date(2016, 5, 1), dt.date(2016, 7, 5))
    dgs = df[df["series"] == "DGS10"]
    assert len(dgs) == 5 and not df["value"].isna().any()  # "." on 2016-07-04 dropped
    assert dgs["value"].iloc[0] == pytest.approx(0.0146)  # percent -> decimal
    assert (dgs["release_date"] > dgs["obs_date"]).all()
    cpi = df[df["series"] == "CPILFESL"]
    april = cpi[cpi["obs_date"] == pd.Timestamp("2016-04-01")]
    assert april["release_date"].dt.date.tolist() == [dt.date(2016, 5, 17), dt.date(2016, 6, 16)]
    assert april["value"].tolist() == [246.94, 246.915]  # the revision is a new vintage
    assert "FF_SMB" not in set(df["series"])  # not on FRED: skipped
    calls = fred_api.calls("/fred/series/observations")
    assert [c["query"]["series_id"][0] for c in calls] == ["DGS10", "CPILFESL"]
    assert calls[0]["query"]["realtime_end"] == ["2016-07-05"] and calls[0]["query"]["file_type"] == ["json"]


def test_fred_bad_key_and_unknown_series(fred_api):
    fred_api.add("/fred/series/observations", Reply(400, fixture("fred/bad_api_key.json")))
    with pytest.raises(AuthError) as info:
        FredSource.from_env().macro(UNIVERSE, None, dt.date(2016, 7, 5))
    assert "FRED_API_KEY" in str(info.value) and "k" * 32 not in str(info.value)
    fred_api.add("/fred/series/observations", Reply(400, fixture("fred/series_not_found.json")))
    with pytest.raises(NotFound, match="unknown series 'DGS10'"):
        FredSource.from_env().macro(UNIVERSE, None, dt.date(2016, 7, 5))


def test_fred_malformed(fred_api):
    fred_api.add("/fred/series/observations", Reply(200, fixture("fred/missing_value_field.json")))
    with pytest.raises(MalformedInput, match=r"observations lack \['value'\]"):
        FredSource.from_env().macro(UNIVERSE, None, dt.date(2016, 7, 5))
    fred_api.add("/fred/series/observations", Reply(200, '{"error_code": 500}'))
    with pytest.raises(MalformedInput, match="expected an object with 'observations'"):
        FredSource.from_env().macro(UNIVERSE, None, dt.date(2016, 7, 5))


def test_fred_keyless_csv_derives_release_dates(monkeypatch, replay):
    monkeypatch.delenv("FRED_API_KEY", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_FRED", raising=False)
    monkeypatch.setenv("DAA_FRED_URL", replay.url)
    replay.add("/graph/fredgraph.csv", Reply(200, fixture("fred/fredgraph_DGS10.csv"), {"Content-Type": "text/csv"}))
    dgs10_only = UNIVERSE.model_copy(update={"macro_series": UNIVERSE.macro_series[:1]})
    df = FredSource.from_env().macro(dgs10_only, dt.date(2016, 6, 27), dt.date(2016, 7, 5))
    assert df["obs_date"].dt.date.tolist() == [dt.date(2016, 6, d) for d in (28, 29, 30)] + [dt.date(2016, 7, 1)]
    assert (df["release_date"] == df["obs_date"]).all()  # same_day series
    replay.add("/graph/fredgraph.csv", Reply(200, "<html>maintenance</html>", {"Content-Type": "text/html"}))
    with pytest.raises(MalformedInput, match="expected columns observation_date and DGS10"):
        FredSource.from_env().macro(dgs10_only, None, dt.date(2016, 7, 5))


def test_source_selection(monkeypatch):
    assert get_source("bundled").name == "bundled"
    with pytest.raises(ValueError, match="bundled, files, live"):
        get_source("yahoo")
