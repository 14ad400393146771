"""Curated datasets: hive-partitioned Parquet merged by key (upsert), read as known by a date.

Re-ingesting a date replaces its rows instead of appending; every write is atomic.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.config import Settings
from pipelines.lake.datasets import MACRO, PRICES, Dataset, to_table
from pipelines.lake.files import write_parquet_atomic


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


def read_price_window(settings: Settings, as_of: dt.date, symbols: list[str], anchor: dt.date,
                      rows: int) -> pd.DataFrame:
    """Closes of `symbols` (dates x symbols, a row wherever one of them has a price): the last
    `rows` rows on or before `anchor` (fewer when the lake holds fewer) and every row after it
    up to `as_of`. Year partitions are read backwards from `anchor` until enough rows are in, so
    a strategy gets exactly its lookback in trading days, whatever the calendar."""
    root = curated_root(settings, PRICES)
    years = sorted(int(f.parent.name.split("=")[1]) for f in root.glob("year=*/data.parquet"))
    if not years:
        raise FileNotFoundError(f"no curated prices under {root}; run the ingest first")
    years = [y for y in years if y <= as_of.year]
    wanted = pa.array(symbols, pa.string())

    def read(year: int) -> pa.Table:
        path = root / f"year={year}" / "data.parquet"
        return pq.read_table(path, filters=[("date", "<=", as_of), ("symbol", "in", wanted)])

    parts = [read(y) for y in years if y >= anchor.year]
    earlier = [y for y in years if y < anchor.year]
    table = pa.concat_tables(parts) if parts else PRICES.schema.empty_table()
    while earlier and _dates_through(table, anchor) < rows:
        table = pa.concat_tables([read(earlier.pop()), table])
    wide = _wide(table, symbols, as_of)
    upto = wide.index <= pd.Timestamp(anchor)
    keep = upto & (np.cumsum(upto[::-1])[::-1] <= rows) | ~upto
    return wide[keep]


def _dates_through(table: pa.Table, anchor: dt.date) -> int:
    dates = table.column("date")
    return len(pc.unique(pc.filter(dates, pc.less_equal(dates, pa.scalar(anchor, pa.date32())))))


def _wide(table: pa.Table, symbols: list[str], as_of: dt.date) -> pd.DataFrame:
    long = table.to_pandas()
    long["date"] = pd.to_datetime(long["date"])
    absent = sorted(set(symbols) - set(long["symbol"].unique()))
    if absent:
        raise KeyError(f"curated prices have no rows for {absent} up to {as_of}")
    wide = long.pivot(index="date", columns="symbol", values="close").sort_index()
    wide.columns.name = None
    return wide[symbols]


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
