"""The work of each pipeline step (`pipelines.steps` lists them): plain functions of the run.

A run is a small JSON-able mapping (`RunContext.to_dict()`): the business date `as_of`, the
`run_id` (the Airflow run id or the CLI's), the data `snapshot_id` once the ingest has passed,
and for backfills `start` (recompute every portfolio from there) and `full_history`. Each
function returns what the next steps need: paths and counts, never data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines import lake
from pipelines.allocation import catalog
from pipelines.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunContext:
    as_of: dt.date
    run_id: str
    snapshot_id: str | None = None
    start: dt.date | None = None
    full_history: bool = False
    dag: str = "cli"
    home: str | None = None      # the data root, config dir and source of a CLI run; a DAG's
    config: str | None = None    # tasks read them from the environment (None)
    source: str | None = None
    portfolios: tuple[str, ...] | None = None   # a CLI backfill of some portfolios only (None: all)

    @classmethod
    def of(cls, run: Mapping[str, Any]) -> RunContext:
        def day(v):
            return None if v in (None, "") else dt.date.fromisoformat(str(v))

        return cls(as_of=day(run["as_of"]), run_id=str(run["run_id"]), snapshot_id=run.get("snapshot_id"),
                   start=day(run.get("start")), full_history=bool(run.get("full_history", False)),
                   dag=str(run.get("dag", "cli")), home=run.get("home"), config=run.get("config"),
                   source=run.get("source"),
                   portfolios=tuple(run["portfolios"]) if run.get("portfolios") else None)

    @classmethod
    def for_settings(cls, settings: Settings, **fields: Any) -> RunContext:
        return cls(home=str(settings.data_root), config=str(settings.config_dir), source=settings.source,
                   **fields)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["as_of"] = self.as_of.isoformat()
        d["start"] = self.start.isoformat() if self.start else None
        d["portfolios"] = list(self.portfolios) if self.portfolios else None
        return d

    def with_snapshot(self, snapshot_id: str | None) -> RunContext:
        return replace(self, snapshot_id=snapshot_id)

    @property
    def settings(self) -> Settings:
        if self.home is None:
            return Settings.from_env()
        return Settings(data_root=Path(self.home), config_dir=Path(self.config or ""),
                        source=self.source or "bundled")


def _ctx(run: Mapping[str, Any] | RunContext) -> RunContext:
    return run if isinstance(run, RunContext) else RunContext.of(run)


# --------------------------------------------------------------------------- market data


def ingest(run: Mapping[str, Any]) -> dict[str, Any]:
    """Bring the lake up to the date through the quality gate (see pipelines.ingest.run)."""
    from pipelines.ingest.run import ingest as run_ingest
    from pipelines.quality.errors import ValidationFailed
    from pipelines.quality.results import record_pending

    ctx = _ctx(run)
    settings = ctx.settings
    try:
        summary = run_ingest(settings, ctx.as_of, full_history=ctx.full_history)
    except ValidationFailed:
        if ctx.dag == "cli":  # the DAG records them in its failure callback
            record_pending(settings)
        raise
    out = summary.to_dict()
    # A daily run goes on only for a trading day; a backfill whenever the window brought prices.
    out["proceed"] = out["price_rows"] > 0 if (ctx.full_history or ctx.start) else out["is_trading_day"]
    return out


def record_validations(run: Mapping[str, Any], ingest: Mapping[str, Any]) -> dict[str, Any]:
    """The gate's staged results into `validation_results`; the ingest into `pipeline_runs`."""
    from pipelines.quality.results import record_pending
    from pipelines.warehouse.loader import record_run

    ctx = _ctx(run)
    settings = ctx.settings
    n = record_pending(settings)
    status = "success" if ingest["is_trading_day"] else "skipped"
    record_run(settings, ctx.run_id, f"{_dag(ctx, 'market_data')}.ingest", status, as_of=ctx.as_of,
               rows_written=ingest["price_rows"] + ingest["macro_rows"], data_snapshot=ingest["snapshot_id"],
               message=ingest.get("note") or f"{ingest['price_rows']} price rows, {ingest['macro_rows']} macro rows")
    return {"validation_results": n, "status": status}


def _dag(ctx: RunContext, dag: str) -> str:
    """The DAG a step belongs to names its `pipeline_runs` rows, whichever runner ran it (the
    CLI's rows differ only by their run id)."""
    return ctx.dag if ctx.dag in {"market_data", "portfolio_rebalance", "model_training", "account_rebalance"} \
        else dag


# --------------------------------------------------------------------------- portfolios


def train(run: Mapping[str, Any]) -> dict[str, Any]:
    """Refits due by the date for the model-driven portfolios, staged for the loader."""
    from pipelines.allocation.catalog import build_strategy
    from pipelines.modeling.training import train_and_publish

    ctx = _ctx(run)
    settings = ctx.settings
    if ctx.dag != "model_training" and not any(build_strategy(p).needs.models
                                               for p in catalog.portfolios(settings)):
        return {"skipped": "no model-driven portfolio", "tables": {}}
    snapshot = ctx.snapshot_id or _snapshot(settings, ctx.as_of)
    staged = train_and_publish(settings, ctx.as_of, ctx.run_id, snapshot)
    log.info("models: %d refits (%d trained)", staged["refits"], staged["trained"])
    return staged


def _snapshot(settings: Settings, as_of: dt.date) -> str:
    try:
        return lake.snapshot_id(settings, as_of)
    except FileNotFoundError:
        return f"lake@{as_of}"   # the date lies inside a batch ingested for a later date


