"""
### account_rebalance

Runs when `portfolio_rebalance` has loaded the model portfolios of a day (asset
`warehouse_portfolios`): every client account is brought back to its model.

Tasks (built from the pipeline definition in `pipelines/steps.py`, the same steps
`python -m pipelines run` and `python -m pipelines accounts rebalance` run):
- **resolve_date**: the date and data snapshot from the asset event (or the `as_of` parameter)
- **prepare_accounts**: one read-only pass over the warehouse (the book, the state at the last
  checkpoint, the flows taking effect, the models' targets) staged per shard as Parquet
- **list_shards**, **rebalance_accounts** (mapped, one per shard of `shard_size` accounts, in
  parallel on the workers): fees, flows, cash flows first, drift beyond the tolerance back to
  target, NAV and returns; each reads only its staged files (no DuckDB lock) and stages Parquet
- **load_accounts**: the single DuckDB writer (`duckdb_writer` pool): account rows, the day's
  block orders, performance and checkpoints in one transaction; publishes `warehouse_accounts`
- **report**: the HTML reports with the day's accounts

Re-running a date replaces its rows (from the same state checkpoint: identical tables). A failed
task records itself in `pipeline_runs` with its reason.
"""

from __future__ import annotations

from airflow.sdk import Param, dag

from dags._wiring import ASSETS, build, record_failure
from pipelines import orchestration as orch

DAG_ID = "account_rebalance"


@dag(
    dag_id=DAG_ID,
    schedule=[ASSETS["warehouse_portfolios"]],
    start_date=orch.START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args={**orch.task_defaults(), "on_failure_callback": record_failure},
    tags=["daa", "accounts", "warehouse"],
    doc_md=__doc__,
    params={"as_of": Param(None, type=["null", "string"], format="date",
                           description="Trading date to process (YYYY-MM-DD); default: the asset event's date")},
)
def account_rebalance():
    build(DAG_ID)


account_rebalance()

if __name__ == "__main__":
    account_rebalance().test()
