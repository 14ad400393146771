"""Curated datasets: hive-partitioned Parquet merged by key (upsert), read as known by a date.

Re-ingesting a date replaces its rows instead of appending; every write is atomic, takes the
dataset's lock, and updates the dataset's manifest of checksums (`pipelines.lake.manifest`);
every read verifies the bytes it parses against that manifest, so history changed outside the
pipeline is named, never silently used. A partition's schema is the dataset's, always.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines import faults
from pipelines.config import Settings
from pipelines.identifiers import check_series
from pipelines.lake import manifest as mf
from pipelines.lake.datasets import MACRO, PRICES, Dataset, to_table
from pipelines.lake.files import file_lock, stage_parquet
from pipelines.lake.manifest import CuratedIntegrityError

ADOPT_HINT = "run `python -m pipelines lake adopt` once to record the current files as trusted"


def _partition_values(df: pd.DataFrame, dataset: Dataset) -> pd.Series:
    if dataset.partition == "year":
        return pd.to_datetime(df[dataset.keys[0]]).dt.year.astype(str)
    return df[dataset.partition].astype(str)


def partition_name(dataset: Dataset, value: str) -> str:
    """`year=2016` or `series=DGS10`: the value is checked, since it becomes a folder name."""
    if dataset.partition == "year":
        if not (value.isdigit() and len(value) == 4):
            raise ValueError(f"{dataset.name}: not a year partition: {value!r}")
    else:
        check_series(value)
    return f"{dataset.partition}={value}"


def curated_root(settings: Settings, dataset: Dataset) -> Path:
    return settings.curated_dir / dataset.name


def partition_files(settings: Settings, dataset: Dataset) -> list[Path]:
    return sorted(curated_root(settings, dataset).glob(f"*/{mf.DATA}"))


# --------------------------------------------------------------------------- verified reads


class _Verified:
    """One dataset opened for reading: its manifest checked against the partitions on disk."""

    def __init__(self, settings: Settings, dataset: Dataset):
        self.dataset = dataset
        self.root = curated_root(settings, dataset)
        self.files = partition_files(settings, dataset)
        self.manifest = mf.load(self.root)
        if self.files and not self.manifest.exists:
            raise CuratedIntegrityError(f"curated history cannot be verified: {self.root} has "
                                        f"{len(self.files)} partitions but no {mf.MANIFEST}; {ADOPT_HINT}",
                                        [f.parent.name for f in self.files])
        gone = mf.missing(self.manifest, {f.parent.name for f in self.files})
        if gone:
            raise CuratedIntegrityError(f"curated history is suspect: partitions deleted outside the "
                                        f"pipeline: {', '.join(str(self.root / g) for g in gone)}", gone)

    def read(self, path: Path, **kwargs) -> pa.Table:
        data = path.read_bytes()
        mf.verify_bytes(self.manifest, path.parent.name, data)
        table = pq.read_table(pa.BufferReader(data), **kwargs)
        if not pq.read_schema(pa.BufferReader(data)).equals(self.dataset.schema):
            raise CuratedIntegrityError(f"curated history is suspect: {path} does not have the "
                                        f"{self.dataset.name} schema", [path.parent.name])
        return table

    def years(self) -> list[int]:
        return sorted(int(f.parent.name.split("=")[1]) for f in self.files)


def verify_curated(settings: Settings, dataset: Dataset) -> list[str]:
    """Every integrity problem of a dataset, one line each (empty: every partition verifies)."""
    root = curated_root(settings, dataset)
    try:
        manifest = mf.load(root)
    except CuratedIntegrityError as exc:
        return [str(exc)]
    return mf.verify_dataset(manifest, partition_files(settings, dataset))


def adopt_curated(settings: Settings, dataset: Dataset) -> int:
    """Record the partitions on disk as trusted (a lake written before manifests existed, or
    one repaired by hand); returns how many. Files with a foreign schema are refused."""
    root = curated_root(settings, dataset)
    entries = {}
    for path in partition_files(settings, dataset):
        data = path.read_bytes()
        schema = pq.read_schema(pa.BufferReader(data))
        if not schema.equals(dataset.schema):
            raise CuratedIntegrityError(f"{path}: schema {schema.names} is not the {dataset.name} "
                                        f"schema {dataset.schema.names}; not adopted", [path.parent.name])
        rows = pq.read_metadata(pa.BufferReader(data)).num_rows
        entries[path.parent.name] = mf.Entry(mf.sha256(data), len(data), rows)
    with file_lock(root / "_lock", f"curated {dataset.name}"):
        manifest = mf.Manifest(root)
        mf.commit(manifest, entries, dataset.schema)
    return len(entries)


# --------------------------------------------------------------------------- writes


def upsert_curated(settings: Settings, dataset: Dataset, df: pd.DataFrame) -> list[Path]:
    """Merge rows into their partitions: same key replaces, new key inserts, files renamed in,
    the manifest updated (see `pipelines.lake.manifest` for the order that survives a kill)."""
    if df.empty:
        return []
    batch = to_table(df, dataset).to_pandas()
    root = curated_root(settings, dataset)
    groups = list(batch.groupby(_partition_values(batch, dataset), sort=True))
    names = [partition_name(dataset, str(part)) for part, _ in groups]
    with file_lock(root / "_lock", f"curated {dataset.name}"):
        manifest = mf.load(root)
        mf.settle(manifest)
        reader = _Verified(settings, dataset)
        staged, entries = [], {}
        try:
            for name, (_, rows) in zip(names, groups, strict=True):
                path = root / name / mf.DATA
                if path.exists():
                    old = reader.read(path).to_pandas()
                    merged = pd.concat([old, rows], ignore_index=True)
                    merged = merged.drop_duplicates(list(dataset.keys), keep="last")
                else:
                    merged = rows.drop_duplicates(list(dataset.keys), keep="last")
                merged = merged.sort_values(list(dataset.keys)).reset_index(drop=True)
                table = to_table(merged, dataset)
                tmp, data = stage_parquet(table, path)
                staged.append((tmp, path))
                entries[name] = mf.Entry(mf.sha256(data), len(data), table.num_rows)
            mf.write_journal(manifest, entries)
            for i, (tmp, path) in enumerate(staged):
                os.replace(tmp, path)
                if i == 0:
                    faults.checkpoint("curated.partitions_swapping")
        finally:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
        mf.commit(manifest, entries, dataset.schema)
    return [path for _, path in staged]


def read_curated(settings: Settings, dataset: Dataset, as_of: dt.date,
                 start: dt.date | None = None) -> pd.DataFrame:
    """Rows known by the close of `as_of` (by the dataset's known-date column)."""
    lake = _Verified(settings, dataset)
    files = lake.files
    if not files:
        raise FileNotFoundError(f"no curated {dataset.name} under {lake.root}; run the ingest first")
    col = dataset.known_date
    filters = [(col, "<=", as_of)]
    if start is not None:
        filters.append((col, ">=", start))
    if dataset.partition == "year":
        files = [f for f in files if int(f.parent.name.split("=")[1]) <= as_of.year
                 and (start is None or int(f.parent.name.split("=")[1]) >= start.year)]
    tables = [lake.read(f, filters=filters) for f in files]
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
    lake = _Verified(settings, PRICES)
    years = lake.years()
    if not years:
        raise FileNotFoundError(f"no curated prices under {lake.root}; run the ingest first")
    years = [y for y in years if y <= as_of.year]
    wanted = pa.array(symbols, pa.string())

    def read(year: int) -> pa.Table:
        path = lake.root / f"year={year}" / mf.DATA
        return lake.read(path, filters=[("date", "<=", as_of), ("symbol", "in", wanted)])

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
    lake = _Verified(settings, dataset)
    if not lake.files:
        return None
    best = None
    for f in lake.files:
        col = lake.read(f, columns=[dataset.known_date]).column(0)
        if len(col):
            m = pa.compute.max(col).as_py()
            best = m if best is None or m > best else best
    return best
