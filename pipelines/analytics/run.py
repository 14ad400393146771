"""The analytics step: after the load, compute performance, attribution, the factor tables and
the evidence of every portfolio from the warehouse (read-only) and write them through the single
writer in one transaction.

Analytics are recomputed whole each run (seconds for the default set), so they always match
the NAV and positions they were computed from.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines import faults
from pipelines.allocation import catalog
from pipelines.analytics.attribution import brinson_fachler, linked_table, segment_returns
from pipelines.analytics.evidence_rows import daily_returns, evidence_frame
from pipelines.analytics.factor_attribution import compute_factor_rows
from pipelines.analytics.learned import learned_results
from pipelines.analytics.neural_evaluation import evaluation_frames
from pipelines.analytics.performance import performance_rows
from pipelines.config import PortfolioConfig, Settings, Universe
from pipelines.features.inputs import MarketInputs, load_inputs
from pipelines.modeling.trials import recorded_trials
from pipelines.warehouse.db import connect
from pipelines.warehouse.sql_files import load_sql
from pipelines.warehouse.writer import transaction

log = logging.getLogger(__name__)
TABLES = ("performance", "attribution")


def portfolio_segments(nav: pd.DataFrame, qty: pd.DataFrame, prices: pd.DataFrame, universe: Universe,
                       level: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Start-of-day weights, returns and contributions by asset class or asset (T-1 days).

    nav: date-indexed nav/cash/costs; qty: date x symbol holdings at each close."""
    dates = nav.index
    q_prev = qty.reindex(dates).fillna(0.0).shift(1).iloc[1:]
    px = prices.reindex(dates)[qty.columns]
    p_prev, p_now = px.shift(1).iloc[1:], px.iloc[1:]
    mv_prev = (q_prev * p_prev).fillna(0.0)
    pnl = (q_prev * (p_now - p_prev)).fillna(0.0)
    nav_prev = nav["nav"].shift(1).iloc[1:]
    cash_prev = nav["cash"].shift(1).iloc[1:]
    costs = nav["costs"].iloc[1:]
    cash_pnl = nav["nav"].diff().iloc[1:] + costs - pnl.sum(axis=1)
    if level == "asset_class":
        classes = universe.asset_classes
        mv_prev = mv_prev.T.groupby(lambda s: classes[s]).sum().T
        pnl = pnl.T.groupby(lambda s: classes[s]).sum().T
        cash_name = classes[universe.cash_symbol]
    else:
        cash_name = universe.cash_symbol
    mv_prev = mv_prev.copy()
    pnl = pnl.copy()
    mv_prev[cash_name] = mv_prev.get(cash_name, 0.0) + cash_prev
    pnl[cash_name] = pnl.get(cash_name, 0.0) + cash_pnl
    return segment_returns(mv_prev, pnl, nav_prev, costs)


def _benchmark_segments(bench: str, dates: pd.DatetimeIndex, prices: pd.DataFrame, universe: Universe,
                        inputs: dict, level: str) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    if bench in inputs:  # another portfolio
        bnav, bqty = inputs[bench]
        wb, rb, _ = portfolio_segments(bnav, bqty, prices, universe, level)
        return wb.reindex(dates[1:]), rb.reindex(dates[1:])
    if bench in prices.columns:
        seg = universe.asset_classes[bench] if level == "asset_class" else bench
        r = prices[bench].reindex(dates).pct_change().iloc[1:]
        return pd.DataFrame({seg: 1.0}, index=r.index), pd.DataFrame({seg: r})
    return None


@dataclass(frozen=True)
class Inputs:
    """What the analytics read once: the configured portfolios, each one's NAV rows
    (date-indexed) and holdings (date x symbol), and the lake's closes up to the date."""

    portfolios: list[PortfolioConfig]
    navs: dict[str, tuple[pd.DataFrame, pd.DataFrame]]
    market: MarketInputs

    @property
    def prices(self) -> pd.DataFrame:
        return self.market.prices


def read_inputs(settings: Settings, as_of: dt.date) -> Inputs:
    portfolios = catalog.portfolios(settings)
    ids = [p.id for p in portfolios]
    with connect(settings, read_only=True) as con:
        navs = con.execute(load_sql("app/analytics_inputs.sql"), {"ids": ids}).df()
        pos = con.execute(load_sql("app/analytics_positions.sql"), {"ids": ids}).df()
    market = load_inputs(settings, as_of)
    navs["date"] = pd.to_datetime(navs["date"])
    pos["date"] = pd.to_datetime(pos["date"])
    inputs = {}
    for pid, n in navs.groupby("portfolio_id", sort=False):
        n = n.set_index("date").sort_index()
        q = pos[pos["portfolio_id"] == pid].pivot(index="date", columns="symbol", values="quantity")
        inputs[pid] = (n, q.fillna(0.0))
    return Inputs(portfolios, inputs, market)


