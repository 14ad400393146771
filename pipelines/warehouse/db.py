"""DuckDB connections and schema migrations.

One writer at a time: only loader steps open the warehouse read-write, and the Airflow tasks
that do so share a single-slot pool. Readers open read-only; a reader or writer that meets a
lock held by another process waits with backoff for a bounded time, then fails clearly.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator

import duckdb

from pipelines.config import Settings
from pipelines.warehouse.sql_files import load_sql, migration_files, sql_literal

log = logging.getLogger(__name__)

LOCK_WAIT_SECONDS = float(os.environ.get("DAA_LOCK_WAIT_SECONDS", "120"))
"""How long a connection waits for a lock another process holds (DAA_LOCK_WAIT_SECONDS)."""


def _open(path: str, read_only: bool, wait: float, config: dict | None = None) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait
    delay = 0.05
    said = False
    while True:
        try:
            return duckdb.connect(path, read_only=read_only, config=dict(config or {}))
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise RuntimeError(f"cannot open warehouse {path} (read_only={read_only}) within {wait:g} s: "
                                   f"{str(exc).splitlines()[0]}") from None
            if not said:  # a wait says what it waits for, once
                log.warning("waiting up to %.0f s for the warehouse %s: another process holds its lock",
                            wait, path)
                said = True
            log.info("warehouse locked by another process, retrying in %.2fs", delay)
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


@contextlib.contextmanager
def connect(settings: Settings, read_only: bool = False, wait: float = LOCK_WAIT_SECONDS,
            config: dict | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse; read-write connections apply pending migrations first."""
    path = settings.warehouse_path
    if read_only and not path.exists():
        raise FileNotFoundError(f"warehouse {path} does not exist yet; run the pipeline first")
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _open(str(path), read_only, wait, config)
    try:
        if not read_only:
            migrate(con, settings)
        yield con
    finally:
        con.close()


def table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Tables and views of the open warehouse."""
    return {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def migrate(con: duckdb.DuckDBPyConnection, settings: Settings) -> list[str]:
    """Apply numbered migrations not yet applied, each in its own transaction; refresh views."""
    con.execute("""CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)""")
    done = {v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for f in migration_files():
        version = int(f.name[:3])
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f.read_text())
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, f.name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(f.name)
        log.info("applied migration %s", f.name)
    refresh_views(con, settings)
    return applied


def refresh_views(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """(Re)create views; lake views point at this DAA_HOME's curated Parquet when it exists."""
    curated = settings.curated_dir
    if (curated / "prices").exists() and (curated / "macro").exists():
        ddl = load_sql("views/lake.sql").format(
            curated_prices=sql_literal(str(curated / "prices" / "*" / "*.parquet")),
            curated_macro=sql_literal(str(curated / "macro" / "*" / "*.parquet")))
        con.execute(ddl)
    con.execute(load_sql("views/reporting.sql"))
    con.execute(load_sql("views/accounts.sql"))
    if "prices" in table_names(con):
        con.execute(load_sql("views/accounts_lake.sql"))
