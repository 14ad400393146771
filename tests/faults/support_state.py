"""The state a fault test compares: warehouse rows without their lineage and clock columns,
and the curated lake's partition checksums (a plain module, imported by the fault tests)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from support import REPO

# What a rerun legitimately changes: who ran it and when.
LINEAGE = {"run_id", "data_snapshot"}
RUN_TABLES = {"pipeline_runs", "validation_results", "schema_migrations"}


def warehouse_rows(home: Path) -> dict[str, list]:
    """Every base table's rows, sorted, without run ids and timestamps (run bookkeeping tables
    left out: they record each attempt)."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        out = {}
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT internal "
                                            "ORDER BY 1").fetchall() if t not in RUN_TABLES]
        for table in tables:
            cols = [c for c, kind in con.execute(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
                [table]).fetchall() if c not in LINEAGE and not kind.startswith("TIMESTAMP")]
            names = ", ".join(f'"{c}"' for c in cols)
            out[table] = con.execute(f'SELECT {names} FROM "{table}" ORDER BY ALL').fetchall()
        return out
    finally:
        con.close()


def run_rows(home: Path) -> list[tuple]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute("SELECT run_id, step, status FROM pipeline_runs ORDER BY ALL").fetchall()
    finally:
        con.close()


def curated_hashes(home: Path) -> dict[str, str]:
    """sha256 of every curated data file (the manifests record the same, verified on read)."""
    root = home / "lake" / "curated"
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*.parquet"))}


def manifests(home: Path) -> dict[str, dict]:
    root = home / "lake" / "curated"
    return {str(p.relative_to(root)): json.loads(p.read_text()) for p in sorted(root.rglob("_manifest.json"))}


def copy_home(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("staging", "airflow"))
    return dst


def cli(home: Path, config: Path, *argv: str, env: dict[str, str] | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("DAA_FAULT")}
    full.update({"DAA_HOME": str(home), "DAA_CONFIG_DIR": str(config), **(env or {})})
    return subprocess.run([sys.executable, "-m", "pipelines", *argv], capture_output=True, text=True,
                          cwd=REPO, env=full, timeout=timeout)
