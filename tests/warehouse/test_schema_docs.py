"""The documented schema on a real backfilled warehouse: every table, column and view has a
comment, the committed docs/schema.md is what the generator writes, every table names its
writer, migration 007 renames `performance.window` to `horizon` keeping the rows, and
v_current_holdings adds the cash that positions leave out."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.config import Settings
from pipelines.schema_docs import PAGE, describe, generate, load_writers, main, missing_comments
from pipelines.warehouse.db import migrate
from pipelines.warehouse.sql_files import migration_files


@pytest.fixture(scope="module")
def warehouse(base_home) -> Path:
    """The base home's warehouse (backfilled with every migration applied), opened read-only."""
    home, _ = base_home
    return home / "warehouse.duckdb"


def _relations(path: Path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return describe(con)
    finally:
        con.close()


def test_every_table_column_and_view_has_a_comment(warehouse):
    relations = _relations(warehouse)
    names = {r.name for r in relations}
    assert {"nav", "positions", "trades", "performance", "factor_exposures", "v_current_holdings",
            "v_latest_allocations", "prices", "macro"} <= names
    assert missing_comments(relations) == []
    assert sum(len(r.columns) for r in relations) > 200


def test_a_missing_comment_is_reported(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE TABLE documented (a INTEGER, b INTEGER)")
    con.execute("COMMENT ON TABLE documented IS 'a table'")
    con.execute("COMMENT ON COLUMN documented.a IS 'a column'")
    con.execute("CREATE VIEW v AS SELECT a FROM documented")
    assert missing_comments(describe(con)) == ["documented.b", "v", "v.a"]
    con.close()


def test_committed_schema_page_is_up_to_date(warehouse):
    text, missing = generate(warehouse)
    assert missing == []
    assert PAGE.read_text() == text, \
        "docs/schema.md is out of date: run python -m pipelines.schema_docs"
    for r in _relations(warehouse):
        assert f"### {r.name}\n" in text
        for c in r.columns:
            assert f"| `{c.name}` | {c.data_type} |" in text


def test_the_check_command_fails_on_a_stale_page(tmp_path, capsys):
    stale = tmp_path / "schema.md"
    stale.write_text(PAGE.read_text().replace("Net asset value", "Something else"))
    assert main(["--check", "--out", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert main(["--check", "--out", str(PAGE)]) == 0   # a fresh warehouse gives the committed page


def test_every_table_names_its_writer(warehouse):
    tables = {r.name for r in _relations(warehouse) if r.kind == "table"}
    writers = load_writers()
    assert set(writers) == tables
    for table, w in writers.items():
        assert {"dag_task", "cli", "code"} <= set(w), table


def test_window_is_renamed_to_horizon_keeping_the_rows(tmp_path):
    """A warehouse migrated before 007, with performance rows, keeps them under `horizon`."""
    settings = Settings(data_root=tmp_path, config_dir=Path("config").resolve())
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                " applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)")
    for f in migration_files():
        if int(f.name[:3]) < 7:
            con.execute(f.read_text())
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                        [int(f.name[:3]), f.name])
    con.execute("""INSERT INTO performance (portfolio_id, "window", as_of, start_date, end_date,
                   observations, cagr, run_id) VALUES ('p', 'ytd', DATE '2017-03-28',
                   DATE '2017-01-03', DATE '2017-03-28', 58, 0.1667, 'r')""")
    assert "007_schema_comments.sql" in migrate(con, settings)
    cols = [c for (c,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'performance'").fetchall()]
    assert "horizon" in cols and "window" not in cols
    assert con.execute("SELECT portfolio_id, horizon, cagr FROM performance").fetchall() == \
        [("p", "ytd", 0.1667)]
    # the check constraint and the key follow the column
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO performance (portfolio_id, horizon, as_of, start_date, end_date, "
                    "observations, run_id) VALUES ('p', '2y', DATE '2017-03-28', DATE '2016-01-04', "
                    "DATE '2017-03-28', 300, 'r')")
    con.close()


def test_current_holdings_are_positions_plus_cash_and_sum_to_one(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        sums = dict(con.execute("SELECT portfolio_id, sum(weight) FROM v_current_holdings "
                                "GROUP BY 1").fetchall())
        assert set(sums) == {"static_60_40", "equal_weight_stocks"}
        assert all(abs(s - 1) < 1e-9 for s in sums.values())
        cash = con.execute("""
            SELECT h.portfolio_id, h.market_value, n.cash, h.date = (SELECT max(date) FROM nav
                   WHERE portfolio_id = h.portfolio_id)
            FROM v_current_holdings h JOIN nav n USING (portfolio_id, date)
            WHERE h.quantity IS NULL""").fetchall()
        assert len(cash) == 2 and all(mv == c and latest for _, mv, c, latest in cash)
        # the other rows are exactly the non-zero positions of the latest date
        held, positions = con.execute("""
            SELECT (SELECT count(*) FROM v_current_holdings WHERE quantity IS NOT NULL),
                   (SELECT count(*) FROM positions p WHERE quantity <> 0 AND date = (SELECT max(date)
                    FROM nav n WHERE n.portfolio_id = p.portfolio_id))""").fetchone()
        assert held == positions > 0
        # while the target weights are those of the last rebalance, dated before the last close
        last_target, last_nav = con.execute(
            "SELECT (SELECT max(date) FROM v_latest_allocations WHERE portfolio_id = 'static_60_40'),"
            " (SELECT max(date) FROM nav WHERE portfolio_id = 'static_60_40')").fetchone()
        assert last_target < last_nav
    finally:
        con.close()
