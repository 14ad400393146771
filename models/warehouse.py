"""Load the training step's staged rows: one transaction, replace by key (idempotent)."""

from __future__ import annotations

import pandas as pd

from pipelines.config import Settings
from pipelines.warehouse.db import connect
from pipelines.warehouse.sql_files import load_sql


def load_models(settings: Settings, staged: dict) -> dict[str, int]:
    out = {}
    with connect(settings) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            for table, path in staged["tables"].items():
                df = pd.read_parquet(path)
                if df.empty:
                    out[table] = 0
                    continue
                con.register("staged", df)
                con.execute(load_sql(f"app/models_replace_{table}.sql"))
                con.unregister("staged")
                out[table] = len(df)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return out
