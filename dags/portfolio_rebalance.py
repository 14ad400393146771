"""
### portfolio_rebalance

Runs when `market_data` publishes a validated trading day (asset `curated_market_data`).

- **prepare.resolve_date**, **prepare.list_portfolios**: the date and data snapshot from the
  asset event (or the `as_of` parameter), and the portfolios in `config/portfolios.yaml`
- **allocate.compute** (mapped, one per portfolio, in parallel): advance the portfolio from its
  stored state to the date (target weights, trades, positions and NAV at the close); stage Parquet
- **load**: the single DuckDB writer (`duckdb_writer` pool): every staged portfolio in one
  transaction; publishes `warehouse_portfolios`
- **report**: the HTML reports under `$DAA_HOME/reports/`; the path is in the task log

A failed portfolio leaves the warehouse untouched; re-running a date replaces that date's rows
and never duplicates them. A failed task records itself in `pipeline_runs` with its reason.
"""

from __future__ import annotations

from airflow.sdk import Asset, Param, dag, task, task_group

from pipelines import orchestration as orch

CURATED_MARKET_DATA = Asset(*orch.CURATED_MARKET_DATA)
WAREHOUSE_PORTFOLIOS = Asset(*orch.WAREHOUSE_PORTFOLIOS)


def _record_failure(context) -> None:
    """Task failure callback: the failure and its reason go to `pipeline_runs`."""
    from pipelines.callbacks import record_failure

    record_failure(context)


@dag(
    dag_id="portfolio_rebalance",
    schedule=[CURATED_MARKET_DATA],
    start_date=orch.START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args={**orch.task_defaults(), "on_failure_callback": _record_failure},
    tags=["daa", "allocation", "warehouse"],
    doc_md=__doc__,
    params={"as_of": Param(None, type=["null", "string"], format="date",
                           description="Trading date to process (YYYY-MM-DD); default: the asset event's date")},
)
def portfolio_rebalance():
    @task_group(group_id="prepare")
    def prepare():
        """The date, the data snapshot and the portfolios this run processes."""

        @task(doc_md="Resolve the date (the `as_of` parameter, else the triggering asset event's "
                     "`as_of`) and the lake snapshot id it reads.")
        def resolve_date(**context) -> dict:
            from pipelines.config import Settings
            from pipelines.lake import snapshot_id

            events = context.get("triggering_asset_events") or {}
            extras = [e.extra for evs in events.values() for e in evs]
            as_of = orch.resolve_as_of(context["params"], extras, context.get("logical_date"))
            return {"as_of": as_of.isoformat(), "snapshot_id": snapshot_id(Settings.from_env(), as_of)}

        @task(doc_md="The managed model portfolios from `config/portfolios.yaml` (validated on load).")
        def list_portfolios() -> list[str]:
            from pipelines.allocation import catalog
            from pipelines.config import Settings

            return [p.id for p in catalog.portfolios(Settings.from_env())]

        return resolve_date(), list_portfolios()

    @task_group(group_id="allocate")
    def allocate(run: dict, portfolio_ids: list[str]):
        """One mapped task per portfolio, in parallel; each stages Parquet, none writes DuckDB."""

        @task(map_index_template="{{ task.op_kwargs['portfolio_id'] }}",
              doc_md="Advance one portfolio to the date (weights, trades, positions, NAV) and stage "
                     "its rows as Parquet; returns the staging manifest path.")
        def compute(portfolio_id: str, run: dict, **context) -> str:
            import datetime as dt

            from pipelines.config import Settings
            from pipelines.runner import compute_portfolio

            return compute_portfolio(Settings.from_env(), portfolio_id, dt.date.fromisoformat(run["as_of"]),
                                     context["run_id"], run["snapshot_id"])

        return compute.partial(run=run).expand(portfolio_id=portfolio_ids)

    @task(pool=orch.WRITER_POOL, outlets=[WAREHOUSE_PORTFOLIOS],
          doc_md="The single DuckDB writer: load every staged portfolio in one transaction "
                 "(delete-then-insert for the date), then record the run in `pipeline_runs`.")
    def load(run: dict, manifests: list[str], **context) -> dict:
        import datetime as dt

        from pipelines.config import Settings
        from pipelines.runner import load as load_all

        return load_all(Settings.from_env(), context["run_id"], list(manifests),
                        dt.date.fromisoformat(run["as_of"]), step="portfolio_rebalance.load")

    @task(doc_md="Write the HTML reports (read-only on the warehouse) under "
                 "`$DAA_HOME/reports/runs/<run_id>/` and as the latest `$DAA_HOME/reports/index.html`; "
                 "logs the path.")
    def report(**context) -> str:
        import logging

        from pipelines.config import Settings
        from pipelines.reporting.build import write_reports

        result = write_reports(Settings.from_env(), run_id=context["run_id"])
        logging.getLogger("daa.report").info("report written: %s (this run: %s)", result.index,
                                             result.run_dir / "index.html" if result.run_dir else result.index)
        return str(result.index)

    run, portfolio_ids = prepare()
    load(run, allocate(run, portfolio_ids)) >> report()


portfolio_rebalance()

if __name__ == "__main__":
    portfolio_rebalance().test()
