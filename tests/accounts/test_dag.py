"""A real Airflow run of account_rebalance (`dag.test()`): the shards as mapped tasks, one loader,
the same tables as the CLI's account run, and a re-run that changes nothing."""

from __future__ import annotations

import shutil

import duckdb
from book_support import snapshot

from support import NEXT_DAY


def _dag(dag_id: str):
    from airflow.dag_processing.dagbag import DagBag

    from support import REPO

    bag = DagBag(dag_folder=str(REPO / "dags"), bundle_path=REPO / "dags")
    assert not bag.import_errors, bag.import_errors
    return bag.dags[dag_id]


def _models_for_next_day(settings) -> None:
    """market_data and portfolio_rebalance's steps for NEXT_DAY, in-process."""
    from pipelines import steps
    from pipelines.run_steps import RunContext
    from pipelines.runner import run_steps

    ctx = RunContext.for_settings(settings, as_of=NEXT_DAY, run_id="test-models-next-day")
    run_steps(ctx, steps.DAILY, skip=("report",))


def _run_accounts_dag():
    import pendulum

    dr = _dag("account_rebalance").test(logical_date=pendulum.datetime(NEXT_DAY.year, NEXT_DAY.month, NEXT_DAY.day,
                                                                       tz="UTC"),
                                        run_conf={"as_of": NEXT_DAY.isoformat()})
    assert dr.state == "success", f"account_rebalance ended {dr.state}"
    return dr


def test_account_rebalance_dag_runs_the_shards_and_matches_the_cli(book, book_home, tmp_path, use_home, airflow_db):
    from pipelines.runner import run_accounts

    settings = book
    cli_home = tmp_path / "cli-home"
    shutil.copytree(settings.data_root, cli_home, ignore=shutil.ignore_patterns("staging", "airflow"))
    _models_for_next_day(settings)
    dr = _run_accounts_dag()
    tis = {(t.task_id, t.map_index): t.state for t in dr.get_task_instances()}
    shards = sorted(k for k in tis if k[0] == "rebalance_accounts")
    assert [m for _, m in shards] == [0, 1, 2], "300 accounts in shards of 120"
    assert all(tis[k] == "success" for k in shards) and tis[("load_accounts", -1)] == "success"
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    n = con.execute("SELECT count(*), min(run_id), max(run_id) FROM account_nav WHERE date = ?", [NEXT_DAY]).fetchone()
    books = con.execute("SELECT count(*) FROM accounts WHERE inception <= ?", [NEXT_DAY]).fetchone()[0]
    runs = dict(con.execute("SELECT step, status FROM pipeline_runs WHERE run_id = ?", [dr.run_id]).fetchall())
    con.close()
    assert n[0] == books and n[1] == n[2] == dr.run_id
    assert runs.get("account_rebalance.load_accounts") == "success"
    scheduled = snapshot(settings.warehouse_path)

    cli = use_home(cli_home, settings.config_dir)
    _models_for_next_day(cli)
    run_accounts(cli, NEXT_DAY)
    assert snapshot(cli.warehouse_path) == scheduled, "the DAG and the CLI left different account tables"

    use_home(settings.data_root, settings.config_dir)
    _run_accounts_dag()
    assert snapshot(settings.warehouse_path) == scheduled, "re-running the day changed the account tables"
