"""
### market_data

Every weekday after the US close: bring the Parquet lake up to the day's close and, when the
day is a trading day with data, publish the `curated_market_data` asset that starts
`portfolio_rebalance`.

| step | task | what it does |
| --- | --- | --- |
| lake | **lake.resolve_date** | the trading date (the `as_of` parameter, else the logical date) |
| lake | **lake.ingest** | fetch what became known by the close, store the raw batch, validate it |
| | | (Great Expectations), merge it into the curated lake |
| lake | **lake.is_trading_day** | stop on holidays or days without new prices |
| publish | **publish** | emit the asset event with the date and the data snapshot id |
| record | **record_run** | write the outcome to `pipeline_runs` (DuckDB writer pool) |

A failed task records itself in `pipeline_runs` (status `failed`, the reason in `message`).
Run it for a past date from the UI ("Trigger DAG w/ config") with `{"as_of": "2016-12-30"}`.
The logic lives in `pipelines.ingest`; this file only wires it.
"""

from __future__ import annotations

from airflow.sdk import Asset, Param, dag, task, task_group
from airflow.timetables.trigger import CronTriggerTimetable

from pipelines import orchestration as orch

CURATED_MARKET_DATA = Asset(*orch.CURATED_MARKET_DATA)


def _record_failure(context) -> None:
    """Task failure callback: the failure and its reason go to `pipeline_runs`."""
    from pipelines.callbacks import record_failure

    record_failure(context)


@dag(
    dag_id="market_data",
    schedule=CronTriggerTimetable(orch.MARKET_DATA_CRON, timezone=orch.MARKET_TZ),
    start_date=orch.START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args={**orch.task_defaults(), "on_failure_callback": _record_failure},
    tags=["daa", "ingest", "lake"],
    doc_md=__doc__,
    params={"as_of": Param(None, type=["null", "string"], format="date",
                           description="Trading date to ingest (YYYY-MM-DD); default: the logical date")},
)
def market_data():
    @task_group(group_id="lake", tooltip="Fetch, validate and merge the day's data into the curated lake")
    def lake():
        """Resolve the date, ingest and validate what the close brought, and decide whether the
        day is a trading day."""
        @task(doc_md="Resolve the trading date this run processes: the `as_of` parameter, else the "
                     "logical date (the schedule fires after the New York close).")
        def resolve_date(**context) -> str:
            return orch.resolve_as_of(context["params"], [], context.get("logical_date")).isoformat()

        @task(doc_md="Ingest everything known by the close of the date into the lake: raw batch, "
                     "Great Expectations validation (a failure quarantines the batch and fails this "
                     "task), curated merge. Returns the ingest summary.")
        def ingest(as_of: str) -> dict:
            import datetime as dt

            from airflow.sdk.exceptions import AirflowFailException

            from pipelines.config import Settings
            from pipelines.ingest.run import ingest as run_ingest
            from pipelines.quality.errors import ValidationFailed

            try:
                return run_ingest(Settings.from_env(), dt.date.fromisoformat(as_of)).to_dict()
            except ValidationFailed as exc:
                # A rejected batch fails the same way on every retry: fail now, no retries.
                raise AirflowFailException(str(exc)) from exc

        @task.short_circuit(doc_md="Continue to `publish` only when the date brought new prices "
                            "(weekends, holidays and future dates stop here).")
        def is_trading_day(summary: dict) -> bool:
            return bool(summary["is_trading_day"])

        summary = ingest(resolve_date())
        return summary, is_trading_day(summary)

    @task(outlets=[CURATED_MARKET_DATA],
          doc_md="Publish the `curated_market_data` asset event (extra: `as_of`, `snapshot_id`); "
                 "it schedules `portfolio_rebalance`.")
    def publish(summary: dict, *, outlet_events) -> str:
        outlet_events[CURATED_MARKET_DATA].extra = {
            "as_of": summary["as_of"], "snapshot_id": summary["snapshot_id"]}
        return summary["snapshot_id"]

    @task(pool=orch.WRITER_POOL, trigger_rule="none_failed",
          doc_md="Record the ingest in `pipeline_runs` (success, or skipped on a non-trading day) "
                 "and the quality gate's results in `validation_results`. Takes the single "
                 "`duckdb_writer` pool slot.")
    def record_run(summary: dict, **context) -> None:
        import datetime as dt

        from pipelines.config import Settings
        from pipelines.quality.results import record_pending
        from pipelines.warehouse.loader import record_run as record

        settings = Settings.from_env()
        record_pending(settings)  # the gate's staged results -> validation_results
        record(settings, context["run_id"], "market_data.ingest",
               "success" if summary["is_trading_day"] else "skipped",
               as_of=dt.date.fromisoformat(summary["as_of"]),
               rows_written=summary["price_rows"] + summary["macro_rows"],
               data_snapshot=summary["snapshot_id"],
               message=f"{summary['price_rows']} price rows, {summary['macro_rows']} macro rows")

    summary, trading = lake()
    trading >> publish(summary)
    record_run(summary)


market_data()

if __name__ == "__main__":
    market_data().test()
