"""FRED macro series, with the date each value became known.

Two documented ways in:
- With an API key (`FRED_API_KEY`, or the Airflow connection `fred`): `GET /fred/series/
  observations?series_id=&api_key=&file_type=json&realtime_start=1776-07-04&realtime_end=<as_of>`
  returns every vintage (ALFRED); each row's `realtime_start` is the day that value was
  published, which becomes our `release_date`. Revisions are new vintages, never overwrites.
- Without a key: the `fredgraph.csv?id=<series>` download (latest values only); the release
  date is then derived from the series' `release_lag` in `config/universe.yaml`.

Missing values come as "." (or empty in the CSV) and are dropped: they are days the series did
not publish, not observations. FRED reports Treasury yields in percent; the lake stores them as
decimals like the bundled source (see `SERIES`). Series FRED does not carry (the Fama-French
factors) are skipped with a log line.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os

import pandas as pd
from pandas.tseries.offsets import BDay, BMonthEnd, MonthEnd

from pipelines.config import MacroSeries, Universe
from pipelines.ingest.http import AuthError, HttpClient, HttpError, NotFound, credential
from pipelines.ingest.sources import MACRO_COLUMNS, MalformedInput

log = logging.getLogger(__name__)

API_URL = "https://api.stlouisfed.org"
GRAPH_URL = "https://fred.stlouisfed.org"
EARLIEST = "1776-07-04"
PAGE = 100_000
# Universe series -> (FRED series id, scale to the lake's units).
SERIES = {"DGS3MO": ("DGS3MO", 0.01), "DGS2": ("DGS2", 0.01), "DGS5": ("DGS5", 0.01),
          "DGS10": ("DGS10", 0.01), "DCOILWTICO": ("DCOILWTICO", 1.0),
          "CPILFESL": ("CPILFESL", 1.0), "AAA": ("AAA", 1.0), "BAA": ("BAA", 1.0)}
# Vintages are requested for observations this far back of the window: revisions land late.
REVISION_LOOKBACK = dt.timedelta(days=400)


def release_dates(obs: pd.Series, series: MacroSeries) -> pd.Series:
    """When an observation becomes known, from the series' configured release lag."""
    obs = pd.to_datetime(obs)
    lag = series.release_lag
    if lag == "same_day":
        out = obs
    elif lag == "month_end":
        out = obs + BMonthEnd(0)
    elif lag == "next_month_end":
        out = obs + MonthEnd(1) + BMonthEnd(1)
    else:
        out = obs + MonthEnd(0) + pd.Timedelta(days=lag["days_after_month_end"])
        out = out.where(out.dt.dayofweek < 5, out + BDay(1))
    return pd.Series(pd.DatetimeIndex(out), index=obs.index)


class FredSource:
    name = "fred"

    def __init__(self, client: HttpClient, api_key: str | None):
        self.client = client
        self.api_key = api_key

    @classmethod
    def from_env(cls, base_url: str | None = None) -> FredSource:
        key = credential("FRED_API_KEY", "fred")
        url = base_url or os.environ.get("DAA_FRED_URL") or (API_URL if key else GRAPH_URL)
        # FRED allows 120 requests a minute per key.
        return cls(HttpClient(url, service="fred", credential_hint="FRED_API_KEY", min_interval=0.5), key)

    # ------------------------------------------------------------------ API with vintages

    def _api(self, fred_id: str, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        params = {"series_id": fred_id, "api_key": self.api_key, "file_type": "json",
                  "realtime_start": EARLIEST, "realtime_end": end.isoformat(), "limit": PAGE}
        if start is not None:
            params["observation_start"] = (start - REVISION_LOOKBACK).isoformat()
        rows, offset = [], 0
        while True:
            try:
                body = self.client.get_json("fred/series/observations", {**params, "offset": offset})
            except HttpError as exc:
                text = str(exc)
                if exc.status == 400 and "api_key" in exc.body:
                    raise AuthError(f"fred: API key rejected; check FRED_API_KEY: {text}", 400) from exc
                if exc.status == 400 and "does not exist" in exc.body:
                    raise NotFound(f"fred: unknown series {fred_id!r}: {text}", 400) from exc
                raise
            if not isinstance(body, dict) or not isinstance(body.get("observations"), list):
                raise MalformedInput(f"fred {fred_id}: expected an object with 'observations', got "
                                     f"{str(body)[:200]}")
            rows += body["observations"]
            offset += len(body["observations"])
            if not body["observations"] or offset >= int(body.get("count", 0)):
                break
        df = pd.DataFrame(rows, columns=["realtime_start", "realtime_end", "date", "value"])
        missing = [c for c in ("realtime_start", "date", "value") if df[c].isna().any()]
        if missing:
            raise MalformedInput(f"fred {fred_id}: observations lack {missing}")
        return pd.DataFrame({"obs_date": pd.to_datetime(df["date"], format="%Y-%m-%d"),
                             "release_date": pd.to_datetime(df["realtime_start"], format="%Y-%m-%d"),
                             "raw": df["value"]})

    # ------------------------------------------------------------------ keyless CSV

    def _graph_csv(self, fred_id: str, series: MacroSeries) -> pd.DataFrame:
        response = self.client.get("graph/fredgraph.csv", {"id": fred_id})
        try:
            df = pd.read_csv(io.StringIO(response.text), dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise MalformedInput(f"fred fredgraph.csv {fred_id}: unreadable CSV: {exc}") from exc
        date_col = next((c for c in ("observation_date", "DATE") if c in df.columns), None)
        if date_col is None or fred_id not in df.columns:
            raise MalformedInput(f"fred fredgraph.csv {fred_id}: expected columns observation_date "
                                 f"and {fred_id}, got {list(df.columns)}: {response.text[:120]!r}")
        obs = pd.to_datetime(df[date_col], format="%Y-%m-%d", errors="coerce")
        if obs.isna().any():
            bad = df.loc[obs.isna(), date_col].head(3).tolist()
            raise MalformedInput(f"fred fredgraph.csv {fred_id}: bad dates {bad}")
        return pd.DataFrame({"obs_date": obs, "release_date": release_dates(obs, series),
                             "raw": df[fred_id]})

    def macro(self, universe: Universe, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        frames = []
        for m in universe.macro_series:
            if m.series not in SERIES:
                log.info("fred: no FRED series for %s; skipped", m.series)
                continue
            fred_id, scale = SERIES[m.series]
            df = self._api(fred_id, start, end) if self.api_key else self._graph_csv(fred_id, m)
            raw = df["raw"].astype(str).str.strip()
            present = ~raw.isin([".", ""])
            value = pd.to_numeric(raw.where(present), errors="coerce")
            bad = present & value.isna()
            if bad.any():
                raise MalformedInput(f"fred {fred_id}: non-numeric values {raw[bad].head(3).tolist()}")
            df = df.assign(series=m.series, value=value * scale)[present]
            mask = df["release_date"] <= pd.Timestamp(end)
            if start is not None:
                mask &= df["release_date"] > pd.Timestamp(start)
            frames.append(df.loc[mask, MACRO_COLUMNS])
        out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=MACRO_COLUMNS)
        return out.sort_values(["series", "obs_date", "release_date"]).reset_index(drop=True)

    def prices(self, universe: Universe, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        raise NotImplementedError("fred serves macro series only; pair it with a price source")
