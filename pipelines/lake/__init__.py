"""The Parquet lake: immutable raw batches and hive-partitioned curated datasets (storage layer).

`from pipelines import lake` gives the whole API; the modules split it by job.
"""

from pipelines.lake.curated import (
    adopt_curated,
    curated_max_date,
    curated_root,
    read_curated,
    read_price_window,
    read_prices_wide,
    upsert_curated,
    verify_curated,
)
from pipelines.lake.datasets import DATASETS, MACRO, PRICES, Dataset, to_table
from pipelines.lake.files import remove_stale, write_parquet_atomic
from pipelines.lake.manifest import CuratedIntegrityError
from pipelines.lake.raw import raw_path, snapshot_id, write_raw

__all__ = ["DATASETS", "MACRO", "PRICES", "CuratedIntegrityError", "Dataset", "adopt_curated", "curated_max_date",
           "remove_stale",
           "curated_root", "raw_path", "read_curated", "read_price_window", "read_prices_wide", "snapshot_id",
           "to_table", "upsert_curated", "verify_curated", "write_parquet_atomic", "write_raw"]
