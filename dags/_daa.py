"""Shared wiring for the platform's DAGs: assets, default arguments, date resolution.

Kept free of heavy imports: the DAG processor parses this on every loop.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pendulum
from airflow.sdk import Asset

OWNER = "portfolio-engineering"
TZ = "America/New_York"
# Early enough for `airflow dags test` on any date of the bundled history (catchup is off).
START_DATE = pendulum.datetime(1990, 1, 1, tz=TZ)

# Published by market_data when a validated trading day lands in the curated lake.
CURATED_MARKET_DATA = Asset(name="curated_market_data", uri="daa://lake/curated/market_data")
# Published by portfolio_rebalance once weights, trades, positions and NAV are in DuckDB.
WAREHOUSE_PORTFOLIOS = Asset(name="warehouse_portfolios", uri="daa://warehouse/portfolios")

# One slot: DuckDB has one writer at a time, and every task that writes takes this slot.
WRITER_POOL = "duckdb_writer"

DEFAULT_ARGS: dict[str, Any] = {
    "owner": OWNER,
    # Production retries with exponential backoff; DAA_TASK_RETRIES=0 makes one-shot runs
    # (`make run`, tests) fail fast instead of sleeping through retry delays.
    "retries": int(os.environ.get("DAA_TASK_RETRIES", "2")),
    "retry_delay": dt.timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "max_retry_delay": dt.timedelta(minutes=15),
}


def resolve_as_of(context: dict[str, Any]) -> dt.date:
    """The trading date a run processes.

    In order: the `as_of` run parameter (manual runs, `airflow dags test -c`), the `as_of` of
    the asset event that triggered the run, then the run's logical date (the schedule fires
    after the close in New York, which is the same calendar day in UTC).
    """
    params = context.get("params") or {}
    if params.get("as_of"):
        return dt.date.fromisoformat(str(params["as_of"]))
    events = context.get("triggering_asset_events") or {}
    for _, asset_events in events.items():
        extras = [e.extra for e in asset_events if e.extra and e.extra.get("as_of")]
        if extras:
            return max(dt.date.fromisoformat(x["as_of"]) for x in extras)
    logical = context.get("logical_date") or context["dag_run"].run_after
    return pendulum.instance(logical).in_timezone("UTC").date()
