"""
### model_training

Weekly (Saturday morning, after Friday's close is ingested): brings the regime models up to
the last trading day. Walk-forward refits already in the registry are reused; a new refit is
trained on the data known at that date (purged CV, TPE tuning with a fixed seed and budget),
stored as a versioned artifact with its metadata, and its regime predictions and the factor
exposures are staged. One writer task loads `model_versions`, `regimes` and
`factor_exposures` and publishes the `published_models` asset. Rebalances for dates after the
training date use the new version (the registry serves only models trained before a date).
"""

from __future__ import annotations

from airflow.sdk import Asset, Param, dag, task

from pipelines import orchestration as orch

PUBLISHED_MODELS = Asset("published_models", uri="daa://models/published")


@dag(
    dag_id="model_training",
    schedule="0 6 * * 6",
    start_date=orch.START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=orch.task_defaults(),
    tags=["daa", "models"],
    doc_md=__doc__,
    params={"as_of": Param(None, type=["null", "string"], format="date",
                           description="Train on data known at this date (YYYY-MM-DD); default: "
                                       "the latest curated trading day")},
)
def model_training():
    @task(doc_md="Train what is missing up to the date and stage the rows.")
    def train(**context) -> dict:
        import datetime as dt

        from pipelines import lake
        from pipelines.config import Settings
        from pipelines.modeling.training import train_and_publish

        settings = Settings.from_env()
        raw = (context.get("params") or {}).get("as_of")
        as_of = dt.date.fromisoformat(raw) if raw else lake.curated_max_date(settings, lake.PRICES)
        return train_and_publish(settings, as_of, context["run_id"], lake.snapshot_id(settings, as_of)
                                 if (settings.raw_dir).exists() else f"lake@{as_of}")

    @task(pool=orch.WRITER_POOL, outlets=[PUBLISHED_MODELS],
          doc_md="The single DuckDB writer: model versions, regimes and factor exposures.")
    def load(staged: dict, **context) -> dict:
        from pipelines.config import Settings
        from pipelines.modeling.loading import load_models

        rows = load_models(Settings.from_env(), staged)
        context["outlet_events"][PUBLISHED_MODELS].extra = {
            "as_of": staged["as_of"], "published": staged["published"]}
        return rows

    load(train())


model_training()

if __name__ == "__main__":
    model_training().test()
