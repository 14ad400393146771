"""The single writer of an account run: every shard's staged rows in one DuckDB transaction.

The run's days are deleted and re-inserted (idempotent), the block orders are netted from the
account tickets just inserted, the performance rows replaced, old checkpoints pruned and the
run recorded in `pipeline_runs`. On any error nothing is written.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

from pipelines.accounts.settings import accounts_config
from pipelines.accounts.stage import Plan
from pipelines.config import Settings
from pipelines.warehouse.sql_files import load_sql
from pipelines.warehouse.writer import transaction

log = logging.getLogger(__name__)
STAGED = {"nav": "account_nav", "trades": "account_trades", "holdings": "account_holdings",
          "flows": "account_flows", "state": "account_state", "performance": "account_performance"}


def read_manifests(plan: Plan, manifests: list[str]) -> list[dict]:
    """The shards' manifests, checked to be exactly the plan's shards."""
    bodies = [json.loads(Path(m).read_text()) for m in manifests]
    got = sorted(b["shard"] for b in bodies)
    if got != sorted(plan.shards):
        raise RuntimeError(f"staged shards {got} are not the run's shards {sorted(plan.shards)}")
    return bodies


def load_run(settings: Settings, plan_path: str | Path, manifests: list[str], step: str = "accounts.load",
             started_at: dt.datetime | None = None) -> dict[str, int]:
    plan = Plan.read(plan_path)
    bodies = read_manifests(plan, manifests)
    started_at = started_at or dt.datetime.now(dt.UTC)
    rows = {t: sum(b["rows"][t] for b in bodies) for t in STAGED}
    lineage = {"run_id": plan.run_id, "data_snapshot": plan.data_snapshot}
    with transaction(settings) as w:
        if plan.dates:
            span = {"start": plan.dates[0], "end": plan.dates[-1]}
            w.run("app/accounts_delete_range.sql", span)
            for key in STAGED:
                paths = [p for b in bodies for p in b["parts"][key]]
                if paths:
                    params = {"paths": paths, **lineage}
                    w.run(f"app/accounts_insert_{key}.sql", params if key in ("nav", "trades", "flows")
                          else {"paths": paths, "run_id": plan.run_id})
            w.run("app/accounts_block_orders.sql", {**span, **lineage})
            w.run("app/accounts_prune_state.sql", {"keep": accounts_config(settings).checkpoints_kept})
            rows["block_orders"] = w.con.execute(load_sql("app/accounts_count_blocks.sql"), span).fetchone()[0]
        w.run("app/record_run.sql", {
            "run_id": plan.run_id, "step": step, "as_of": dt.date.fromisoformat(plan.as_of), "status": "success",
            "started_at": started_at, "finished_at": dt.datetime.now(dt.UTC), "rows_written": sum(rows.values()),
            "data_snapshot": plan.data_snapshot,
            "message": f"{sum(b['accounts'] for b in bodies)} accounts, {len(plan.dates)} days, "
                       f"{len(bodies)} shards: " + json.dumps(rows)})
    log.info("accounts loaded for run %s: %s", plan.run_id, rows)
    return rows
