"""Failure callbacks: a failed task leaves a `failed` row with its reason in `pipeline_runs`."""

from __future__ import annotations

import datetime as dt
import types

import duckdb

from support import REPO


def _rows(settings, run_id):
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute("SELECT step, status, as_of, message FROM pipeline_runs WHERE run_id = ? ORDER BY step",
                           [run_id]).fetchall()
    finally:
        con.close()


def test_record_failure_from_a_callback_context(home):
    from pipelines.callbacks import record_failure

    ti = types.SimpleNamespace(dag_id="portfolio_rebalance", task_id="allocate.compute", map_index=1)
    record_failure({"ti": ti, "run_id": "manual__x", "params": {"as_of": "2016-12-30"},
                    "exception": ValueError("portfolio 'p1', field 'weights': sum is 1.2")})
    assert _rows(home, "manual__x") == [
        ("portfolio_rebalance.allocate.compute[1]", "failed", dt.date(2016, 12, 30),
         "ValueError: portfolio 'p1', field 'weights': sum is 1.2")]


def test_a_failed_dag_run_records_the_failed_task_with_its_reason(home, airflow_db):
    import pendulum
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"), bundle_path=REPO / "dags")
    dag = bag.dags["portfolio_rebalance"]
    day = dt.date(2017, 1, 3)  # never ingested in the base home: the run must fail
    dr = dag.test(logical_date=pendulum.datetime(2017, 1, 3, tz="UTC"), run_conf={"as_of": day.isoformat()})
    assert dr.state == "failed"
    failed = [r for r in _rows(home, dr.run_id) if r[1] == "failed"]
    assert failed, "no failed step recorded"
    step, _, as_of, message = failed[0]
    assert step.startswith("portfolio_rebalance.") and as_of == day
    assert message and len(message) > 10
