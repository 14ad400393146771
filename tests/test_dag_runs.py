"""End-to-end: real Airflow DAG runs (`dag.test()`) into a temp data root, twice."""

from __future__ import annotations

import datetime as dt

import duckdb

from support import BASE_END, NEXT_DAY

TABLES = {"nav": "date", "positions": "date", "trades": "trade_date", "target_weights": "date"}


def _dag(dag_id):
    from airflow.dag_processing.dagbag import DagBag

    from support import REPO

    bag = DagBag(dag_folder=str(REPO / "dags"), bundle_path=REPO / "dags")
    assert not bag.import_errors, bag.import_errors
    return bag.dags[dag_id]


def _snapshot(settings):
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return {t: con.execute(f"SELECT * EXCLUDE (run_id) FROM {t} ORDER BY ALL").fetchall() for t in TABLES}
    finally:
        con.close()


def _run(dag_id, day: dt.date):
    import pendulum

    dr = _dag(dag_id).test(logical_date=pendulum.datetime(day.year, day.month, day.day, tz="UTC"),
                           run_conf={"as_of": day.isoformat()})
    assert dr.state == "success", f"{dag_id} ended {dr.state}"
    return dr


def test_market_data_then_rebalance_end_to_end_and_idempotent(home, airflow_db):
    settings = home
    before = _snapshot(settings)
    dr_md = _run("market_data", NEXT_DAY)
    dr_pr = _run("portfolio_rebalance", NEXT_DAY)

    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    nav = con.execute("SELECT portfolio_id, nav, run_id FROM nav WHERE date = ? ORDER BY 1", [NEXT_DAY]).fetchall()
    assert [r[0] for r in nav] == ["equal_weight_stocks", "static_60_40"]
    assert all(r[1] > 0 and r[2] == dr_pr.run_id for r in nav)
    runs = dict(con.execute("SELECT step, status FROM pipeline_runs WHERE run_id IN (?, ?)",
                            [dr_md.run_id, dr_pr.run_id]).fetchall())
    assert runs == {"market_data.ingest": "success", "portfolio_rebalance.load": "success",
                    "portfolio_rebalance.analytics": "success"}
    # The quality gate's results for the day reached the warehouse through the writer task.
    checks = con.execute("SELECT count(*), count(*) FILTER (WHERE success) FROM validation_results "
                         "WHERE as_of = ?", [NEXT_DAY]).fetchone()
    assert checks[0] >= 10 and checks[0] == checks[1]
    # Earlier history is untouched by the daily run.
    old = con.execute("SELECT count(*) FROM nav WHERE date <= ?", [BASE_END]).fetchone()[0]
    con.close()
    assert old == len(before["nav"])

    first = _snapshot(settings)
    _run("market_data", NEXT_DAY)
    _run("portfolio_rebalance", NEXT_DAY)
    assert _snapshot(settings) == first, "re-running the date changed the tables"
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    for table, col in TABLES.items():
        dupes = con.execute(f"SELECT count(*) FROM (SELECT {col}, portfolio_id, "
                            f"{'symbol' if table != 'nav' else '1'} FROM {table} "
                            "GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]
        assert dupes == 0, f"duplicate rows in {table}"
    con.close()


def test_rebalance_refuses_a_date_that_was_never_ingested(home, airflow_db):
    import pendulum

    day = dt.date(2017, 1, 3)  # after the base home's data; market_data did not run for it
    dr = _dag("portfolio_rebalance").test(logical_date=pendulum.datetime(2017, 1, 3, tz="UTC"),
                                          run_conf={"as_of": day.isoformat()})
    assert dr.state == "failed"
    con = duckdb.connect(str(home.warehouse_path), read_only=True)
    assert con.execute("SELECT count(*) FROM nav WHERE date > ?", [BASE_END]).fetchone()[0] == 0
    con.close()


WAREHOUSE_TABLES = ["nav", "positions", "trades", "target_weights", "performance", "attribution",
                    "factor_exposures", "factor_attribution", "model_versions", "regimes", "assets", "portfolios"]
LINEAGE = {"run_id", "data_snapshot", "created_at"}


def _all_rows(settings):
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        out = {}
        for t in WAREHOUSE_TABLES:
            cols = [c for (c,) in con.execute("SELECT column_name FROM information_schema.columns "
                                              "WHERE table_name = ? ORDER BY ordinal_position", [t]).fetchall()
                    if c not in LINEAGE]
            out[t] = con.execute(f"SELECT {', '.join(chr(34) + c + chr(34) for c in cols)} FROM {t} "
                                 "ORDER BY ALL").fetchall()
        return out
    finally:
        con.close()


def test_scheduled_run_leaves_the_same_tables_as_the_cli_run(home, base_home, tmp_path, use_home, airflow_db):
    """The DAGs and `python -m pipelines run` are built from one step list: row for row, every
    table a run writes (analytics and factor tables included) is the same after either."""
    import shutil

    from pipelines.cli import main

    cli_home = tmp_path / "cli-home"
    shutil.copytree(base_home[0], cli_home, ignore=shutil.ignore_patterns("staging", "airflow"))
    _run("market_data", NEXT_DAY)
    _run("portfolio_rebalance", NEXT_DAY)
    scheduled = _all_rows(home)
    cli_settings = use_home(cli_home, base_home[1])
    assert main(["run", "--date", NEXT_DAY.isoformat()]) == 0
    by_cli = _all_rows(cli_settings)
    for table in WAREHOUSE_TABLES:
        assert scheduled[table] == by_cli[table], f"{table} differs between the DAG run and the CLI run"
    assert any(r for r in scheduled["performance"]), "analytics rows are missing"
