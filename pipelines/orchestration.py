"""Scheduling facts shared by the DAG files: names, pools, task defaults, date resolution.

Standard library only: DAG files import this at parse time, on every scheduler loop, and
`pipelines` never imports Airflow.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

OWNER = "portfolio-engineering"
MARKET_TZ = "America/New_York"
# Early enough for `airflow dags test` on any date of the bundled history (catchup is off).
START_DATE = dt.datetime(1990, 1, 1, tzinfo=ZoneInfo(MARKET_TZ))
# Weekdays at 18:30 New York time, after the close and the end-of-day price files.
MARKET_DATA_CRON = "30 18 * * 1-5"

# Asset (name, uri): market_data publishes the first, portfolio_rebalance the second (it
# schedules account_rebalance).
CURATED_MARKET_DATA = ("curated_market_data", "daa://lake/curated/market_data")
WAREHOUSE_PORTFOLIOS = ("warehouse_portfolios", "daa://warehouse/portfolios")
# account_rebalance publishes this one when the day's accounts are loaded.
WAREHOUSE_ACCOUNTS = ("warehouse_accounts", "daa://warehouse/accounts")

# One slot: DuckDB has one writer at a time, and every task that writes takes this slot.
WRITER_POOL = "duckdb_writer"


def task_defaults() -> dict[str, Any]:
    """Production retries with exponential backoff; DAA_TASK_RETRIES=0 makes one-shot runs
    (`make run`, tests) fail fast instead of sleeping through retry delays."""
    return {
        "owner": OWNER,
        "retries": int(os.environ.get("DAA_TASK_RETRIES", "2")),
        "retry_delay": dt.timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "max_retry_delay": dt.timedelta(minutes=15),
    }


def market_data_schedule() -> str:
    """The market_data cron: weekdays after the close, or the replay cadence in replay mode
    (`DAA_REPLAY_START` set; `DAA_REPLAY_SCHEDULE`, default every two minutes)."""
    if os.environ.get("DAA_REPLAY_START", "").strip():
        return os.environ.get("DAA_REPLAY_SCHEDULE", "*/2 * * * *")
    return MARKET_DATA_CRON


def resolve_as_of(params: Mapping[str, Any] | None, event_extras: Iterable[Mapping[str, Any]],
                  logical_date: dt.datetime | None) -> dt.date:
    """The trading date a run processes.

    In order: the `as_of` run parameter (manual runs, `airflow dags test -c`), the latest
    `as_of` of the asset events that triggered the run, then the logical date (the schedule
    fires after the New York close, which is the same calendar day in UTC).
    """
    if params and params.get("as_of"):
        return dt.date.fromisoformat(str(params["as_of"]))
    dates = [dt.date.fromisoformat(str(e["as_of"])) for e in event_extras if e and e.get("as_of")]
    if dates:
        return max(dates)
    if logical_date is None:
        raise ValueError("no as_of parameter, asset event or logical date to tell which date to process")
    return logical_date.astimezone(dt.UTC).date()
