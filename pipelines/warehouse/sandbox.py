"""Ad-hoc SQL against the warehouse in a sandbox (what `python -m pipelines query` runs).

The connection is the warehouse opened read-only, then closed in with DuckDB's own controls:

- `allowed_directories` = the curated lake (what the lake views read), then
  `enable_external_access = false`: no other file or URL can be read, written, globbed or
  attached (`COPY ... TO`, `EXPORT DATABASE`, `read_csv('/etc/passwd')`, `glob('/home/*')`,
  `ATTACH`, `https://...` are all refused by DuckDB itself);
- `autoinstall_known_extensions` / `autoload_known_extensions` off: no extension is downloaded
  or loaded (`INSTALL httpfs` is refused);
- `lock_configuration = true`: no `SET`/`RESET` can give any of it back.

On top of that, before anything runs: one statement, of type SELECT (which covers `WITH`,
`VALUES`, `FROM t`, `DESCRIBE`, `SUMMARIZE`, `SHOW`), at most `MAX_SQL_CHARS` characters, since
a COPY into the allowed lake directory would otherwise be a write. A statement that runs longer
than its timeout is interrupted (`con.interrupt()` from a timer thread). Every refusal is a
`QueryRefused` with a one-line message.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import duckdb
import pandas as pd

from pipelines.config import Settings
from pipelines.warehouse.db import connect

MAX_SQL_CHARS = 50_000
DEFAULT_TIMEOUT_SECONDS = 60.0
ALLOWED_STATEMENTS = {duckdb.StatementType.SELECT}
# Set before the database starts (they cannot be changed later on a read-only connection).
STARTUP_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


class QueryRefused(ValueError):
    """The sandbox refused or stopped a query; the message is one line for the user."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def check_sql(sql: str) -> str:
    """The single SELECT statement of `sql`, or `QueryRefused` saying why not."""
    if len(sql) > MAX_SQL_CHARS:
        raise QueryRefused(f"query refused: {len(sql):,} characters, the limit is {MAX_SQL_CHARS:,}")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryRefused(f"query refused: {_first_line(exc)}") from None
    if len(statements) != 1:
        raise QueryRefused(f"query refused: one statement at a time, got {len(statements)}")
    kind = statements[0].type
    if kind not in ALLOWED_STATEMENTS:
        raise QueryRefused(f"query refused: query is read-only and runs SELECT statements only, "
                           f"not {kind.name}")
    return sql


@contextlib.contextmanager
def sandboxed(settings: Settings, wait: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse, read-only, reaching no file but the curated lake's, configuration locked."""
    kwargs = {} if wait is None else {"wait": wait}
    with connect(settings, read_only=True, config=STARTUP_CONFIG, **kwargs) as con:
        lake_dir = str(settings.curated_dir.resolve()).rstrip("/") + "/"
        con.execute("SET allowed_directories = $dirs", {"dirs": [lake_dir]})
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        yield con


def run_query(settings: Settings, sql: str, params: Mapping[str, Any] | None = None,
              timeout: float = DEFAULT_TIMEOUT_SECONDS) -> pd.DataFrame:
    """Run one checked SELECT in the sandbox with bound `params`; stop it after `timeout` s."""
    check_sql(sql)
    with sandboxed(settings) as con:
        timer = threading.Timer(timeout, con.interrupt)
        timer.daemon = True
        timer.start()
        try:
            return con.execute(sql, dict(params or {})).df()
        except duckdb.InterruptException:
            raise QueryRefused(f"query stopped: still running after {timeout:g} s (--timeout)") from None
        except duckdb.PermissionException as exc:
            raise QueryRefused(f"query refused: {_first_line(exc)} (query reads the warehouse and "
                               f"the curated lake only)") from None
        except duckdb.Error as exc:
            raise QueryRefused(f"query failed: {_first_line(exc)}") from None
        finally:
            timer.cancel()
