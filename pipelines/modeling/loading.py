"""Load the training step's staged rows: one transaction, replace by key (idempotent)."""

from __future__ import annotations

from pipelines.config import Settings
from pipelines.warehouse.writer import transaction


def load_models(settings: Settings, staged: dict) -> dict[str, int]:
    out = {}
    with transaction(settings) as w:
        for table, path in staged["tables"].items():
            out[table] = int(_rows(path))
            if out[table]:
                w.run(f"app/models_replace_{table}.sql", {"path": str(path)})
    return out


def _rows(path: str) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows
