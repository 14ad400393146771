"""The DAG folder parses cleanly and the DAGs are wired the way operators rely on."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parent.parent / "dags"
HEAVY = {"pandas", "numpy", "duckdb", "pyarrow", "sklearn", "scipy", "great_expectations", "pipelines", "models"}


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS), bundle_path=DAGS)


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


DAG_IDS = ("market_data", "portfolio_rebalance", "model_training", "account_rebalance")


def test_expected_dags_with_tags_owner_and_retries(dagbag):
    assert set(DAG_IDS) <= set(dagbag.dag_ids)
    for dag_id in DAG_IDS:
        dag = dagbag.dags[dag_id]
        assert "daa" in dag.tags and len(dag.tags) >= 2
        assert dag.doc_md and dag.doc_md.strip()
        assert dag.max_active_runs == 1
        for t in dag.tasks:
            assert t.owner == "portfolio-engineering"
            assert t.retry_exponential_backoff
            assert t.retries == 0  # DAA_TASK_RETRIES=0 in tests; production default is 2


def test_assets_link_the_dags(dagbag):
    md = dagbag.dags["market_data"]
    pr = dagbag.dags["portfolio_rebalance"]
    ar = dagbag.dags["account_rebalance"]
    published = {a.name for t in md.tasks for a in t.outlets}
    assert "curated_market_data" in published
    assert "curated_market_data" in repr(pr.timetable.asset_condition)
    assert "warehouse_portfolios" in {a.name for t in pr.tasks for a in t.outlets}
    assert "warehouse_portfolios" in repr(ar.timetable.asset_condition)


def test_writers_share_the_single_slot_pool(dagbag):
    from pipelines import steps

    for dag_id in DAG_IDS:
        for step in steps.steps_for(dag_id):
            expected = "duckdb_writer" if step.writer else "default_pool"
            assert dagbag.dags[dag_id].get_task(step.name).pool == expected, (dag_id, step.name)


@pytest.mark.parametrize("dag_id", DAG_IDS)
def test_dag_tasks_are_the_pipeline_steps(dagbag, dag_id):
    """Each DAG runs exactly the steps the pipeline definition gives it, in that order, each
    after the steps whose outputs it takes; the only other tasks are the scheduler glue."""
    from pipelines import steps

    dag = dagbag.dags[dag_id]
    spec = steps.steps_for(dag_id)
    glue = {"resolve_date", "list_portfolios", "list_shards", "has_new_prices", "publish"}
    work = [t.task_id for t in dag.topological_sort() if t.task_id not in glue]
    assert work == [s.name for s in spec]
    assert {t.task_id for t in dag.tasks} - set(work) <= glue
    for s in spec:
        upstream = dag.get_task(s.name).upstream_task_ids
        assert set(s.inputs) & {x.name for x in spec} <= upstream, (s.name, upstream)
        assert "resolve_date" in upstream
        if s.mapped:
            assert ("list_shards" if s.over == "shards" else "list_portfolios") in upstream


def test_every_daily_step_runs_in_a_dag_and_in_the_cli(dagbag):
    from pipelines import steps

    hosted = {(t.dag_id, t.task_id) for d in dagbag.dags.values() for t in d.tasks}
    for s in (*steps.DAILY, *steps.ACCOUNTS):
        assert (s.dag, s.name) in hosted


@pytest.mark.parametrize("path", sorted(DAGS.glob("*.py")), ids=lambda p: p.name)
def test_dag_files_have_no_heavy_top_level_imports(path):
    """DAG files are parsed on every scheduler loop: heavy imports belong inside tasks."""
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Import):
            names = [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [(node.module or "").split(".")[0]]
        else:
            continue
        if isinstance(node, ast.ImportFrom) and node.module == "pipelines" and \
                {a.name for a in node.names} <= {"orchestration", "steps"}:
            continue  # standard-library-only scheduling constants and the pipeline definition
        assert not set(names) & HEAVY, f"{path.name}: top-level import of {names}"
