"""
### portfolio_rebalance

Runs when `market_data` publishes a validated trading day. For every managed model portfolio
(dynamic task mapping, in parallel) it advances the portfolio from its stored state to the
date: target weights from the strategy, trades from the current holdings, positions and NAV
marked at the close. Each mapped task stages Parquet; one loader task writes everything to
DuckDB in a single transaction, so a failed portfolio leaves the warehouse untouched.

Re-running a date replaces that date's rows and never duplicates them.
"""

from __future__ import annotations

from airflow.sdk import Asset, Param, dag, task, task_group

from pipelines import orchestration as orch

CURATED_MARKET_DATA = Asset(*orch.CURATED_MARKET_DATA)
WAREHOUSE_PORTFOLIOS = Asset(*orch.WAREHOUSE_PORTFOLIOS)


@dag(
    dag_id="portfolio_rebalance",
    schedule=[CURATED_MARKET_DATA],
    start_date=orch.START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=orch.task_defaults(),
    tags=["daa", "allocation", "warehouse"],
    doc_md=__doc__,
    params={"as_of": Param(None, type=["null", "string"], format="date",
                           description="Trading date to process (YYYY-MM-DD); default: the asset event's date")},
)
def portfolio_rebalance():
    @task(doc_md="Resolve the date and the data snapshot this run uses.")
    def resolve_date(**context) -> dict:
        from pipelines.config import Settings
        from pipelines.ingest.lake import snapshot_id

        events = context.get("triggering_asset_events") or {}
        extras = [e.extra for evs in events.values() for e in evs]
        as_of = orch.resolve_as_of(context["params"], extras, context.get("logical_date"))
        return {"as_of": as_of.isoformat(), "snapshot_id": snapshot_id(Settings.from_env(), as_of)}

    @task(doc_md="The managed model portfolios from `config/portfolios.yaml`.")
    def list_portfolios() -> list[str]:
        from pipelines.config import Settings

        return [p.id for p in Settings.from_env().portfolios]

    @task_group(group_id="allocate")
    def allocate(run: dict, portfolio_ids: list[str]):
        @task(map_index_template="{{ task.op_kwargs['portfolio_id'] }}",
              doc_md="Advance one portfolio to the date and stage its rows as Parquet.")
        def compute(portfolio_id: str, run: dict, **context) -> str:
            import datetime as dt

            from pipelines.config import Settings
            from pipelines.runner import compute_portfolio

            return compute_portfolio(Settings.from_env(), portfolio_id, dt.date.fromisoformat(run["as_of"]),
                                     context["run_id"], run["snapshot_id"])

        return compute.partial(run=run).expand(portfolio_id=portfolio_ids)

    @task(pool=orch.WRITER_POOL, outlets=[WAREHOUSE_PORTFOLIOS],
          doc_md="The single DuckDB writer: load every staged portfolio in one transaction.")
    def load(run: dict, manifests: list[str], **context) -> dict:
        import datetime as dt

        from pipelines.config import Settings
        from pipelines.runner import load as load_all

        return load_all(Settings.from_env(), context["run_id"], list(manifests),
                        dt.date.fromisoformat(run["as_of"]), step="portfolio_rebalance.load")

    run = resolve_date()
    load(run, allocate(run, list_portfolios()))


portfolio_rebalance()

if __name__ == "__main__":
    portfolio_rebalance().test()
