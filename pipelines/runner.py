"""The pipeline's steps as plain functions: what the DAG tasks and the CLI both call.

- `compute_portfolio`: one portfolio, from its stored state to `as_of`, staged as Parquet.
- `load`: the single writer, all staged portfolios in one DuckDB transaction.
- `run_daily` and `backfill`: the same steps chained, without a scheduler.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines import lake
from pipelines.analytics.run import compute_and_store
from pipelines.config import Settings
from pipelines.ingest.run import IngestSummary, ingest
from pipelines.portfolio.engine import EngineResult, PortfolioState, build_strategy, resume_point, run_portfolio
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
    backfill with `start` recomputes everything from there on.
    """
    cfg = settings.portfolio(portfolio_id)
    universe = settings.universe
    strategy = build_strategy(cfg)
    cut = start or as_of
    stored = load_state(settings, cfg, before=cut)
    state, keep_after = resume_point(cfg, stored)
    anchor = state.date.date() if state.date is not None else cfg.inception
    # Calendar days that surely hold the strategy's lookback of trading days, plus slack.
    buffer = dt.timedelta(days=int(strategy.lookback_days * 7 / 5) + 10)
    prices = lake.read_prices_wide(settings, as_of, [*cfg.symbols, universe.cash_symbol],
                                   start=anchor - buffer)
    first = state.date if state.date is not None else pd.Timestamp(cfg.inception) - pd.Timedelta(days=1)
    dates = [d for d in prices.index if first < d <= pd.Timestamp(as_of)]
    if state.date is None:
        # Inception is the first day on which every symbol of the portfolio has a price.
        complete = prices[cfg.symbols].notna().all(axis=1)
        ready = [d for d in dates if complete.loc[d]]
        dates = [d for d in dates if ready and d >= ready[0]]
    result = run_portfolio(cfg, universe, prices, dates, state, strategy)
    if keep_after is not None and not _reproduces(result, stored):
        # The recomputed path no longer ends in the holdings the warehouse has (the portfolio's
        # configuration changed): trade from the real holdings, never from a hypothetical path.
        log.warning("%s: recomputing from inception does not reproduce the stored holdings of %s; "
                    "continuing from the stored state", cfg.id, stored.date.date())
        dates, keep_after = [d for d in dates if d > stored.date], None
        result = run_portfolio(cfg, universe, prices, dates, stored, strategy)
    result = result.after(keep_after)
    path = stage_result(settings, run_id, cfg.id, result.tables(), data_snapshot,
                        model_version=getattr(strategy, "model_version", None))
    log.info("%s: %d dates staged (%s .. %s)", cfg.id, len(dates),
             dates[0].date() if dates else "-", dates[-1].date() if dates else "-")
    return str(path)


def _reproduces(result: EngineResult, stored: PortfolioState, rtol: float = 1e-9) -> bool:
    """Whether a recomputed path holds, at the stored date, the cash and units stored there."""
    nav = result.nav[pd.to_datetime(result.nav["date"]) == stored.date]
    if len(nav) != 1 or not np.isclose(nav["cash"].iloc[0], stored.cash, rtol=rtol, atol=1e-6):
        return False
    pos = result.positions[pd.to_datetime(result.positions["date"]) == stored.date]
    units = dict(zip(pos["symbol"], pos["quantity"], strict=True))
    symbols = set(units) | set(stored.quantities)
    return all(np.isclose(units.get(s, 0.0), stored.quantities.get(s, 0.0), rtol=rtol, atol=1e-9)
               for s in symbols)


def load(settings: Settings, run_id: str, manifests: list[str], as_of: dt.date,
         step: str = "load") -> dict[str, int]:
    return load_staged(settings, run_id, manifests, step=step, as_of=as_of)


def _run_all(settings: Settings, as_of: dt.date, run_id: str, snapshot: str,
             start: dt.date | None, step: str) -> StepSummary:
    t0 = time.perf_counter()
    manifests = []
    for i, p in enumerate(settings.portfolios, 1):
        manifests.append(compute_portfolio(settings, p.id, as_of, run_id, snapshot, start=start))
        log.info("[%d/%d] %s computed", i, len(settings.portfolios), p.id)
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
    if any(build_strategy(p).uses_models for p in settings.portfolios):
        train_models(settings, end, run_id, summary.snapshot_id)
    return summary, _run_all(settings, end, run_id, summary.snapshot_id, start, "backfill")


def train_models(settings: Settings, as_of: dt.date, run_id: str, snapshot: str) -> dict[str, int]:
    """Walk-forward (re)training up to `as_of` and its rows in DuckDB: what the weekly
    model_training DAG does, so that model-driven portfolios backfill without look-ahead."""
    from models.training import train_and_publish
    from models.warehouse import load_models

    staged = train_and_publish(settings, as_of, run_id, snapshot)
    rows = load_models(settings, staged)
    log.info("models: %d refits (%d trained), rows %s", staged["refits"], staged["trained"], rows)
    return rows

