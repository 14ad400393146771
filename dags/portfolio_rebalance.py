"""
### portfolio_rebalance

Runs when `market_data` publishes a validated trading day (asset `curated_market_data`).

Tasks (built from the pipeline definition in `pipelines/steps.py`, the same steps
`python -m pipelines run` runs):
- **resolve_date**, **list_portfolios**: the date and data snapshot from the asset event (or the
  `as_of` parameter), and the portfolios in `config/portfolios.yaml`
- **train**: the model refits due by the date (the first trading day of each year), if any
- **allocate** (mapped, one per portfolio, in parallel): advance the portfolio from its stored
  state to the date (target weights, trades, positions and NAV at the close); stage Parquet
- **load**: the single DuckDB writer (`duckdb_writer` pool): every staged portfolio and the model
  tables in one transaction; publishes `warehouse_portfolios`
- **analytics**: performance, attribution and the factor tables, replaced in one transaction
- **report**: the HTML reports under `$DAA_HOME/reports/`; the path is in the task log

A failed portfolio leaves the warehouse untouched; re-running a date replaces that date's rows
and never duplicates them. A failed task records itself in `pipeline_runs` with its reason.
"""

from __future__ import annotations

from airflow.sdk import Param, dag

from dags._wiring import ASSETS, build, record_failure
from pipelines import orchestration as orch

DAG_ID = "portfolio_rebalance"


@dag(
    dag_id=DAG_ID,
    schedule=[ASSETS["curated_market_data"]],
    start_date=orch.START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args={**orch.task_defaults(), "on_failure_callback": record_failure},
    tags=["daa", "allocation", "warehouse"],
    doc_md=__doc__,
    params={"as_of": Param(None, type=["null", "string"], format="date",
                           description="Trading date to process (YYYY-MM-DD); default: the asset event's date")},
)
def portfolio_rebalance():
    build(DAG_ID)


portfolio_rebalance()

if __name__ == "__main__":
    portfolio_rebalance().test()
