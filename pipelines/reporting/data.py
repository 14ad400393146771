"""What a report shows, read from the warehouse through one read-only connection.

Tables written by later steps (`performance`, `attribution`, `regimes`) may not exist yet in a
given warehouse; their absence yields empty frames, and the report says so instead of failing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb
import pandas as pd

from pipelines.warehouse.sql_files import load_sql


@dataclass(frozen=True)
class PortfolioData:
    """Everything one portfolio's report plots, as new frames (date-indexed where dated)."""

    info: dict
    nav: pd.DataFrame            # date -> nav, cash, costs, turnover, daily_return, rebalanced
    benchmark: pd.Series         # date -> benchmark value rebased to the first NAV (may be empty)
    weights: pd.DataFrame        # date x asset_class end-of-day weights
    latest_weights: pd.DataFrame
    trades: pd.DataFrame
    performance: pd.DataFrame
    attribution: pd.DataFrame
    regimes: pd.DataFrame        # date x regime probabilities (may be empty)


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return not con.execute(load_sql("reporting/table_columns.sql"), {"table": table}).df().empty


def _query(con: duckdb.DuckDBPyConnection, name: str, **params) -> pd.DataFrame:
    return con.execute(load_sql(f"reporting/{name}.sql"), params).df()


def _optional(con: duckdb.DuckDBPyConnection, table: str, pid: str) -> pd.DataFrame:
    """The portfolio's rows of an analytics table, empty when the table does not exist yet."""
    return _query(con, table, portfolio_id=pid) if table_exists(con, table) else pd.DataFrame()


def list_portfolios(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _query(con, "portfolios")


def _benchmark(con: duckdb.DuckDBPyConnection, info: dict, nav: pd.DataFrame, portfolio_ids: set[str]) -> pd.Series:
    """The benchmark (a symbol's price or another portfolio's NAV) rebased to the first NAV."""
    bench = info.get("benchmark")
    if not bench or nav.empty:
        return pd.Series(dtype=float, name="benchmark")
    if bench in portfolio_ids:
        series = _query(con, "nav", portfolio_id=bench).set_index("date")["nav"]
    elif table_exists(con, "prices"):
        series = _query(con, "benchmark_prices", symbol=bench, start=nav.index[0].date(),
                        end=nav.index[-1].date()).set_index("date")["close"]
    else:
        return pd.Series(dtype=float, name="benchmark")
    series.index = pd.to_datetime(series.index)
    series = series.reindex(nav.index).ffill().dropna()
    if series.empty:
        return pd.Series(dtype=float, name="benchmark")
    return (series / series.iloc[0] * nav["nav"].loc[series.index[0]]).rename(bench)


def regime_probabilities(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """date x regime probabilities from a `regimes` table: a JSON `probabilities` column
    (name -> probability, as migration 004 writes), long (date, regime, probability) or wide
    (date, one numeric `p_*` column per regime) form; empty when there is none."""
    if not table_exists(con, "regimes"):
        return pd.DataFrame()
    df = _query(con, "regimes")
    if df.empty or "date" not in df.columns:
        return pd.DataFrame()
    if "probabilities" in df.columns and df["probabilities"].notna().any():
        rows = df[df["probabilities"].notna()]
        parsed = [json.loads(v) if isinstance(v, str) else dict(v) for v in rows["probabilities"]]
        wide = pd.DataFrame(parsed, index=pd.to_datetime(rows["date"]).to_numpy()).astype(float)
        wide = wide.groupby(level=0).last()
        return wide.sort_index()
    label = next((c for c in ("regime", "state", "regime_name", "name", "label") if c in df.columns), None)
    prob = next((c for c in ("probability", "prob", "p") if c in df.columns), None)
    if label and prob:
        wide = df.pivot_table(index="date", columns=label, values=prob, aggfunc="last")
    else:
        cols = [c for c in df.columns if c.startswith(("p_", "prob")) and pd.api.types.is_numeric_dtype(df[c])]
        if not cols:
            return pd.DataFrame()
        wide = df.groupby("date")[cols].last()
        wide.columns = [c.removeprefix("prob_").removeprefix("p_") for c in cols]
    wide.index = pd.to_datetime(wide.index)
    return wide.sort_index()


def load_portfolio(con: duckdb.DuckDBPyConnection, info: dict, portfolio_ids: set[str],
                   regimes: pd.DataFrame | None = None) -> PortfolioData:
    pid = info["portfolio_id"]
    nav = _query(con, "nav", portfolio_id=pid)
    nav["date"] = pd.to_datetime(nav["date"])
    nav = nav.set_index("date")
    weights = _query(con, "weights", portfolio_id=pid)
    weights["date"] = pd.to_datetime(weights["date"])
    weights = weights.pivot_table(index="date", columns="asset_class", values="weight", aggfunc="sum").fillna(0.0)
    return PortfolioData(
        info=info, nav=nav, benchmark=_benchmark(con, info, nav, portfolio_ids), weights=weights,
        latest_weights=_query(con, "latest_weights", portfolio_id=pid),
        trades=_query(con, "trades", portfolio_id=pid),
        performance=_optional(con, "performance", pid),
        attribution=_optional(con, "attribution", pid),
        regimes=regimes if regimes is not None else regime_probabilities(con))
