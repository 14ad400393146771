"""The Parquet lake: immutable raw batches and hive-partitioned curated datasets.

Every write goes to a temporary name in the target folder and is renamed into place, so a
reader never sees half a file and a crash leaves the previous file intact. Curated partitions
are merged by key (upsert), so re-ingesting a date replaces its rows instead of appending.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.config import Settings


@dataclass(frozen=True)
class Dataset:
    """A curated dataset: its key columns, partition column and the date that makes a row known."""

    name: str
    keys: tuple[str, ...]
    partition: str
    known_date: str
    schema: pa.Schema


PRICES = Dataset("prices", ("date", "symbol"), "year", "date",
                 pa.schema([("date", pa.date32()), ("symbol", pa.string()), ("close", pa.float64())]))
# Macro keys include the release date, so a revised value is a new vintage, not an overwrite.
MACRO = Dataset("macro", ("series", "obs_date", "release_date"), "series", "release_date",
                pa.schema([("series", pa.string()), ("obs_date", pa.date32()),
                           ("release_date", pa.date32()), ("value", pa.float64())]))
DATASETS = {d.name: d for d in (PRICES, MACRO)}


def write_parquet_atomic(table: pa.Table | pd.DataFrame, path: Path) -> Path:
    """Write to a temp file beside `path`, fsync, then rename over it."""
    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table, preserve_index=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def to_table(df: pd.DataFrame, dataset: Dataset) -> pa.Table:
    """Cast a frame to the dataset's schema; a missing column or a bad type raises here."""
    missing = [f.name for f in dataset.schema if f.name not in df.columns]
    if missing:
        raise ValueError(f"{dataset.name}: missing columns {missing}")
    return pa.Table.from_pandas(df[dataset.schema.names], schema=dataset.schema, preserve_index=False)


def raw_path(settings: Settings, source: str, dataset: str, ingest_date: dt.date) -> Path:
    return (settings.raw_dir / f"source={source}" / f"dataset={dataset}"
            / f"ingest_date={ingest_date.isoformat()}" / "data.parquet")


def write_raw(settings: Settings, source: str, dataset: Dataset, ingest_date: dt.date,
              df: pd.DataFrame) -> Path:
    """Store the batch exactly as received (typed); re-running a date replaces its batch."""
    return write_parquet_atomic(to_table(df, dataset), raw_path(settings, source, dataset.name, ingest_date))


def _partition_values(df: pd.DataFrame, dataset: Dataset) -> pd.Series:
    if dataset.partition == "year":
        return pd.to_datetime(df[dataset.keys[0]]).dt.year.astype(str)
    return df[dataset.partition].astype(str)


def curated_root(settings: Settings, dataset: Dataset) -> Path:
    return settings.curated_dir / dataset.name


def upsert_curated(settings: Settings, dataset: Dataset, df: pd.DataFrame) -> list[Path]:
    """Merge rows into their partitions: same key replaces, new key inserts, file renamed in."""
    if df.empty:
        return []
    batch = to_table(df, dataset).to_pandas()
    written = []
    for part, rows in batch.groupby(_partition_values(batch, dataset), sort=True):
        path = curated_root(settings, dataset) / f"{dataset.partition}={part}" / "data.parquet"
        if path.exists():
            old = pq.read_table(path).to_pandas()
            merged = pd.concat([old, rows], ignore_index=True)
            merged = merged.drop_duplicates(list(dataset.keys), keep="last")
        else:
            merged = rows.drop_duplicates(list(dataset.keys), keep="last")
        merged = merged.sort_values(list(dataset.keys)).reset_index(drop=True)
        written.append(write_parquet_atomic(to_table(merged, dataset), path))
    return written


def read_curated(settings: Settings, dataset: Dataset, as_of: dt.date,
                 start: dt.date | None = None) -> pd.DataFrame:
    """Rows known by the close of `as_of` (by the dataset's known-date column)."""
    root = curated_root(settings, dataset)
    files = sorted(root.glob("*/data.parquet"))
    if not files:
        raise FileNotFoundError(f"no curated {dataset.name} under {root}; run the ingest first")
    col = dataset.known_date
    filters = [(col, "<=", as_of)]
    if start is not None:
        filters.append((col, ">=", start))
    if dataset.partition == "year":
        files = [f for f in files if int(f.parent.name.split("=")[1]) <= as_of.year
                 and (start is None or int(f.parent.name.split("=")[1]) >= start.year)]
    tables = [pq.read_table(f, filters=filters) for f in files]
    table = pa.concat_tables(tables) if tables else dataset.schema.empty_table()
    out = table.to_pandas()
    for c, t in zip(dataset.schema.names, dataset.schema.types, strict=True):
        if pa.types.is_date32(t):
            out[c] = pd.to_datetime(out[c])
    out = out.sort_values(list(dataset.keys)).reset_index(drop=True)
    if dataset is MACRO:  # latest vintage known by as_of
        out = out.drop_duplicates(["series", "obs_date"], keep="last").reset_index(drop=True)
    return out


def read_prices_wide(settings: Settings, as_of: dt.date, symbols: list[str] | None = None,
                     start: dt.date | None = None) -> pd.DataFrame:
    """Adjusted closes, dates x symbols, for dates <= as_of (and >= start)."""
    long = read_curated(settings, PRICES, as_of, start)
    if symbols is not None:
        absent = sorted(set(symbols) - set(long["symbol"].unique()))
        if absent:
            raise KeyError(f"curated prices have no rows for {absent} up to {as_of}")
        long = long[long["symbol"].isin(symbols)]
    wide = long.pivot(index="date", columns="symbol", values="close")
    wide.columns.name = None
    return wide if symbols is None else wide[symbols]


def curated_max_date(settings: Settings, dataset: Dataset) -> dt.date | None:
    files = sorted(curated_root(settings, dataset).glob("*/data.parquet"))
    if not files:
        return None
    best = None
    for f in files:
        col = pq.read_table(f, columns=[dataset.known_date]).column(0)
        if len(col):
            m = pa.compute.max(col).as_py()
            best = m if best is None or m > best else best
    return best


def snapshot_id(settings: Settings, as_of: dt.date) -> str:
    """Identify the data a run for `as_of` used: the raw batches ingested for that date.

    Raises when the date was never ingested (or its batch was quarantined), so nothing
    downstream runs on data that did not pass the gate.
    """
    import hashlib

    paths = sorted(settings.raw_dir.glob(f"source=*/dataset=*/ingest_date={as_of.isoformat()}/data.parquet"))
    if not paths:
        raise FileNotFoundError(f"no ingested batch for {as_of} under {settings.raw_dir}; "
                                "run market_data (or `python -m pipelines ingest`) for that date first")
    h = hashlib.sha256()
    for p in paths:
        h.update(p.read_bytes())
    source = paths[0].parts[-4].split("=", 1)[1]
    return f"{source}@{as_of.isoformat()}#{h.hexdigest()[:12]}"
