"""Ingest one as-of date: fetch what became known, store the raw batch, merge into curated."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import asdict, dataclass

import pandas as pd

from pipelines.config import Settings
from pipelines.ingest import lake
from pipelines.ingest.sources import get_source

log = logging.getLogger(__name__)

# Re-fetch this many days before the as-of date on each run, so late or revised rows land.
OVERLAP_DAYS = 10


@dataclass(frozen=True)
class IngestSummary:
    as_of: str
    source: str
    window_start: str | None
    price_rows: int
    macro_rows: int
    prices_on_as_of: int
    snapshot_id: str
    raw_paths: list[str]

    @property
    def is_trading_day(self) -> bool:
        return self.prices_on_as_of > 0

    def to_dict(self) -> dict:
        return asdict(self) | {"is_trading_day": self.is_trading_day}


def _digest(*frames: pd.DataFrame) -> str:
    h = hashlib.sha256()
    for f in frames:
        h.update(pd.util.hash_pandas_object(f, index=False).to_numpy().tobytes())
    return h.hexdigest()[:12]


def ingest(settings: Settings, as_of: dt.date, since: dt.date | None = None,
           full_history: bool = False) -> IngestSummary:
    """Bring the lake up to `as_of`. The window is (since, as_of]; by default the last
    OVERLAP_DAYS when curated data exists, else the whole history."""
    source = get_source(settings.source)
    universe = settings.universe
    if since is None and not full_history and lake.curated_max_date(settings, lake.PRICES) is not None:
        since = as_of - dt.timedelta(days=OVERLAP_DAYS)
    log.info("ingest %s from %s, window (%s, %s]", settings.source, source.name, since, as_of)
    prices = source.prices(universe, since, as_of)
    macro = source.macro(universe, since, as_of)
    raw = [lake.write_raw(settings, source.name, lake.PRICES, as_of, prices),
           lake.write_raw(settings, source.name, lake.MACRO, as_of, macro)]
    lake.upsert_curated(settings, lake.PRICES, prices)
    lake.upsert_curated(settings, lake.MACRO, macro)
    on_day = int((pd.to_datetime(prices["date"]) == pd.Timestamp(as_of)).sum())
    summary = IngestSummary(
        as_of=as_of.isoformat(), source=source.name,
        window_start=since.isoformat() if since else None,
        price_rows=len(prices), macro_rows=len(macro), prices_on_as_of=on_day,
        snapshot_id=f"{source.name}@{as_of.isoformat()}#{_digest(prices, macro)}",
        raw_paths=[str(p) for p in raw])
    log.info("ingested %s price rows, %s macro rows (%s on %s)", len(prices), len(macro), on_day, as_of)
    return summary
