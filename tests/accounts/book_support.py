"""Helpers of the account tests (import as `from book_support import ...`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

BOOK_START = dt.date(2016, 1, 4)
ACCOUNT_TABLES = {"account_nav": "date", "account_trades": "trade_date", "block_orders": "trade_date",
                  "account_holdings": "date", "account_flows": "date", "account_state": "date",
                  "account_performance": None}


def snapshot(path: Path, through: dt.date | None = None, state_dates: list[dt.date] | None = None) -> dict:
    """Every account table without its run id: rows on or before `through` when given (then
    without account_performance, which is as of the last day), checkpoints of `state_dates` only
    when given."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for table, col in ACCOUNT_TABLES.items():
            if through and not col:
                continue
            where = [f"{col} <= DATE '{through}'"] if through else []
            if table == "account_state" and state_dates is not None:
                where.append("date IN (" + ", ".join(f"DATE '{d}'" for d in state_dates) + ")")
            sql = f"SELECT * EXCLUDE (run_id) FROM {table}" + (" WHERE " + " AND ".join(where) if where else "")
            out[table] = con.execute(sql + " ORDER BY ALL").fetchall()
        return out
    finally:
        con.close()


def checkpoint_dates(path: Path) -> list[dt.date]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [d for (d,) in con.execute("SELECT DISTINCT date FROM account_state ORDER BY 1").fetchall()]
    finally:
        con.close()


def as_of_close(path: Path, day: dt.date) -> None:
    """Cut the account tables back to what they were at the close of `day` (a book that has run
    up to that day): later rows and checkpoints go."""
    con = duckdb.connect(str(path))
    try:
        for table, col in ACCOUNT_TABLES.items():
            if col:
                con.execute(f"DELETE FROM {table} WHERE {col} > ?", [day])
    finally:
        con.close()
