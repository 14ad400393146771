"""The pipeline's steps as plain functions: what the DAG tasks and the CLI both call.

- `compute_portfolio`: one portfolio, from its stored state to `as_of`, staged as Parquet.
- `load`: the single writer, all staged portfolios in one DuckDB transaction.
- `run_daily` and `backfill`: the same steps chained, without a scheduler.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from dataclasses import dataclass

import pandas as pd

from pipelines import lake
from pipelines.allocation import catalog
from pipelines.allocation.catalog import build_strategy
from pipelines.analytics.run import compute_and_store
from pipelines.config import Settings
from pipelines.ingest.run import IngestSummary, ingest
from pipelines.modeling.serving import ModelProvider
from pipelines.portfolio.engine import advance, history_need
from pipelines.portfolio.state import load_state
from pipelines.quality.errors import ValidationFailed
from pipelines.quality.results import record_pending
from pipelines.warehouse.loader import load_staged
from pipelines.warehouse.staging import stage_result

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepSummary:
    run_id: str
    as_of: str
    portfolios: int
    rows: dict[str, int]
    seconds: float


def compute_portfolio(settings: Settings, portfolio_id: str, as_of: dt.date, run_id: str,
                      data_snapshot: str, start: dt.date | None = None) -> str:
    """Advance one portfolio to `as_of` and stage the rows; return the manifest path.

    The portfolio resumes from its state at the close of the last stored date before `start`
    (default `as_of`), so a daily run processes `as_of` plus any trading day it missed, and a
    backfill with `start` recomputes everything from there on. The prices read are what the
    strategy declares it needs, in trading days (`history_need`).
    """
    cfg = catalog.portfolio(settings, portfolio_id)
    universe = settings.universe
    strategy = build_strategy(cfg)
    state = load_state(settings, cfg, before=start or as_of, nav_history=strategy.needs.portfolio)
    need = history_need(cfg, state, strategy)
    prices = lake.read_price_window(settings, as_of, [*cfg.symbols, universe.cash_symbol], need.anchor,
                                    need.rows)
    models = ModelProvider(settings) if strategy.needs.models else None
    result = advance(cfg, universe, prices, state, as_of, strategy=strategy, models=models)
    path = stage_result(settings, run_id, cfg.id, result.tables(), data_snapshot)
    dates = result.nav["date"]
    log.info("%s: %d dates staged (%s .. %s)", cfg.id, len(dates),
             pd.Timestamp(dates.iloc[0]).date() if len(dates) else "-",
             pd.Timestamp(dates.iloc[-1]).date() if len(dates) else "-")
    return str(path)


def load(settings: Settings, run_id: str, manifests: list[str], as_of: dt.date,
         step: str = "load") -> dict[str, int]:
    return load_staged(settings, run_id, manifests, reference_frames(settings, run_id), step=step, as_of=as_of)


def reference_frames(settings: Settings, run_id: str) -> dict[str, pd.DataFrame]:
    """The `assets` and `portfolios` reference rows from the configuration."""
    assets = pd.DataFrame([a.model_dump() for a in settings.universe.assets]).assign(run_id=run_id)
    rows = []
    for p in catalog.portfolios(settings):
        cfg = p.model_dump(mode="json")
        rows.append({
            "portfolio_id": p.id, "name": p.name, "risk_profile": p.risk_profile,
            "strategy": p.strategy, "params": json.dumps(cfg["params"], sort_keys=True),
            "universe": list(p.symbols), "benchmark": p.benchmark, "base_currency": p.base_currency,
            "initial_capital": p.initial_capital, "inception": p.inception,
            "rebalance": json.dumps(cfg["rebalance"]), "costs": json.dumps(cfg["costs"]),
            "config_hash": hashlib.sha256(json.dumps(cfg, sort_keys=True).encode()).hexdigest()[:16],
            "run_id": run_id})
    return {"assets": assets, "portfolios": pd.DataFrame(rows)}


def _run_all(settings: Settings, as_of: dt.date, run_id: str, snapshot: str,
             start: dt.date | None, step: str) -> StepSummary:
    t0 = time.perf_counter()
    manifests = []
    portfolios = catalog.portfolios(settings)
    for i, p in enumerate(portfolios, 1):
        manifests.append(compute_portfolio(settings, p.id, as_of, run_id, snapshot, start=start))
        log.info("[%d/%d] %s computed", i, len(portfolios), p.id)
    rows = load(settings, run_id, manifests, as_of, step=step)
    rows.update(compute_and_store(settings, as_of, run_id))
    rows["validation_results"] = record_pending(settings)
    return StepSummary(run_id, as_of.isoformat(), len(manifests), rows, time.perf_counter() - t0)


def _ingest(settings: Settings, as_of: dt.date, full_history: bool = False) -> IngestSummary:
    """Ingest through the quality gate; a rejected batch's results still reach the warehouse."""
    try:
        return ingest(settings, as_of, full_history=full_history)
    except ValidationFailed:
        record_pending(settings)
        raise


def run_daily(settings: Settings, as_of: dt.date, run_id: str | None = None) -> tuple[IngestSummary, StepSummary]:
    """Ingest `as_of`, then advance every portfolio to it and load: the DAGs' work, in-process."""
    run_id = run_id or f"cli__daily__{as_of.isoformat()}__{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"
    summary = _ingest(settings, as_of)
    return summary, _run_all(settings, as_of, run_id, summary.snapshot_id, None, "daily")


def backfill(settings: Settings, start: dt.date, end: dt.date,
             run_id: str | None = None) -> tuple[IngestSummary, StepSummary]:
    """Ingest everything known by `end`, then recompute every portfolio from `start` to `end`.

    Each date still sees only data known at its own close: the engine hands a strategy the
    rows up to that date and nothing after it.
    """
    if start > end:
        raise ValueError(f"backfill start {start} is after end {end}")
    run_id = run_id or f"cli__backfill__{start}_{end}__{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"
    summary = _ingest(settings, end, full_history=True)
    if any(build_strategy(p).needs.models for p in catalog.portfolios(settings)):
        train_models(settings, end, run_id, summary.snapshot_id)
    return summary, _run_all(settings, end, run_id, summary.snapshot_id, start, "backfill")


def train_models(settings: Settings, as_of: dt.date, run_id: str, snapshot: str) -> dict[str, int]:
    """Walk-forward (re)training up to `as_of` and its rows in DuckDB: what the weekly
    model_training DAG does, so that model-driven portfolios backfill without look-ahead."""
    from pipelines.modeling.loading import load_models
    from pipelines.modeling.training import train_and_publish

    staged = train_and_publish(settings, as_of, run_id, snapshot)
    rows = load_models(settings, staged)
    log.info("models: %d refits (%d trained), rows %s", staged["refits"], staged["trained"], rows)
    return rows

