"""Constants and helpers shared by the quality tests (imported as a plain module)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

BACKFILL_START = dt.date(2015, 7, 1)
BACKFILL_END = dt.date(2016, 6, 30)
AS_OF = dt.date(2016, 7, 1)          # the next trading day, ingested by each test
WINDOW_START = dt.date(2016, 6, 21)  # the default overlap window: (as_of - 10 days, as_of]


def fingerprint(home: Path) -> dict[str, str]:
    """Hash of every file that must not change when a batch is rejected."""
    out = {}
    for p in sorted([home / "warehouse.duckdb", *(home / "lake" / "curated").rglob("*"),
                     *(home / "lake" / "raw").rglob("*")]):
        if p.is_file():
            out[str(p.relative_to(home))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def warehouse_tables(home: Path) -> dict[str, list]:
    import duckdb

    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type='BASE TABLE' "
            "ORDER BY 1").fetchall()]
        return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY ALL').fetchall() for n in names}
    finally:
        con.close()
