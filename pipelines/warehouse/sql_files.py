"""SQL lives in `sql/`: this module loads it by name so no query is scattered through Python."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pipelines.config import REPO_ROOT

SQL_DIR = REPO_ROOT / "sql"


@cache
def load_sql(relative: str) -> str:
    path = SQL_DIR / relative
    if not path.exists():
        raise FileNotFoundError(f"SQL file not found: {path}")
    return path.read_text()


def migration_files() -> list[Path]:
    """Numbered migrations in order; the number is the schema version and must be unique."""
    files = sorted((SQL_DIR / "migrations").glob("[0-9][0-9][0-9]_*.sql"))
    numbers = [int(f.name[:3]) for f in files]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"two migrations share a number: {[f.name for f in files]}")
    return files


def sql_literal(value: str) -> str:
    """Quote a string as a SQL literal, for the few DDL spots that cannot take parameters."""
    return "'" + value.replace("'", "''") + "'"
