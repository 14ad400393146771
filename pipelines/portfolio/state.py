"""Read a portfolio's state back from the warehouse: where the daily run resumes."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipelines.config import PortfolioConfig, Settings
from pipelines.portfolio.engine import PortfolioState
from pipelines.warehouse.db import connect, table_names
from pipelines.warehouse.sql_files import load_sql


def load_state(settings: Settings, cfg: PortfolioConfig, before: dt.date,
               nav_history: bool = False) -> PortfolioState:
    """Holdings, cash and the targets in force (with their model version) at the close of the
    last stored date before `before`, and the NAV history when `nav_history` (path-dependent
    strategies read it); the initial state if nothing is stored."""
    if not settings.warehouse_path.exists():
        return PortfolioState.initial(cfg)
    with connect(settings, read_only=True) as con:
        if "nav" not in table_names(con):
            return PortfolioState.initial(cfg)
        params = {"portfolio_id": cfg.id, "before": before}
        last = con.execute(load_sql("app/state_last_nav.sql"), params).fetchone()
        if last is None:
            return PortfolioState.initial(cfg)
        last_date = pd.Timestamp(last[0])
        pos = con.execute(load_sql("app/state_positions.sql"),
                          {"portfolio_id": cfg.id, "date": last_date.date()}).fetchall()
        tw = con.execute(load_sql("app/state_targets.sql"), params).fetchall()
        hist = con.execute(load_sql("app/state_nav_history.sql"), params).df() if nav_history else None
    targets = {s: float(w) for s, w, _ in tw if s in cfg.symbols} or None
    versions = {v for _, _, v in tw}
    history = pd.Series(dtype=float)
    if hist is not None:
        history = pd.Series(hist["nav"].to_numpy(dtype=float),
                            index=pd.DatetimeIndex(pd.to_datetime(hist["date"])))
    return PortfolioState(
        date=last_date, cash=float(last[2]), nav=float(last[1]), quantities={s: float(q) for s, q in pos},
        nav_history=history, targets=targets,
        targets_version=next(iter(versions)) if len(versions) == 1 else None)
