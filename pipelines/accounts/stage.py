"""Prepare an account run: read the warehouse once (read-only) and the lake, and stage what
every shard needs as files, so the mapped shard tasks never open DuckDB.

A run covers the trading days after the latest state checkpoint on or before the day before
its first day (a new book: from the first inception), up to `as_of`. Checkpoints are kept at
every month's last day and the latest runs, so a daily run resumes from yesterday and
re-running a day recomputes it from the same state. An account imported with an inception
before a checkpoint moves the resume point before its inception.

Layout under `$DAA_HOME/staging/accounts/<run>/`: `inputs/plan.json` (days, symbols, models,
settings, shards), `inputs/arrays.npz` (prices, the models' targets and NAV growth per day),
`inputs/<shard>/*.parquet` (accounts, restrictions, state, holdings, flows, flow history).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines import lake
from pipelines.accounts.flows import effective_day, occurrences
from pipelines.accounts.settings import AccountsConfig, accounts_config
from pipelines.accounts.simulate import FLOW_KINDS, INITIAL
from pipelines.allocation import catalog
from pipelines.config import PortfolioConfig, Settings
from pipelines.lake.files import write_parquet_atomic
from pipelines.portfolio.costs import CostArrays
from pipelines.warehouse.db import connect, table_names
from pipelines.warehouse.sql_files import load_sql


@dataclass(frozen=True)
class Plan:
    """What a run computes; every shard task reads it."""

    run_id: str
    as_of: str
    checkpoint: str | None
    dates: list[str]
    symbols: list[str]
    cash_symbol: str
    models: list[str]
    bt: dict[str, bool]
    versions: list[str]
    lot: float
    tolerance: float
    data_snapshot: str
    shards: list[str]
    folder: str

    @property
    def inputs(self) -> Path:
        return Path(self.folder) / "inputs"

    @property
    def outputs(self) -> Path:
        return Path(self.folder) / "outputs"

    def write(self) -> Path:
        path = self.inputs / "plan.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1))
        tmp.replace(path)
        return path

    @classmethod
    def read(cls, path: str | Path) -> Plan:
        return cls(**json.loads(Path(path).read_text()))


def run_folder(settings: Settings, run_id: str) -> Path:
    return settings.staging_dir / "accounts" / re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id)


# --------------------------------------------------------------------------- reading the warehouse


def _q(con: duckdb.DuckDBPyConnection, name: str, **params) -> pd.DataFrame:
    return con.execute(load_sql(f"app/{name}.sql"), params).df()


def _checkpoint(con, book: pd.DataFrame, before: dt.date) -> dt.date | None:
    """The latest checkpoint on or before `before` that holds every account incepted by then."""
    inception = pd.to_datetime(book["inception"])
    for (date,) in con.execute(load_sql("app/accounts_checkpoint_dates.sql"), {"before": before}).fetchall():
        have = set(_q(con, "accounts_checkpoint_ids", date=date)["account_id"])
        due = book.loc[(inception <= pd.Timestamp(date)).to_numpy(), "account_id"]
        if set(due) <= have:
            return date
    return None


@dataclass(frozen=True)
class _Read:
    book: pd.DataFrame
    restrictions: pd.DataFrame
    checkpoint: dt.date | None
    state: pd.DataFrame
    holdings: pd.DataFrame
    flows: pd.DataFrame
    history: pd.DataFrame
    targets: pd.DataFrame
    model_nav: pd.DataFrame
    snapshot: str


def _read_warehouse(settings: Settings, as_of: dt.date, start: dt.date, first_model_day: dt.date) -> _Read:
    with connect(settings, read_only=True) as con:
        if "accounts" not in table_names(con):
            raise RuntimeError("the warehouse has no accounts tables yet: import a book first "
                               "(python -m pipelines accounts import FILE, or accounts generate)")
        book = _q(con, "accounts_book_all")
        restrictions = _q(con, "accounts_restrictions")
        c = _checkpoint(con, book, start - dt.timedelta(days=1)) if len(book) else None
        if c is not None:
            state, holdings = _q(con, "accounts_state_at", date=c), _q(con, "accounts_holdings_at", date=c)
            history = _q(con, "accounts_flow_history", date=c)
        else:
            state = pd.DataFrame(columns=["account_id"])
            holdings = pd.DataFrame(columns=["account_id", "symbol", "quantity"])
            history = pd.DataFrame(columns=["account_id", "date", "amount"])
        flows = _q(con, "accounts_window_flows", after=c, as_of=as_of)
        models = sorted(set(book["portfolio_id"]) | set(state.get("portfolio_id", [])))
        cash = settings.universe.cash_symbol
        targets = _q(con, "accounts_model_targets", as_of=as_of, models=models, cash_symbol=cash)
        first = c if c is not None else first_model_day
        model_nav = _q(con, "accounts_model_nav", models=models, first=first, as_of=as_of)
        snapshot = ",".join(_q(con, "accounts_snapshot", as_of=as_of, models=models).iloc[:, 0]) or "none"
    return _Read(book, restrictions, c, state, holdings, flows, history, targets, model_nav, snapshot)


# --------------------------------------------------------------------------- arrays


def _market(settings: Settings, symbols: list[str], first: dt.date, as_of: dt.date, checkpoint: dt.date | None,
            stale: int):
    """(run days, prices frame with the calendar's rows from the day before the first run day)."""
    u = settings.universe
    cols = list(dict.fromkeys([*symbols, u.cash_symbol, u.calendar_symbol]))
    anchor = checkpoint or (first - dt.timedelta(days=1))
    frame = lake.read_price_window(settings, as_of, cols, anchor, stale + 1)
    frame = frame[frame[u.calendar_symbol].notna()]
    idx = frame.index
    run = idx[(idx > pd.Timestamp(anchor)) & (idx <= pd.Timestamp(as_of))]
    return run, frame


def _market_arrays(frame: pd.DataFrame, run: pd.DatetimeIndex, symbols: list[str], cash_symbol: str,
                   stale: int) -> dict[str, np.ndarray]:
    where = frame.index.get_indexer(run)
    raw = frame[symbols].to_numpy(dtype=float) if symbols else np.empty((len(frame), 0))
    marks = pd.DataFrame(raw).ffill(limit=stale).to_numpy() if stale else raw
    prev_pos = where - 1
    if len(where) and prev_pos[0] < 0:
        prev_pos[0] = 0
    prev_dates = frame.index[prev_pos]
    cash = frame[cash_symbol].to_numpy(dtype=float)
    ratio = cash[where] / cash[prev_pos]
    ratio = np.where(where == prev_pos, 1.0, ratio)
    if not np.all(np.isfinite(ratio)):
        bad = run[~np.isfinite(ratio)][0]
        raise ValueError(f"no {cash_symbol} price to accrue account cash on {bad.date()}")
    days = np.maximum((run - prev_dates).days.to_numpy(), 1)
    new_month = (run.month != prev_dates.month) | (run.year != prev_dates.year)
    if len(where) and where[0] == 0:
        new_month[0] = False
    return {"marks": marks[where], "fresh": np.isfinite(raw[where]), "cash_ratio": ratio, "days": days,
            "new_month": np.asarray(new_month, dtype=bool)}


def _model_arrays(targets: pd.DataFrame, model_nav: pd.DataFrame, models: list[str], symbols: list[str],
                  run: pd.DatetimeIndex, checkpoint: dt.date | None, threshold: float):
    """(M, T, N) targets in force, (M, T) changed flags, version codes and NAV growth."""
    M, T, N = len(models), len(run), len(symbols)
    W = np.full((M, T, N), np.nan)
    changed = np.zeros((M, T), dtype=bool)
    version = np.full((M, T), -1, dtype=np.int32)
    versions = sorted({v for v in targets["model_version"].dropna().unique()})
    vcode = {v: i for i, v in enumerate(versions)}
    col = {s: i for i, s in enumerate(symbols)}
    prev_day = pd.Timestamp(checkpoint) if checkpoint else run[0] - pd.Timedelta(days=1) if T else None
    for m, rows in _by_model(targets, models):
        dates = pd.DatetimeIndex(sorted(rows["date"].unique()))
        dense = np.zeros((len(dates), N))
        d_idx = dates.get_indexer(pd.to_datetime(rows["date"]))
        dense[d_idx, rows["symbol"].map(col).to_numpy()] = rows["weight"].to_numpy(dtype=float)
        ver = rows.groupby("date")["model_version"].first().reindex(dates)
        at = np.searchsorted(dates.to_numpy(), run.to_numpy(), side="right") - 1
        at_prev = np.concatenate([[np.searchsorted(dates.to_numpy(), np.datetime64(prev_day), side="right") - 1],
                                  at[:-1]]) if T else at
        ok = at >= 0
        W[m, ok] = dense[at[ok]]
        version[m, ok] = [vcode.get(v, -1) if isinstance(v, str) else -1 for v in ver.to_numpy()[at[ok]]]
        moved = np.where((at_prev >= 0) & ok, np.abs(dense[np.maximum(at, 0)] - dense[np.maximum(at_prev, 0)])
                         .max(axis=1, initial=0.0), 0.0)
        changed[m] = (at != at_prev) & (at_prev >= 0) & (moved > threshold)
    nav = model_nav.pivot(index="date", columns="portfolio_id", values="nav")
    nav.index = pd.to_datetime(nav.index)
    nav = nav.reindex(columns=models)
    full = nav.reindex(nav.index.union(run)).sort_index()
    growth = (full / full.shift(1)).reindex(run).to_numpy(dtype=float).T if T else np.zeros((M, 0))
    return {"weights": W, "changed": changed, "version": version, "nav_ratio": growth}, versions


def _by_model(targets: pd.DataFrame, models: list[str]):
    groups = dict(tuple(targets.groupby("portfolio_id")))
    for m, pid in enumerate(models):
        if pid in groups:
            yield m, groups[pid].reset_index(drop=True)


# --------------------------------------------------------------------------- shard files


def _symbols(book: pd.DataFrame, restrictions: pd.DataFrame, configs: dict[str, PortfolioConfig],
             settings: Settings) -> list[str]:
    used = {s for pid in set(book["portfolio_id"]) for s in configs[pid].symbols}
    used |= set(restrictions["symbol"]) | set(restrictions["substitute"])
    used.discard(settings.universe.cash_symbol)
    return [s for s in settings.universe.symbols if s in used]


def _flow_rows(read: _Read, run: pd.DatetimeIndex, as_of: dt.date, first_day: np.ndarray) -> pd.DataFrame:
    """The run's flow occurrences with the position of the day each takes effect."""
    occ = occurrences(read.flows, as_of, since=read.checkpoint)
    pos = effective_day(occ["date"], occ["recorded_on"], run) if len(occ) else np.zeros(0, dtype=np.int64)
    kinds = {k: i for i, k in enumerate(FLOW_KINDS)}
    out = pd.DataFrame({"account_id": occ["account_id"], "day": pos,
                        "kind": occ["kind"].map(kinds).astype(np.int64),
                        "amount": occ["amount"].astype(float), "flow_id": occ["flow_id"]})
    effective = np.maximum(pd.to_datetime(occ["date"]), pd.to_datetime(occ["recorded_on"]))
    after = pd.Timestamp(read.checkpoint) if read.checkpoint else pd.Timestamp.min
    out = out[(out["day"] < len(run)) & (effective > after).to_numpy()]
    in_state = read.book["account_id"].isin(set(read.state["account_id"]))
    new = ~in_state.to_numpy() & (first_day < len(run))
    initial = pd.DataFrame({"account_id": read.book["account_id"][new], "day": first_day[new],
                            "kind": INITIAL, "amount": read.book["initial_deposit"][new].astype(float),
                            "flow_id": None})
    return pd.concat([initial, out], ignore_index=True).sort_values(["day", "account_id"], kind="stable")


def prepare(settings: Settings, as_of: dt.date, run_id: str, start: dt.date | None = None) -> Plan:
    """Stage the inputs of every shard for a run up to `as_of` (from `start`, default `as_of`)."""
    cfg = accounts_config(settings)
    start = start or as_of
    configs = {p.id: p for p in catalog.portfolios(settings)}
    first_model_day = min((p.inception for p in configs.values()), default=as_of)
    read = _read_warehouse(settings, as_of, start, first_model_day)
    folder = run_folder(settings, run_id)
    if folder.exists():
        shutil.rmtree(folder)
    book = read.book
    if book.empty:
        plan = Plan(run_id=run_id, as_of=as_of.isoformat(), checkpoint=None, dates=[], symbols=[],
                    cash_symbol=settings.universe.cash_symbol, models=[], bt={}, versions=[],
                    lot=cfg.fractional_lot, tolerance=cfg.drift_tolerance, data_snapshot=read.snapshot, shards=[],
                    folder=str(folder))
        plan.write()
        return plan
    unknown = sorted(set(book["portfolio_id"]) - set(configs))
    if unknown:
        raise ValueError(f"accounts follow model portfolios that are no longer configured: {unknown}")
    symbols = _symbols(book, read.restrictions, configs, settings)
    models = sorted(set(book["portfolio_id"]) | set(read.state.get("portfolio_id", [])))
    first = min(pd.to_datetime(book["inception"]).min().date(), as_of) if len(book) else as_of
    run, frame = _market(settings, symbols, first, as_of, read.checkpoint, cfg.max_stale_days)
    arrays = _market_arrays(frame, run, symbols, settings.universe.cash_symbol, cfg.max_stale_days)
    model_arrays, versions = _model_arrays(read.targets, read.model_nav, models, symbols, run, read.checkpoint,
                                           cfg.model_change_threshold)
    plan = Plan(run_id=run_id, as_of=as_of.isoformat(),
                checkpoint=read.checkpoint.isoformat() if read.checkpoint else None,
                dates=[d.date().isoformat() for d in run], symbols=symbols,
                cash_symbol=settings.universe.cash_symbol, models=models,
                bt={m: configs[m].fill_convention == "bt" for m in models}, versions=versions,
                lot=cfg.fractional_lot, tolerance=cfg.drift_tolerance, data_snapshot=read.snapshot,
                shards=_write_shards(folder, read, run, as_of, cfg), folder=str(folder))
    costs = CostArrays.build([configs[m].costs for m in models], symbols, settings.universe.asset_classes)
    plan.inputs.mkdir(parents=True, exist_ok=True)
    np.savez(plan.inputs / "arrays.npz", **arrays, **model_arrays, cost_commission=costs.commission,
             cost_min_commission=costs.min_commission, cost_spread=costs.spread, cost_impact=costs.impact)
    plan.write()
    return plan


def _write_shards(folder: Path, read: _Read, run: pd.DatetimeIndex, as_of: dt.date, cfg: AccountsConfig) -> list[str]:
    book = read.book
    first_day = np.searchsorted(run.to_numpy(), pd.to_datetime(book["inception"]).to_numpy(), side="left")
    flows = _flow_rows(read, run, as_of, first_day)
    shard_of = pd.Series(np.arange(len(book)) // cfg.shard_size, index=book["account_id"])
    parts = {"accounts": book.assign(first_day=first_day), "restrictions": read.restrictions,
             "state": read.state, "holdings": read.holdings, "flows": flows, "history": read.history}
    codes = {t: df["account_id"].map(shard_of).to_numpy() if len(df) else np.zeros(0, int) for t, df in parts.items()}
    names = []
    for s in range(int(np.ceil(len(book) / cfg.shard_size))):
        name = f"shard-{s:04d}"
        for table, df in parts.items():
            rows = df[codes[table] == s] if len(df) else df
            write_parquet_atomic(rows.reset_index(drop=True), folder / "inputs" / name / f"{table}.parquet")
        names.append(name)
    return names