def allocate(run: Mapping[str, Any], portfolio_id: str, train: Mapping[str, Any] | None = None) -> str:
    """Advance one portfolio to the date and stage its rows; returns the manifest path.

    The portfolio resumes from its state at the close of the last stored date before the run's
    `start` (default the date), so a daily run processes the date plus any trading day it
    missed, and a backfill recomputes everything from `start` on. The prices read are what the
    strategy declares it needs, in trading days (`history_need`)."""
    from pipelines.allocation.catalog import build_strategy
    from pipelines.modeling.serving import ModelProvider
    from pipelines.portfolio.engine import advance, history_need
    from pipelines.portfolio.state import load_state
    from pipelines.warehouse.staging import stage_result

    ctx = _ctx(run)
    settings = ctx.settings
    cfg = catalog.portfolio(settings, portfolio_id)
    universe = settings.universe
    strategy = build_strategy(cfg)
    state = load_state(settings, cfg, before=ctx.start or ctx.as_of, nav_history=strategy.needs.portfolio)
    need = history_need(cfg, state, strategy)
    prices = lake.read_price_window(settings, ctx.as_of, [*cfg.symbols, universe.cash_symbol], need.anchor,
                                    need.rows)
    models = ModelProvider(settings) if strategy.needs.models else None
    result = advance(cfg, universe, prices, state, ctx.as_of, strategy=strategy, models=models)
    snapshot = ctx.snapshot_id or _snapshot(settings, ctx.as_of)
    path = stage_result(settings, ctx.run_id, cfg.id, result.tables(), snapshot)
    dates = result.nav["date"]
    log.info("%s: %d dates staged (%s .. %s)", cfg.id, len(dates),
             pd.Timestamp(dates.iloc[0]).date() if len(dates) else "-",
             pd.Timestamp(dates.iloc[-1]).date() if len(dates) else "-")
    return str(path)


def load(run: Mapping[str, Any], allocate: list[str] | None = None,
         train: Mapping[str, Any] | None = None) -> dict[str, int]:
    """The single writer: staged portfolios, the reference rows and the staged model tables,
    in one transaction."""
    from pipelines.warehouse.loader import load_staged

    ctx = _ctx(run)
    settings = ctx.settings
    from pipelines.warehouse.staging import remove_staged

    step = f"{_dag(ctx, 'portfolio_rebalance')}.load"
    rows = load_staged(settings, ctx.run_id, list(allocate or []), reference_frames(settings, ctx.run_id),
                       step=step, as_of=ctx.as_of, models=(train or {}).get("tables") or {})
    remove_staged(settings, ctx.run_id)   # loaded: the staged portfolios are no longer needed
    return rows


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


def analytics(run: Mapping[str, Any], load: Mapping[str, Any] | None = None) -> dict[str, int]:
    """Performance, attribution and the factor tables, recomputed and replaced."""
    from pipelines.analytics.run import compute_and_store
    from pipelines.warehouse.loader import record_run

    ctx = _ctx(run)
    settings = ctx.settings
    t0 = dt.datetime.now(dt.UTC)
    rows = compute_and_store(settings, ctx.as_of, ctx.run_id)
    record_run(settings, ctx.run_id, f"{_dag(ctx, 'portfolio_rebalance')}.analytics", "success",
               as_of=ctx.as_of, started_at=t0, rows_written=sum(rows.values()), message=json.dumps(rows))
    return rows


def report(run: Mapping[str, Any], analytics: Mapping[str, Any] | None = None) -> str:
    """The HTML reports (index, one page per portfolio, a copy per run)."""
    from pipelines.reporting.build import write_reports

    ctx = _ctx(run)
    t0 = time.perf_counter()
    result = write_reports(ctx.settings, run_id=ctx.run_id)
    log.info("report written in %.1f s: %s (this run: %s)", time.perf_counter() - t0, result.index,
             result.run_dir / "index.html" if result.run_dir else result.index)
    return str(result.index)


# --------------------------------------------------------------------------- client accounts


def prepare_accounts(run: Mapping[str, Any]) -> dict[str, Any]:
    """Stage the account run's inputs (one read of the warehouse); returns the plan and its shards."""
    from pipelines.accounts.stage import prepare

    ctx = _ctx(run)
    plan = prepare(ctx.settings, ctx.as_of, ctx.run_id, ctx.start)
    log.info("accounts: %d days, %d shards staged under %s", len(plan.dates), len(plan.shards), plan.folder)
    return {"plan": str(plan.inputs / "plan.json"), "shards": plan.shards, "days": len(plan.dates)}


def rebalance_accounts(run: Mapping[str, Any], prepare_accounts: Mapping[str, Any], shard: str) -> str:
    """One shard of the account book through the run's days; returns its manifest path."""
    from pipelines.accounts.shard import compute_shard

    return compute_shard(prepare_accounts["plan"], shard)


def load_accounts(run: Mapping[str, Any], prepare_accounts: Mapping[str, Any],
                  rebalance_accounts: list[str] | None = None) -> dict[str, int]:
    """The single writer of the account run; its staged files are removed once loaded."""
    import shutil

    from pipelines.accounts.load import load_run

    ctx = _ctx(run)
    rows = load_run(ctx.settings, prepare_accounts["plan"], list(rebalance_accounts or []),
                    step=f"{_dag(ctx, 'account_rebalance')}.load_accounts")
    shutil.rmtree(Path(prepare_accounts["plan"]).parent.parent, ignore_errors=True)
    return rows


def report_accounts(run: Mapping[str, Any], load_accounts: Mapping[str, Any] | None = None) -> str:
    """The HTML reports once the accounts are loaded."""
    return report(run)
