"""Read a portfolio's state back from the warehouse: where the daily run resumes."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipelines.config import PortfolioConfig, Settings
from pipelines.portfolio.engine import PortfolioState
from pipelines.warehouse.db import connect
from pipelines.warehouse.sql_files import load_sql


def load_state(settings: Settings, cfg: PortfolioConfig, before: dt.date) -> PortfolioState:
    """Holdings, cash, NAV history and targets in force at the close of the last date before
    `before`; the initial state if none."""
    if not settings.warehouse_path.exists():
        return PortfolioState.initial(cfg)
    with connect(settings, read_only=True) as con:
        tables = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "nav" not in tables:
            return PortfolioState.initial(cfg)
        hist = con.execute(load_sql("app/state_nav_history.sql"),
                           {"portfolio_id": cfg.id, "before": before}).df()
        if hist.empty:
            return PortfolioState.initial(cfg)
        last = hist.iloc[-1]
        last_date = pd.Timestamp(last["date"])
        pos = con.execute(load_sql("app/state_positions.sql"),
                          {"portfolio_id": cfg.id, "date": last_date.date()}).fetchall()
        tw = con.execute(load_sql("app/state_targets.sql"),
                         {"portfolio_id": cfg.id, "before": before}).fetchall()
    targets = {s: float(w) for s, w in tw if s in cfg.symbols} or None
    return PortfolioState(
        date=last_date, cash=float(last["cash"]), quantities={s: float(q) for s, q in pos},
        nav_history=pd.Series(hist["nav"].to_numpy(dtype=float),
                              index=pd.DatetimeIndex(pd.to_datetime(hist["date"]))),
        targets=targets)
