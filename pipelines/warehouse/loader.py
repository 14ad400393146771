"""The single writer: loads staged results into DuckDB in one transaction.

For each staged portfolio it deletes the rows of the dates the result covers and inserts the
staged rows, so re-running a date replaces it and never duplicates. Reference tables (assets,
portfolios) are upserted from the configuration in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import tempfile
from pathlib import Path

import pandas as pd

from pipelines.config import Settings
from pipelines.lake import write_parquet_atomic
from pipelines.warehouse.db import connect
from pipelines.warehouse.sql_files import load_sql
from pipelines.warehouse.staging import FACT_TABLES, Manifest

log = logging.getLogger(__name__)


def _reference_frames(settings: Settings, run_id: str) -> dict[str, pd.DataFrame]:
    assets = pd.DataFrame([a.model_dump() for a in settings.universe.assets]).assign(run_id=run_id)
    rows = []
    for p in settings.portfolios:
        cfg = p.model_dump(mode="json")
        params = json.dumps(cfg["params"], sort_keys=True)
        rows.append({
            "portfolio_id": p.id, "name": p.name, "risk_profile": p.risk_profile,
            "strategy": p.strategy, "params": params, "universe": list(p.symbols),
            "benchmark": p.benchmark, "base_currency": p.base_currency,
            "initial_capital": p.initial_capital, "inception": p.inception,
            "rebalance": json.dumps(cfg["rebalance"]), "costs": json.dumps(cfg["costs"]),
            "config_hash": hashlib.sha256(json.dumps(cfg, sort_keys=True).encode()).hexdigest()[:16],
            "run_id": run_id})
    return {"assets": assets, "portfolios": pd.DataFrame(rows)}


def load_staged(settings: Settings, run_id: str, manifest_paths: list[str | Path],
                step: str = "load", as_of: dt.date | None = None,
                started_at: dt.datetime | None = None) -> dict[str, int]:
    """Write every staged result in one transaction; on any error nothing is written."""
    manifests = [Manifest.read(p) for p in manifest_paths]
    started_at = started_at or dt.datetime.now(dt.UTC)
    totals = dict.fromkeys(FACT_TABLES, 0)
    with tempfile.TemporaryDirectory() as tmp, connect(settings) as con:
        ref_paths = {name: write_parquet_atomic(df, Path(tmp) / f"{name}.parquet")
                     for name, df in _reference_frames(settings, run_id).items()}
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(load_sql("app/upsert_assets.sql"), {"path": str(ref_paths["assets"])})
            con.execute(load_sql("app/upsert_portfolios.sql"), {"path": str(ref_paths["portfolios"])})
            for m in manifests:
                if m.start is None:
                    continue
                for table, date_col in FACT_TABLES.items():
                    con.execute(load_sql("app/replace_range.sql").format(table=table, date_col=date_col),
                                {"portfolio_id": m.portfolio_id, "start": m.start, "end": m.end})
                    if m.rows.get(table):
                        con.execute(load_sql("app/insert_staged.sql").format(table=table),
                                    {"path": m.tables[table]})
                        totals[table] += m.rows[table]
            snapshots = sorted({m.data_snapshot for m in manifests})
            con.execute(load_sql("app/record_run.sql"), {
                "run_id": run_id, "step": step, "as_of": as_of, "status": "success",
                "started_at": started_at, "finished_at": dt.datetime.now(dt.UTC),
                "rows_written": sum(totals.values()),
                "data_snapshot": ",".join(snapshots) if snapshots else None,
                "message": f"{len(manifests)} portfolios: " + json.dumps(totals)})
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    log.info("loaded %s for run %s", totals, run_id)
    return totals


def record_run(settings: Settings, run_id: str, step: str, status: str, *, as_of: dt.date | None = None,
               started_at: dt.datetime | None = None, rows_written: int | None = None,
               data_snapshot: str | None = None, message: str | None = None) -> None:
    """Record a pipeline step (success, failure or skip) in `pipeline_runs`."""
    now = dt.datetime.now(dt.UTC)
    with connect(settings) as con:
        con.execute(load_sql("app/record_run.sql"), {
            "run_id": run_id, "step": step, "as_of": as_of, "status": status,
            "started_at": started_at or now, "finished_at": now, "rows_written": rows_written,
            "data_snapshot": data_snapshot, "message": message})
