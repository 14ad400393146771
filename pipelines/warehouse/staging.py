"""Staged results: parallel tasks write Parquet plus a manifest; the single loader reads them."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from pipelines import faults
from pipelines.config import Settings
from pipelines.lake import write_parquet_atomic
from pipelines.lake.files import remove_stale

FACT_TABLES = {"nav": "date", "positions": "date", "trades": "trade_date", "target_weights": "date"}


@dataclass(frozen=True)
class Manifest:
    """What one portfolio's computation produced: the date range it covers and its files."""

    run_id: str
    portfolio_id: str
    start: str | None
    end: str | None
    data_snapshot: str
    model_version: str | None
    tables: dict[str, str]
    rows: dict[str, int]

    @classmethod
    def read(cls, path: str | Path) -> Manifest:
        return cls(**json.loads(Path(path).read_text()))


def safe_name(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id)


def stage_dir(settings: Settings, run_id: str) -> Path:
    return settings.staging_dir / safe_name(run_id)


def remove_staged(settings: Settings, run_id: str) -> None:
    """Remove a loaded run's staged portfolios, and the staging left by killed runs."""
    import shutil

    shutil.rmtree(stage_dir(settings, run_id), ignore_errors=True)
    remove_stale(settings.staging_dir, keep="accounts")


def stage_result(settings: Settings, run_id: str, portfolio_id: str, tables: dict[str, pd.DataFrame],
                 data_snapshot: str) -> Path:
    """Write each fact table with its lineage columns (run, data snapshot; the model version is
    each row's own column); return the manifest's path."""
    folder = stage_dir(settings, run_id) / portfolio_id
    dates = [pd.to_datetime(df[FACT_TABLES[name]]) for name, df in tables.items() if len(df)]
    start = min(d.min() for d in dates).date().isoformat() if dates else None
    end = max(d.max() for d in dates).date().isoformat() if dates else None
    paths, rows = {}, {}
    for name, df in tables.items():
        if name not in FACT_TABLES:
            raise ValueError(f"unknown fact table {name!r}")
        out = df.assign(run_id=run_id, data_snapshot=data_snapshot)
        if "model_version" not in out.columns:
            out["model_version"] = pd.Series([None] * len(out), dtype="string")
        out[FACT_TABLES[name]] = pd.to_datetime(out[FACT_TABLES[name]]).dt.date
        paths[name] = str(write_parquet_atomic(out, folder / f"{name}.parquet"))
        rows[name] = len(out)
    versions = sorted({v for df in tables.values() if "model_version" in df.columns
                       for v in df["model_version"].dropna().unique()})
    manifest = Manifest(run_id=run_id, portfolio_id=portfolio_id, start=start, end=end,
                        data_snapshot=data_snapshot, model_version=",".join(versions) or None,
                        tables=paths, rows=rows)
    path = folder / "manifest.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(asdict(manifest), indent=2))
    tmp.replace(path)
    faults.checkpoint("stage.portfolio")
    return path
