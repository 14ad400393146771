"""The one way to write the warehouse: a transaction that commits everything or nothing.

Every writing step (the portfolio loader, analytics, model tables, validation results, run
records) opens `transaction(settings)` and issues named SQL files from `sql/` through it; frames
are staged as Parquet in a private temp folder and inserted from there. On any error the
transaction rolls back and the warehouse keeps its previous state. Only one process writes at a
time (the Airflow tasks that call this share the single-slot `duckdb_writer` pool).
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pipelines.config import Settings
from pipelines.lake.files import write_parquet_atomic
from pipelines.warehouse.db import connect
from pipelines.warehouse.sql_files import load_sql

TABLE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def _table(name: str) -> str:
    """A table name from our own code, checked before it is formatted into SQL text."""
    if not TABLE.match(name):
        raise ValueError(f"not a table name: {name!r}")
    return name


def _statements(text: str) -> list[str]:
    """The statements of one of our SQL files (no `;` inside literals there), comments kept."""
    parts = [s.strip() for s in text.split(";")]
    return [s for s in parts if any(line.strip() and not line.strip().startswith("--")
                                     for line in s.splitlines())]


class Writer:
    """A write transaction in progress: named SQL statements and staged inserts."""

    def __init__(self, con: duckdb.DuckDBPyConnection, tmp: Path) -> None:
        self.con = con
        self._tmp = tmp
        self._n = 0

    def run(self, sql_file: str, params: Mapping[str, Any] | None = None, *, table: str | None = None,
            **fmt: str) -> None:
        """Execute `sql/<sql_file>` with bound `params`; `{table}` and other placeholders are
        filled with checked identifiers only."""
        text = load_sql(sql_file)
        names = {k: _table(v) for k, v in ({"table": table} if table else {}).items()}
        names.update({k: _table(v) for k, v in fmt.items()})
        if names:
            text = text.format(**names)
        params = dict(params or {})
        for statement in _statements(text):
            used = {k: v for k, v in params.items() if re.search(rf"\${k}\b", statement)}
            self.con.execute(statement, used)

    def stage(self, df: pd.DataFrame) -> Path:
        """Write `df` to a Parquet file in this transaction's temp folder; return its path."""
        self._n += 1
        return write_parquet_atomic(df, self._tmp / f"frame{self._n}.parquet")

    def insert(self, table: str, data: pd.DataFrame | str | Path) -> int:
        """Insert a frame (or a staged Parquet file) into `table`, columns by name."""
        path = self.stage(data) if isinstance(data, pd.DataFrame) else Path(data)
        self.run("app/insert_staged.sql", {"path": str(path)}, table=table)
        return len(data) if isinstance(data, pd.DataFrame) else -1


@contextlib.contextmanager
def transaction(settings: Settings, wait: float | None = None) -> Iterator[Writer]:
    """Open the warehouse read-write (pending migrations applied), BEGIN, yield a `Writer`,
    COMMIT when the block ends normally and ROLLBACK on any exception."""
    opened = connect(settings) if wait is None else connect(settings, wait=wait)
    with tempfile.TemporaryDirectory(prefix="daa-write-") as tmp, opened as con:
        con.execute("BEGIN TRANSACTION")
        try:
            yield Writer(con, Path(tmp))
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
