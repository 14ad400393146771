"""The curated datasets: their key columns, partition column, schema and the date that makes a
row known (prices by trading date, macro by release date)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa


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


def to_table(df: pd.DataFrame, dataset: Dataset) -> pa.Table:
    """Cast a frame to the dataset's schema; a missing column or a bad type raises here."""
    missing = [f.name for f in dataset.schema if f.name not in df.columns]
    if missing:
        raise ValueError(f"{dataset.name}: missing columns {missing}")
    return pa.Table.from_pandas(df[dataset.schema.names], schema=dataset.schema, preserve_index=False)
