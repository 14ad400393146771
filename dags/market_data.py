"""
### market_data

Every weekday after the US close (in replay mode, every few minutes through the embedded
history): bring the Parquet lake up to the day's close and, when the day brought new prices,
publish the `curated_market_data` asset that starts `portfolio_rebalance`.

Tasks (built from the pipeline definition in `pipelines/steps.py`):
- **resolve_date**: the business date (the `as_of` parameter, the replay position or the logical date)
- **ingest**: fetch what became known by the close, store the raw batch, validate it with Great
  Expectations (a rejected batch is quarantined and fails the run, no retries), merge it into the
  curated lake; a day without new prices ends as skipped with a note
- **has_new_prices**, **publish**: stop on days without data; else emit the asset event
  (extra: `as_of`, `snapshot_id`)
- **record_validations**: the gate's results into `validation_results`, the ingest into `pipeline_runs`

A failed task records itself in `pipeline_runs` (status `failed`, the reason in `message`).
Run it for a past date from the UI ("Trigger DAG w/ config") with `{"as_of": "2016-12-30"}`.
"""

from __future__ import annotations

from airflow.sdk import Param, dag
from airflow.timetables.trigger import CronTriggerTimetable

from dags._wiring import build, record_failure
from pipelines import orchestration as orch

DAG_ID = "market_data"


@dag(
    dag_id=DAG_ID,
    schedule=CronTriggerTimetable(orch.market_data_schedule(), timezone=orch.MARKET_TZ),
    start_date=orch.START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args={**orch.task_defaults(), "on_failure_callback": record_failure},
    tags=["daa", "ingest", "lake"],
    doc_md=__doc__,
    params={"as_of": Param(None, type=["null", "string"], format="date",
                           description="Trading date to ingest (YYYY-MM-DD); default: the logical date")},
)
def market_data():
    build(DAG_ID)


market_data()

if __name__ == "__main__":
    market_data().test()
