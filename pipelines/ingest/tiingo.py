"""Tiingo end-of-day prices (https://www.tiingo.com/documentation/end-of-day).

`GET /tiingo/daily/<ticker>/prices?startDate=&endDate=` with `Authorization: Token <token>`
returns one JSON object per trading day: `date`, raw `open/high/low/close/volume`, the
split- and dividend-adjusted `adjOpen/.../adjClose`, and the corporate actions of that day
(`divCash`, `splitFactor`). We store `adjClose`.

Corporate actions: Tiingo re-adjusts the whole history whenever a dividend or split happens,
so adjusted closes stored earlier stop matching new ones. When a window contains an action
(`divCash != 0` or `splitFactor != 1`) the symbol's full history is fetched again and the
curated series is replaced as a whole, so every stored return stays consistent.

Symbols of the universe map to Tiingo tickers (index and derived series map to ETF proxies);
override with `DAA_TIINGO_TICKERS="SPX=SPY,CASH=BIL"`. Token: `TIINGO_API_TOKEN`, or the
password of the Airflow connection `tiingo` exported as `AIRFLOW_CONN_TIINGO`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os

import pandas as pd

from pipelines.config import Universe
from pipelines.ingest.http import HttpClient, NotFound, credential
from pipelines.ingest.sources import PRICE_COLUMNS, MalformedInput

log = logging.getLogger(__name__)

BASE_URL = "https://api.tiingo.com"
HISTORY_START = dt.date(1990, 1, 1)
# Tradable proxies for universe series that are not listed instruments.
DEFAULT_TICKERS = {"SPX": "SPY", "UST2Y": "SHY", "UST5Y": "IEI", "UST10Y": "IEF",
                   "CASH": "BIL", "WTI": "USO"}
FIELDS = ("date", "adjClose", "divCash", "splitFactor")


def ticker_map(text: str | None = None) -> dict[str, str]:
    """Universe symbol -> Tiingo ticker: the defaults, overridden by `SYM=TICKER,...`."""
    out = dict(DEFAULT_TICKERS)
    for item in filter(None, (text or "").split(",")):
        if "=" not in item:
            raise ValueError(f"DAA_TIINGO_TICKERS: expected SYMBOL=TICKER, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


class TiingoSource:
    name = "tiingo"

    def __init__(self, client: HttpClient, tickers: dict[str, str] | None = None,
                 history_start: dt.date = HISTORY_START):
        self.client = client
        self.tickers = tickers if tickers is not None else dict(DEFAULT_TICKERS)
        self.history_start = history_start

    @classmethod
    def from_env(cls, base_url: str | None = None) -> TiingoSource:
        token = credential("TIINGO_API_TOKEN", "tiingo")
        if not token:
            raise RuntimeError("Tiingo needs an API token: set TIINGO_API_TOKEN (or the Airflow "
                               "connection 'tiingo'); the bundled source needs none (DAA_SOURCE=bundled)")
        client = HttpClient(base_url or os.environ.get("DAA_TIINGO_URL", BASE_URL), service="tiingo",
                            credential_hint="TIINGO_API_TOKEN", min_interval=0.1,
                            headers={"Authorization": f"Token {token}",
                                     "Content-Type": "application/json"})
        return cls(client, ticker_map(os.environ.get("DAA_TIINGO_TICKERS")))

    def _fetch(self, symbol: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        ticker = self.tickers.get(symbol, symbol)
        try:
            rows = self.client.get_json(f"tiingo/daily/{ticker.lower()}/prices",
                                        {"startDate": start.isoformat(), "endDate": end.isoformat(),
                                         "format": "json"})
        except NotFound as exc:
            raise NotFound(f"tiingo: unknown symbol {symbol!r} (ticker {ticker!r}): {exc}", 404) from exc
        if not isinstance(rows, list):
            raise MalformedInput(f"tiingo {ticker}: expected a JSON list of daily rows, got "
                                 f"{type(rows).__name__}: {str(rows)[:200]}")
        if not rows:
            return pd.DataFrame(columns=list(FIELDS))
        missing = [f for f in FIELDS if f not in rows[0]]
        if missing:
            raise MalformedInput(f"tiingo {ticker}: rows lack fields {missing}; got {sorted(rows[0])}")
        df = pd.DataFrame(rows, columns=list(FIELDS))
        df["date"] = pd.to_datetime(df["date"].str.slice(0, 10), format="%Y-%m-%d")
        for c in ("adjClose", "divCash", "splitFactor"):
            df[c] = pd.to_numeric(df[c], errors="coerce")
        return df

    def prices(self, universe: Universe, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        frames = []
        first = (start + dt.timedelta(days=1)) if start is not None else self.history_start
        for symbol in universe.symbols:
            df = self._fetch(symbol, first, end)
            actions = (df["divCash"].fillna(0) != 0) | (df["splitFactor"].fillna(1) != 1)
            if start is not None and actions.any():
                log.info("tiingo %s: corporate action on %s; refetching the adjusted history",
                         symbol, df.loc[actions, "date"].dt.date.tolist())
                df = self._fetch(symbol, self.history_start, end)
            frames.append(pd.DataFrame({"date": df["date"], "symbol": symbol, "close": df["adjClose"]}))
        out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=PRICE_COLUMNS)
        return out.sort_values(["date", "symbol"]).reset_index(drop=True)[PRICE_COLUMNS]

    def macro(self, universe: Universe, start: dt.date | None, end: dt.date) -> pd.DataFrame:
        raise NotImplementedError("tiingo serves prices only; pair it with FRED (DAA_SOURCE=live)")
