"""The single writer: loads staged results into DuckDB in one transaction.

For each staged portfolio it deletes the rows of the dates the result covers and inserts the
staged rows, so re-running a date replaces it and never duplicates. Reference tables (assets,
portfolios), built by the caller from the configuration, are upserted in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from pipelines import faults
from pipelines.config import Settings
from pipelines.secrets import mask
from pipelines.warehouse.staging import FACT_TABLES, Manifest
from pipelines.warehouse.writer import transaction

log = logging.getLogger(__name__)


MODEL_TABLES = ("model_versions", "regimes", "factor_exposures")


def load_staged(settings: Settings, run_id: str, manifest_paths: list[str | Path],
                reference: dict[str, pd.DataFrame], step: str = "load", as_of: dt.date | None = None,
                started_at: dt.datetime | None = None, models: dict[str, str] | None = None) -> dict[str, int]:
    """Write every staged portfolio result, the reference rows (`assets`, `portfolios` frames)
    and the staged model tables (`models`: table -> Parquet path, replaced by key) in one
    transaction; on any error nothing is written."""
    manifests = [Manifest.read(p) for p in manifest_paths]
    started_at = started_at or dt.datetime.now(dt.UTC)
    totals = dict.fromkeys(FACT_TABLES, 0)
    with transaction(settings) as w:
        if "assets" in reference:
            w.run("app/upsert_assets.sql", {"path": str(w.stage(reference["assets"]))})
        if "portfolios" in reference:
            w.run("app/upsert_portfolios.sql", {"path": str(w.stage(reference["portfolios"]))})
        for m in manifests:
            if m.start is None:
                continue
            for table, date_col in FACT_TABLES.items():
                w.run("app/replace_range.sql", {"portfolio_id": m.portfolio_id, "start": m.start, "end": m.end},
                      table=table, date_col=date_col)
                if m.rows.get(table):
                    w.insert(table, m.tables[table])
                    totals[table] += m.rows[table]
        for table, path in (models or {}).items():
            if table not in MODEL_TABLES:
                raise ValueError(f"unknown model table {table!r}")
            n = pq.ParquetFile(path).metadata.num_rows
            if n:
                w.run(f"app/models_replace_{table}.sql", {"path": str(path)})
            totals[table] = n
        snapshots = sorted({m.data_snapshot for m in manifests})
        w.run("app/record_run.sql", {
            "run_id": run_id, "step": step, "as_of": as_of, "status": "success",
            "started_at": started_at, "finished_at": dt.datetime.now(dt.UTC),
            "rows_written": sum(totals.values()),
            "data_snapshot": ",".join(snapshots) if snapshots else None,
            "message": f"{len(manifests)} portfolios: " + json.dumps(totals)})
        faults.checkpoint("load.in_transaction")
    faults.checkpoint("load.committed")
    log.info("loaded %s for run %s", totals, run_id)
    return totals


def record_run(settings: Settings, run_id: str, step: str, status: str, *, as_of: dt.date | None = None,
               started_at: dt.datetime | None = None, rows_written: int | None = None,
               data_snapshot: str | None = None, message: str | None = None,
               wait: float | None = None) -> None:
    """Record a pipeline step (running, success, failure or skip) in `pipeline_runs` (the
    message masked); `wait` bounds the wait for the warehouse lock."""
    now = dt.datetime.now(dt.UTC)
    with transaction(settings, wait=wait) as w:
        w.run("app/record_run.sql", {
            "run_id": run_id, "step": step, "as_of": as_of, "status": status,
            "started_at": started_at or now, "finished_at": now, "rows_written": rows_written,
            "data_snapshot": data_snapshot, "message": None if message is None else mask(message)})