def compute(settings: Settings, as_of: dt.date, run_id: str, data: Inputs | None = None
            ) -> dict[str, pd.DataFrame]:
    """Performance and attribution frames of every configured portfolio with NAV rows."""
    universe = settings.universe
    data = data or read_inputs(settings, as_of)
    inputs, prices = data.navs, data.prices
    rf = prices[universe.cash_symbol].pct_change()
    perf, attr = [], []
    for cfg in data.portfolios:
        if cfg.id not in inputs:
            continue
        n, q = inputs[cfg.id]
        bench_r = None
        if cfg.benchmark in inputs:
            bench_r = inputs[cfg.benchmark][0]["daily_return"]
        elif cfg.benchmark in prices.columns:
            bench_r = prices[cfg.benchmark].pct_change()
        perf.append(performance_rows(cfg.id, n, rf, bench_r, cfg.benchmark))
        if cfg.benchmark is None or len(n) < 2:
            continue
        for level in ("asset_class", "asset"):
            wp, rp, cp = portfolio_segments(n, q, prices, universe, level)
            b = _benchmark_segments(cfg.benchmark, n.index, prices, universe, inputs, level)
            if b is None:
                continue
            wb, rb = b
            ok = wb.notna().any(axis=1).to_numpy() & rb.notna().any(axis=1).to_numpy()
            bf = brinson_fachler(wp[ok], rp[ok], cp[ok], wb[ok].fillna(0.0), rb[ok])
            t = linked_table(bf, wp.index[ok], level)
            if level == "asset":  # per asset we report contributions only
                t[["allocation", "selection", "interaction", "total_effect"]] = np.nan
            attr.append(t.assign(portfolio_id=cfg.id, benchmark=cfg.benchmark))
    out = {"performance": pd.concat(perf, ignore_index=True) if perf else pd.DataFrame(),
           "attribution": pd.concat(attr, ignore_index=True) if attr else pd.DataFrame()}
    return {k: v.assign(run_id=run_id) for k, v in out.items() if len(v)}


def compute_evidence(settings: Settings, as_of: dt.date, run_id: str, data: Inputs) -> pd.DataFrame:
    """The `evidence` rows (pipelines.analytics.evidence_rows), the trials counted from the
    model registry."""
    t0 = time.perf_counter()
    returns = daily_returns({pid: n for pid, (n, _) in data.navs.items()}, data.prices)
    trials = recorded_trials(settings.models_dir, as_of)
    learned = learned_results(settings, as_of, data.portfolios, data.market)
    frame = evidence_frame(data.portfolios, returns, settings.universe.cash_symbol, trials, settings.evidence,
                           as_of, run_id, learned)
    log.info("evidence: %d rows in %.1f s (%d model trials recorded: %s)", len(frame),
             time.perf_counter() - t0, sum(trials.values()), trials)
    return frame


def compute_and_store(settings: Settings, as_of: dt.date, run_id: str) -> dict[str, int]:
    """Compute analytics and replace each portfolio's rows in one transaction (the evidence of
    the whole set: its trial count and family depend on every portfolio in it)."""
    data = read_inputs(settings, as_of)
    frames = compute(settings, as_of, run_id, data)
    factor = compute_factor_rows(settings, as_of, run_id, data.market)  # factor_exposures, factor_attribution
    evidence = compute_evidence(settings, as_of, run_id, data)
    rf = data.prices[settings.universe.cash_symbol].pct_change()
    neural = evaluation_frames(data.portfolios, {pid: n for pid, (n, _) in data.navs.items()}, rf, as_of, run_id)
    ids = [p.id for p in data.portfolios]
    with transaction(settings) as w:
        for table, df in frames.items():
            path = w.stage(df)
            w.run("app/replace_analytics.sql", {"path": str(path)}, table=table)
            w.insert(table, path)
        for table, df in factor.items():  # recomputed whole: delete even when no row is left
            w.run(f"app/factor_delete_{table}.sql", {"ids": ids})
            if len(df):
                w.insert(table, df)
        w.run("app/evidence_delete.sql")
        if len(evidence):
            w.insert("evidence", evidence)
        w.run("app/neural_evaluation_delete.sql")
        for table, df in neural.items():
            if len(df):
                w.insert(table, df)
        faults.checkpoint("analytics.in_transaction")
    rows = {k: len(v) for k, v in {**frames, **factor, "evidence": evidence, **neural}.items()}
    log.info("analytics written: %s", rows)
    return rows
