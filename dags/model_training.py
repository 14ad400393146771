"""
### model_training

Weekly (Saturday morning, after Friday's close is ingested): the training pipeline of
`pipelines/steps.py`. Refits follow one walk-forward schedule (the first trading day of each
year) whichever runner trains them, so the model serving a date is a function of the date
alone; refits already in the registry are reused, so most weeks this only confirms the
registry is complete. A new refit is trained on the data known at its date (purged CV, TPE
tuning with a fixed seed and budget) and versioned with its metadata.

- **resolve_date**: the `as_of` parameter, else the latest curated trading day
- **train**: the refits due by the date; stage `model_versions`, `regimes`, `factor_exposures`
- **load**: the single DuckDB writer; publishes the `published_models` asset
"""

from __future__ import annotations

from airflow.sdk import Param, dag

from dags._wiring import build, record_failure
from pipelines import orchestration as orch

DAG_ID = "model_training"


@dag(
    dag_id=DAG_ID,
    schedule="0 6 * * 6",
    start_date=orch.START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args={**orch.task_defaults(), "on_failure_callback": record_failure},
    tags=["daa", "models"],
    doc_md=__doc__,
    params={"as_of": Param(None, type=["null", "string"], format="date",
                           description="Train on data known at this date (YYYY-MM-DD); default: "
                                       "the latest curated trading day")},
)
def model_training():
    build(DAG_ID)


model_training()

if __name__ == "__main__":
    model_training().test()
