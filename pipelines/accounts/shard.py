"""One shard of an account run: read its staged inputs (no DuckDB), simulate, stage its rows.

What a mapped task calls: `compute_shard(plan_path, shard)` returns the manifest of the rows it
staged under `outputs/<shard>/`.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.accounts.outputs import ShardOutputs
from pipelines.accounts.performance import performance_frame
from pipelines.accounts.rebalance import Book
from pipelines.accounts.simulate import Flows, Market, Models, Simulation, State
from pipelines.accounts.stage import Plan
from pipelines.portfolio.costs import CostArrays

log = logging.getLogger(__name__)


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(folder / f"{name}.parquet")


def _book(accounts: pd.DataFrame, restrictions: pd.DataFrame, plan: Plan, arrays) -> Book:
    model_of = {m: i for i, m in enumerate(plan.models)}
    col = {s: i for i, s in enumerate(plan.symbols)}
    m = accounts["portfolio_id"].map(model_of).to_numpy(dtype=np.int64)
    row = {a: i for i, a in enumerate(accounts["account_id"])}
    if len(restrictions):
        restricted = np.column_stack([restrictions["account_id"].map(row).to_numpy(),
                                      restrictions["symbol"].map(col).to_numpy(),
                                      restrictions["substitute"].map(lambda s: col.get(s, -1)).to_numpy()])
    else:
        restricted = np.zeros((0, 3), dtype=np.int64)
    costs = CostArrays(arrays["cost_commission"][m], arrays["cost_min_commission"][m], arrays["cost_spread"][m],
                       arrays["cost_impact"][m])
    tolerance = accounts["drift_tolerance"].astype(float).fillna(plan.tolerance).to_numpy()
    return Book(model=m, fractional=accounts["fractional"].to_numpy(dtype=bool), tolerance=tolerance,
                buffer=accounts["cash_buffer"].to_numpy(dtype=float),
                min_trade=accounts["min_trade_value"].to_numpy(dtype=float),
                fee_rate=accounts["fee_bps"].to_numpy(dtype=float) / 1e4, restricted=restricted.astype(np.int64),
                costs=costs, bt=np.array([plan.bt[x] for x in plan.models], dtype=bool)[m], lot=plan.lot)


def _state(accounts: pd.DataFrame, state: pd.DataFrame, holdings: pd.DataFrame, plan: Plan) -> State:
    K, N = len(accounts), len(plan.symbols)
    out = State.empty(K, N)
    if not len(state):
        return out
    row = pd.Series(np.arange(K), index=accounts["account_id"])
    k = row[state["account_id"]].to_numpy()
    out.alive[k] = True
    model_of = {m: i for i, m in enumerate(plan.models)}
    out.model[k] = state["portfolio_id"].map(model_of).to_numpy()
    for name in out.scalar_fields():
        if name != "model":
            getattr(out, name)[k] = state[name].to_numpy()
    if len(holdings):
        col = {s: i for i, s in enumerate(plan.symbols)}
        out.q[row[holdings["account_id"]].to_numpy(), holdings["symbol"].map(col).to_numpy()] = holdings["quantity"]
    return out


def _checkpoint_days(dates: pd.DatetimeIndex) -> set[int]:
    """The last run day of each month, and the run's last day."""
    if not len(dates):
        return set()
    month = dates.year * 12 + dates.month
    last = np.flatnonzero(np.r_[month[1:] != month[:-1], True])
    return {int(t) for t in last}


def compute_shard(plan_path: str | Path, shard: str) -> str:
    """Simulate one shard over the plan's days and stage its rows; returns the manifest path."""
    t0 = time.perf_counter()
    plan = Plan.read(plan_path)
    folder = plan.inputs / shard
    arrays = np.load(plan.inputs / "arrays.npz")
    accounts = _read(folder, "accounts")
    dates = pd.DatetimeIndex(pd.to_datetime(plan.dates))
    ids = accounts["account_id"].to_numpy(dtype=object)
    book = _book(accounts, _read(folder, "restrictions"), plan, arrays)
    state = _state(accounts, _read(folder, "state"), _read(folder, "holdings"), plan)
    market = Market(dates, arrays["days"], arrays["new_month"], arrays["marks"], arrays["fresh"], arrays["cash_ratio"])
    models = Models(arrays["weights"], arrays["changed"], arrays["version"], plan.versions, arrays["nav_ratio"],
                    plan.models)
    flows = _flows(_read(folder, "flows"), accounts)
    inception_day = np.where(state.alive, -1, accounts["first_day"].to_numpy(dtype=np.int64))
    sink = ShardOutputs(plan.outputs / shard, dates, ids, plan.symbols, plan.models, plan.versions)
    sim = Simulation(book, state, market, models, flows, inception_day, ids, plan.symbols,
                     _checkpoint_days(dates), sink)
    final = sim.run()
    if len(dates):
        owner, when, amount = _external(_read(folder, "history"), accounts, sim, dates)
        rows = np.flatnonzero(final.alive)
        sink.performance(performance_frame(final, rows, ids, plan.models, dates[-1], owner, when, amount,
                                           sim.last_drift, book.tolerance))
    path = sink.close({"shard": shard, "accounts": len(accounts), "days": len(dates),
                       "start": plan.dates[0] if plan.dates else None, "end": plan.dates[-1] if plan.dates else None,
                       "seconds": round(time.perf_counter() - t0, 3)})
    log.info("%s: %d accounts x %d days in %.2fs", shard, len(accounts), len(dates), time.perf_counter() - t0)
    return str(path)


def _flows(df: pd.DataFrame, accounts: pd.DataFrame) -> Flows:
    row = pd.Series(np.arange(len(accounts)), index=accounts["account_id"])
    df = df.sort_values(["day"], kind="stable")
    return Flows(df["day"].to_numpy(dtype=np.int64), row[df["account_id"]].to_numpy(dtype=np.int64),
                 df["kind"].to_numpy(dtype=np.int64), df["amount"].to_numpy(dtype=float),
                 np.array([v if isinstance(v, str) else None for v in df["flow_id"]], dtype=object))


def _external(history: pd.DataFrame, accounts: pd.DataFrame, sim: Simulation, dates: pd.DatetimeIndex):
    """Every external flow since inception (history up to the checkpoint, then the run's)."""
    row = pd.Series(np.arange(len(accounts)), index=accounts["account_id"])
    owners = [row[history["account_id"]].to_numpy(dtype=np.int64)]
    when = [pd.to_datetime(history["date"]).to_numpy(dtype="datetime64[D]")]
    amount = [history["amount"].to_numpy(dtype=float)]
    day = dates.to_numpy(dtype="datetime64[D]")
    for t, k, a in sim.external:
        owners.append(k)
        when.append(np.full(len(k), day[t]))
        amount.append(a)
    return np.concatenate(owners), np.concatenate(when), np.concatenate(amount)
