"""Ingest one as-of date: fetch what became known, check it, store the raw batch, merge curated.

    fetch -> quality gate (schema, raw, curated-merged checks; GX) -> raw batch -> curated upsert

Nothing reaches the raw or curated lake unless every error-severity check passed: a failing
batch is quarantined and `ValidationFailed` is raised, naming the file, column, expectation and
sample rows (see `pipelines.quality.gate`). Warnings are recorded and the ingest goes on.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import asdict, dataclass, field

import pandas as pd

from pipelines import faults, lake
from pipelines.config import Settings
from pipelines.ingest.sources import MalformedInput, get_source

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
    snapshot_id: str | None
    raw_paths: list[str]
    validation: dict = field(default_factory=dict)
    seconds: float = 0.0
    note: str | None = None

    @property
    def is_trading_day(self) -> bool:
        return self.prices_on_as_of > 0

    def to_dict(self) -> dict:
        return asdict(self) | {"is_trading_day": self.is_trading_day}


def ingest(settings: Settings, as_of: dt.date, since: dt.date | None = None,
           full_history: bool = False, validate: bool = True) -> IngestSummary:
    """Bring the lake up to `as_of`. The window is (since, as_of]; by default it starts at the
    lake's last date or OVERLAP_DAYS back, whichever is earlier, else the whole history.

    `validate=False` skips the quality gate; it exists to measure the gate's cost and is not
    used by the pipeline. Raises `ValidationFailed` when the batch is rejected.
    """
    from pipelines.quality.gate import QualityGate

    t0 = time.perf_counter()
    source = get_source(settings.source, settings)
    universe = settings.universe
    gate = QualityGate(settings, as_of, source.name) if validate else None
    try:
        last_known = None if full_history else lake.curated_max_date(settings, lake.PRICES)
    except lake.CuratedIntegrityError as exc:
        if gate is None:
            raise
        gate.source_files = list(getattr(source, "source_files", []))
        gate.history_suspect("prices", exc)
    if since is None and last_known is not None:
        # Re-fetch an overlap for late or revised rows, and never leave a gap after the last
        # date the lake holds, however long ago the previous run was.
        since = min(as_of - dt.timedelta(days=OVERLAP_DAYS), last_known)
    log.info("ingest %s from %s, window (%s, %s]", settings.source, source.name, since, as_of)
    try:
        prices = source.prices(universe, since, as_of)
        macro = source.macro(universe, since, as_of)
    except MalformedInput as exc:
        if gate is None:
            raise
        gate.source_files = list(getattr(source, "source_files", []))
        gate.reject_malformed(exc)
    faults.checkpoint("ingest.fetched")
    if prices.empty and macro.empty and not getattr(source, "source_files", []):
        # Nothing new in the window and no file to blame: a weekend, a holiday or the end of
        # the source's history. The run ends as skipped with this note; the lake is untouched.
        note = (f"no new prices or macro rows from {source.name} in ({since or 'start'}, {as_of}]: "
                "a weekend, a holiday or the end of the source's history; nothing ingested")
        log.info(note)
        return IngestSummary(as_of=as_of.isoformat(), source=source.name,
                             window_start=since.isoformat() if since else None, price_rows=0, macro_rows=0,
                             prices_on_as_of=0, snapshot_id=None, raw_paths=[],
                             seconds=round(time.perf_counter() - t0, 3), note=note)
    validation: dict = {}
    if gate is not None:
        gate.source_files = list(getattr(source, "source_files", []))
        gate.stage_batch({"prices": prices, "macro": macro})
        gate.check_raw(prices, macro)
        gate.check_curated(prices, macro)
    raw = [lake.write_raw(settings, source.name, lake.PRICES, as_of, prices),
           lake.write_raw(settings, source.name, lake.MACRO, as_of, macro)]
    faults.checkpoint("ingest.raw_written")
    lake.upsert_curated(settings, lake.PRICES, prices)
    lake.upsert_curated(settings, lake.MACRO, macro)
    faults.checkpoint("ingest.curated_written")
    if gate is not None:
        gate.discard_pending()
        validation = asdict(gate.passed(raw))
    on_day = int((pd.to_datetime(prices["date"]) == pd.Timestamp(as_of)).sum())
    summary = IngestSummary(
        as_of=as_of.isoformat(), source=source.name,
        window_start=since.isoformat() if since else None,
        price_rows=len(prices), macro_rows=len(macro), prices_on_as_of=on_day,
        snapshot_id=lake.snapshot_id(settings, as_of),
        raw_paths=[str(p) for p in raw], validation=validation,
        seconds=round(time.perf_counter() - t0, 3))
    log.info("ingested %s price rows, %s macro rows (%s on %s)", len(prices), len(macro), on_day, as_of)
    return summary
