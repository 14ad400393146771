"""Print an MD5 of every warehouse table's content, run metadata left out, to show that two
backfills (e.g. before and after a refactor) wrote the same rows bit for bit.

Each row is cast to text (DuckDB prints doubles in their shortest round-trip form, so equal text
means equal bits), the rows sorted and hashed. Columns that differ between any two runs by
design (run ids, wall-clock times, training seconds, code version, artifact paths) are left out.

    python scripts/table_hashes.py var/warehouse.duckdb [other/warehouse.duckdb]

With two warehouses it prints both hashes side by side and, for a table that differs, the
portfolios whose rows differ and, per numeric column over rows matched on the other columns, the
largest difference relative to the column's largest magnitude (a relative difference row by row
would blow up where a value is a rounding residue next to zero).
"""

from __future__ import annotations

import sys

import duckdb

RUN_METADATA = {"run_id", "applied_at", "started_at", "finished_at", "validated_at", "imported_at",
                "training_seconds", "code_version", "artifact_path", "metadata", "data_snapshot"}
SKIP_TABLES = {"pipeline_runs", "schema_migrations", "validation_results"}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    rows = con.execute("SELECT column_name, data_type FROM information_schema.columns "
                       "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position", [table]).fetchall()
    return [(c, t) for c, t in rows if c not in RUN_METADATA]


def table_hashes(path: str) -> dict[str, tuple[int, str]]:
    """{table: (rows, md5)} of every base table of the warehouse at `path`."""
    con = duckdb.connect(path, read_only=True)
    tables = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                        "'main' AND table_type = 'BASE TABLE' ORDER BY 1").fetchall()
              if t not in SKIP_TABLES]
    out = {}
    for t in tables:
        cols = ", ".join(f'"{c}"' for c, _ in _columns(con, t))
        n, digest = con.execute(f'SELECT count(*), md5(coalesce(string_agg(r, chr(10) ORDER BY r), \'\')) '
                                f'FROM (SELECT CAST(ROW({cols}) AS VARCHAR) AS r FROM "{t}")').fetchone()
        out[t] = (int(n), str(digest))
    con.close()
    return out


def _attach(con: duckdb.DuckDBPyConnection, path: str, alias: str) -> None:
    quoted = path.replace("'", "''")  # ATTACH takes no bound parameter
    con.execute(f"ATTACH '{quoted}' AS {alias} (READ_ONLY)")


def differences(a: str, b: str, table: str) -> tuple[list[str], dict[str, float]]:
    """(portfolios whose rows differ, {numeric column: max |x_a - x_b| / max |x_a|}), rows
    joined on the non-numeric columns."""
    con = duckdb.connect()
    _attach(con, a, "a")
    _attach(con, b, "b")
    con.execute("USE a")
    cols = _columns(con, table)
    numeric = [c for c, t in cols if t in ("DOUBLE", "FLOAT") or t.startswith("DECIMAL")]
    keys = [c for c, t in cols if c not in numeric and t not in ("JSON", "MAP")]
    if not numeric or not keys:
        return [], {}
    join = f'FROM a.main."{table}" x JOIN b.main."{table}" y ON ' + " AND ".join(
        f'x."{k}" IS NOT DISTINCT FROM y."{k}"' for k in keys)
    sel = ", ".join(f'max(abs(x."{c}" - y."{c}")) / greatest(max(abs(x."{c}")), 1e-300)' for c in numeric)
    row = con.execute(f"SELECT {sel} {join}").fetchone()
    portfolios: list[str] = []
    if "portfolio_id" in keys:
        differ = " OR ".join(f'x."{c}" IS DISTINCT FROM y."{c}"' for c in numeric)
        portfolios = [p for (p,) in con.execute(f"SELECT DISTINCT x.portfolio_id {join} WHERE {differ} ORDER BY 1")
                      .fetchall()]
    con.close()
    return portfolios, {c: float(v or 0.0) for c, v in zip(numeric, row, strict=True)}


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print(__doc__)
        return 2
    hashes = [table_hashes(p) for p in argv]
    names = sorted(set().union(*hashes))
    differ = 0
    for t in names:
        cells = [h.get(t, (0, "-")) for h in hashes]
        same = len(cells) == 1 or cells[0] == cells[1]
        differ += not same
        line = "  ".join(f"{n:>10,} {d}" for n, d in cells)
        print(f"{t:<26} {line}{'' if same else '  DIFFERS'}")
        if not same and all(t in h for h in hashes):
            portfolios, scaled = differences(argv[0], argv[1], t)
            if portfolios:
                print(f"{'':<28}rows differ for {', '.join(portfolios)}")
            for c, v in scaled.items():
                if v:
                    print(f"{'':<28}{c}: max difference {v:.1e} of the column's largest magnitude")
    if len(hashes) == 2:
        print(f"{len(names) - differ} of {len(names)} tables identical")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
