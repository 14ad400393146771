"""The account rebalance without a scheduler: prepare, every shard, load (what the
`account_rebalance` DAG's tasks do, in one process or a small process pool)."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pipelines.accounts.load import load_run
from pipelines.accounts.shard import compute_shard
from pipelines.accounts.stage import prepare
from pipelines.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountRun:
    run_id: str
    as_of: str
    days: int
    shards: int
    rows: dict[str, int]
    seconds: dict[str, float]

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def run_accounts(settings: Settings, as_of: dt.date, start: dt.date | None = None, run_id: str | None = None,
                 workers: int = 1, keep_staging: bool = False) -> AccountRun:
    """Bring every account up to `as_of` (recomputing from `start` when given)."""
    run_id = run_id or f"cli__accounts__{as_of.isoformat()}__{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}"
    t0 = time.perf_counter()
    plan = prepare(settings, as_of, run_id, start)
    plan_path = str(Path(plan.inputs) / "plan.json")
    t1 = time.perf_counter()
    if workers > 1 and len(plan.shards) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            manifests = list(pool.map(compute_shard, [plan_path] * len(plan.shards), plan.shards))
    else:
        manifests = [compute_shard(plan_path, s) for s in plan.shards]
    t2 = time.perf_counter()
    rows = load_run(settings, plan_path, manifests, step="accounts.cli")
    t3 = time.perf_counter()
    if not keep_staging:
        shutil.rmtree(plan.folder, ignore_errors=True)
    seconds = {"prepare": t1 - t0, "compute": t2 - t1, "load": t3 - t2, "total": t3 - t0}
    return AccountRun(run_id, as_of.isoformat(), len(plan.dates), len(plan.shards), rows,
                      {k: round(v, 3) for k, v in seconds.items()})
