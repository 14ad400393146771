"""Raw batches: every source batch stored as received (typed), one per source, dataset and
ingest date, and the snapshot id that names the data a run used."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd

from pipelines.config import Settings
from pipelines.lake.datasets import Dataset, to_table
from pipelines.lake.files import write_parquet_atomic


def raw_path(settings: Settings, source: str, dataset: str, ingest_date: dt.date) -> Path:
    return (settings.raw_dir / f"source={source}" / f"dataset={dataset}"
            / f"ingest_date={ingest_date.isoformat()}" / "data.parquet")


def write_raw(settings: Settings, source: str, dataset: Dataset, ingest_date: dt.date,
              df: pd.DataFrame) -> Path:
    """Store the batch exactly as received (typed); re-running a date replaces its batch."""
    return write_parquet_atomic(to_table(df, dataset), raw_path(settings, source, dataset.name, ingest_date))


def snapshot_id(settings: Settings, as_of: dt.date) -> str:
    """Identify the data a run for `as_of` used: the raw batches ingested for that date.

    Raises when the date was never ingested (or its batch was quarantined), so nothing
    downstream runs on data that did not pass the gate.
    """
    pattern = f"source=*/dataset=*/ingest_date={as_of.isoformat()}/data.parquet"
    paths = sorted(settings.raw_dir.glob(pattern))
    if not paths:
        raise FileNotFoundError(f"no ingested batch for {as_of} under {settings.raw_dir}; "
                                "run market_data (or `python -m pipelines ingest`) for that date first")
    h = hashlib.sha256()
    for p in paths:
        h.update(p.read_bytes())
    source = paths[0].parts[-4].split("=", 1)[1]
    return f"{source}@{as_of.isoformat()}#{h.hexdigest()[:12]}"
