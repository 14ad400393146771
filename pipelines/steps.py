"""The pipeline defined once: its named steps, in order, and which DAG hosts each.

Both the CLI runner (`pipelines.runner`) and the DAGs (`dags/`, built by `dags/_wiring.py`)
are made from this list, so what `python -m pipelines run` does and what a scheduled run does
cannot drift apart; a test fails when a DAG's tasks and this list disagree.

Standard library only: DAG files read it at parse time. Each step names the function that does
its work (`target`, imported when the step runs) and the steps whose outputs it takes.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Step:
    """One step of the pipeline.

    target: "module:function"; the function takes the run (a `RunContext`) and the outputs of
        `inputs` as keyword arguments and returns a small JSON-able value (paths, counts).
    writer: writes the DuckDB warehouse (the Airflow task takes the single-slot writer pool).
    mapped: one task per item, run in parallel: per managed portfolio (kwarg `portfolio_id`),
        or with `over="shards"` per shard of the account book (kwarg `shard`: the `shards` list
        of the output of the step's first input).
    gate: the pipeline stops after this step when the date brought no new prices.
    outlet: the asset a DAG publishes when this step succeeds (extra: `as_of`, `snapshot_id`).
    """

    name: str
    dag: str
    target: str
    doc: str
    inputs: tuple[str, ...] = ()
    writer: bool = False
    mapped: bool = False
    gate: bool = False
    outlet: str | None = None
    over: str = "portfolios"

    @property
    def map_kwarg(self) -> str:
        return "shard" if self.over == "shards" else "portfolio_id"


DAILY: tuple[Step, ...] = (
    Step("ingest", "market_data", "pipelines.run_steps:ingest", gate=True, outlet="curated_market_data",
         doc="Fetch what became known by the close of the date (prices by date, macro by release date), "
             "validate it with Great Expectations (a rejected batch is quarantined and fails the run "
             "without retries), store the raw batch and merge it into the curated lake. A date without "
             "new prices (weekend, holiday, end of the history) ends the run as skipped, with a note."),
    Step("record_validations", "market_data", "pipelines.run_steps:record_validations",
         inputs=("ingest",), writer=True,
         doc="The quality gate's results into `validation_results` and the ingest into `pipeline_runs` "
             "(success, or skipped with the reason)."),
    Step("train", "portfolio_rebalance", "pipelines.run_steps:train",
         doc="Train the refits the walk-forward schedule makes due by the date (the first trading day of "
             "each year; nothing when all are in the registry), so the model serving a date is a function "
             "of the date alone; stage their tables."),
    Step("allocate", "portfolio_rebalance", "pipelines.run_steps:allocate", inputs=("train",), mapped=True,
         doc="Advance one portfolio from its stored state to the date: target weights from its strategy "
             "(on the prices and models known at the close), trades from current holdings, positions and "
             "NAV; stage Parquet. One task per portfolio, in parallel; none writes DuckDB."),
    Step("load", "portfolio_rebalance", "pipelines.run_steps:load", inputs=("allocate", "train"), writer=True,
         outlet="warehouse_portfolios",
         doc="The single DuckDB writer: every staged portfolio and the model tables in one transaction "
             "(delete-then-insert for the dates), recorded in `pipeline_runs`."),
    Step("analytics", "portfolio_rebalance", "pipelines.run_steps:analytics", inputs=("load",), writer=True,
         doc="Performance, Brinson attribution, factor exposures and factor attribution of every portfolio, "
             "recomputed from the warehouse and replaced in one transaction."),
    Step("report", "portfolio_rebalance", "pipelines.run_steps:report", inputs=("analytics",),
         doc="The HTML reports under `$DAA_HOME/reports/` (read-only on the warehouse); the path is in the "
             "task log."),
)

TRAINING: tuple[Step, ...] = (
    Step("train", "model_training", "pipelines.run_steps:train",
         doc="Train the refits due by the date (walk-forward, versioned in the registry) and stage the "
             "model tables."),
    Step("load", "model_training", "pipelines.run_steps:load", inputs=("train",), writer=True,
         outlet="published_models",
         doc="The single DuckDB writer: `model_versions`, `regimes`, `factor_exposures`."),
)

ACCOUNTS: tuple[Step, ...] = (
    Step("prepare_accounts", "account_rebalance", "pipelines.run_steps:prepare_accounts",
         doc="Read the account book, each account's state at the last checkpoint before the date, the flows "
             "that take effect and the models' targets from the warehouse once (read-only), and stage every "
             "shard's inputs as Parquet (`shard_size` accounts each, config/accounts.yaml)."),
    Step("rebalance_accounts", "account_rebalance", "pipelines.run_steps:rebalance_accounts",
         inputs=("prepare_accounts",), mapped=True, over="shards",
         doc="One shard of accounts through the days: fees, flows, cash flows first, drift beyond the "
             "tolerance back to target, NAV, returns; reads only its staged files (no DuckDB lock) and "
             "stages its rows as Parquet. One task per shard, in parallel."),
    Step("load_accounts", "account_rebalance", "pipelines.run_steps:load_accounts",
         inputs=("prepare_accounts", "rebalance_accounts"), writer=True, outlet="warehouse_accounts",
         doc="The single DuckDB writer: every shard's rows, the day's block orders netted from the account "
             "tickets, performance and state checkpoints in one transaction, recorded in `pipeline_runs`."),
    Step("report", "account_rebalance", "pipelines.run_steps:report_accounts", inputs=("load_accounts",),
         doc="The HTML reports again, now with the day's accounts (read-only on the warehouse)."),
)

PIPELINES: dict[str, tuple[Step, ...]] = {"daily": DAILY, "accounts": ACCOUNTS, "training": TRAINING}


def steps_for(dag_id: str) -> list[Step]:
    """The steps a DAG hosts, in pipeline order."""
    out = [s for steps in PIPELINES.values() for s in steps if s.dag == dag_id]
    if not out:
        raise KeyError(f"no pipeline step runs in DAG {dag_id!r}")
    return out


def call(step: Step, run: Mapping[str, Any], **inputs: Any) -> Any:
    """Run one step: import its function and call it with the run and its inputs (the process's
    log handlers mask credentials from here on: a DAG task logs through them)."""
    from pipelines.secrets import install_log_filter

    install_log_filter()
    module, _, name = step.target.partition(":")
    func = getattr(importlib.import_module(module), name)
    return func(run, **inputs)
