"""What the reports show, read from the warehouse in one read-only connection: one query per
table for all reported portfolios (sql/reporting/*.sql), split by portfolio in memory.

Tables written by later steps (`performance`, `attribution`, `regimes`, the factor tables,
`evidence`, `neural_evaluation`) and the lake's `prices` view may be missing from a given
warehouse; their absence yields empty frames, and the page says so instead of failing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from pipelines.warehouse.sql_files import load_sql

EMPTY = pd.DataFrame()


@dataclass(frozen=True)
class Caveats:
    """What a quant would distrust in a portfolio's figures, flagged on its page."""

    survivor_stocks: tuple[str, ...] = ()   # single stocks from the bundled survivor set
    price_index: tuple[str, ...] = ()       # price indices (no dividends) held or compared


@dataclass(frozen=True)
class PortfolioData:
    """Everything one portfolio's page shows, as new frames (date-indexed where dated)."""

    info: dict
    nav: pd.DataFrame                 # date -> nav, cash, costs, turnover, daily_return
    benchmark: pd.Series              # date -> benchmark value rebased to the first NAV (may be empty)
    risk_free: pd.Series              # date -> daily return of the cash index (may be empty)
    weights: pd.DataFrame             # weekly date x label (asset class, or symbol), cash included
    weights_by_symbol: bool
    current_holdings: pd.DataFrame
    latest_targets: pd.DataFrame
    trades_daily: pd.DataFrame        # trade_date, bought, sold, tickets
    trades_last: pd.DataFrame
    trades_summary: dict
    performance: pd.DataFrame
    attribution: pd.DataFrame
    factor_exposures: pd.DataFrame    # date, factor, exposure, risk_contribution, r_squared, coverage
    factor_attribution: pd.DataFrame  # factor, since_start, last_12m, ytd, last_exposure, months
    evidence: pd.DataFrame            # one row per comparison (benchmark, reference), may be empty
    regimes: pd.DataFrame             # date x regime probabilities, plus p_risk_off (may be empty)
    caveats: Caveats = field(default_factory=Caveats)
    accounts_aum: pd.DataFrame = field(default_factory=pd.DataFrame)     # date, aum, accounts (weekly)
    accounts_latest: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per client account
    accounts_trades: pd.DataFrame = field(default_factory=pd.DataFrame)  # trade_date, reason, tickets
    neural_evaluation: pd.DataFrame = field(default_factory=pd.DataFrame)  # neural_sharpe: one row per role
    neural_refits: pd.DataFrame = field(default_factory=pd.DataFrame)      # neural_sharpe: one row per refit


def _query(con: duckdb.DuckDBPyConnection, name: str, **params) -> pd.DataFrame:
    return con.execute(load_sql(f"reporting/{name}.sql"), params).df()


def regime_probabilities(rows: pd.DataFrame) -> pd.DataFrame:
    """date x regime probabilities from the `regimes` rows (JSON `probabilities` by name), with
    `p_risk_off`. A refit whose mixture has fewer components writes no key for the regime it
    lacks: that regime's probability is 0 on those dates, not unknown, so the chart has no holes.
    """
    rows = rows[rows["probabilities"].notna()] if len(rows) else rows
    if rows.empty:
        return EMPTY
    parsed = [json.loads(v) if isinstance(v, str) else dict(v) for v in rows["probabilities"]]
    wide = pd.DataFrame.from_records(parsed, index=pd.to_datetime(rows["date"]).to_numpy()).astype(float)
    known = wide.notna().any(axis=1) & np.isclose(wide.sum(axis=1), 1.0, atol=1e-6)
    wide = wide.where(~known.to_numpy()[:, None] | wide.notna(), 0.0)
    wide = wide[sorted(wide.columns, key=_regime_order)]
    wide["p_risk_off"] = rows["p_risk_off"].to_numpy(dtype=float)
    return wide.groupby(level=0).last().sort_index()


def _regime_order(name: str) -> tuple[int, str]:
    return ({"calm": 0, "normal": 1, "stress": 2}.get(name, 3), name)


def _by_portfolio(df: pd.DataFrame, key: str = "portfolio_id") -> dict[str, pd.DataFrame]:
    if df.empty:
        return {}
    return {k: g.drop(columns=key).reset_index(drop=True) for k, g in df.groupby(key, sort=False)}


@dataclass(frozen=True)
class ReportData:
    """The warehouse's reported portfolios, each table read once, split by portfolio."""

    infos: list[dict]              # every portfolio with NAV rows (benchmark lookups)
    reported: tuple[str, ...]      # the portfolios that get a page
    assets: pd.DataFrame
    tables: dict[str, dict[str, pd.DataFrame]]
    prices: pd.DataFrame       # date x symbol closes of the benchmarks and the cash index
    regimes: pd.DataFrame
    cash_symbol: str | None

    def family(self) -> dict | None:
        """The reality check and SPA of the dynamic portfolios against the reference (the same
        on every family row of `evidence`), or None when no row has them."""
        fam = {pid: df[df["family_size"].notna()] for pid, df in self.tables.get("evidence", {}).items()}
        fam = {pid: df for pid, df in fam.items() if len(df)}
        if not fam:
            return None
        first = next(iter(fam.values())).iloc[0]
        return {"reference": first["compared_with"], "size": int(first["family_size"]),
                "reality_check": float(first["reality_check_pvalue"]), "spa": float(first["spa_pvalue"]),
                "confidence": float(first["confidence"]), "members": sorted(fam)}

    @property
    def ids(self) -> list[str]:
        return [i["portfolio_id"] for i in self.infos]

    def info(self, pid: str) -> dict:
        return next(i for i in self.infos if i["portfolio_id"] == pid)

    def _get(self, table: str, pid: str) -> pd.DataFrame:
        return self.tables.get(table, {}).get(pid, EMPTY)

    def nav(self, pid: str) -> pd.DataFrame:
        nav = self._get("nav", pid)
        return nav.assign(date=pd.to_datetime(nav["date"])).set_index("date") if len(nav) else nav

    def benchmark(self, info: dict, nav: pd.DataFrame) -> pd.Series:
        """The benchmark (a symbol's close or another portfolio's NAV) rebased to the first NAV."""
        bench = info.get("benchmark")
        if not bench or nav.empty:
            return pd.Series(dtype=float, name="benchmark")
        if bench in self.tables.get("nav", {}):
            series = self.nav(bench)["nav"]
        elif bench in self.prices.columns:
            series = self.prices[bench].dropna()
        else:
            return pd.Series(dtype=float, name="benchmark")
        series = series.reindex(nav.index).ffill().dropna()
        if series.empty:
            return pd.Series(dtype=float, name="benchmark")
        return (series / series.iloc[0] * nav["nav"].loc[series.index[0]]).rename(bench)

    def caveats(self, info: dict) -> Caveats:
        stocks = set(self.assets.loc[(self.assets["asset_class"] == "equity")
                                     & (self.assets["sector"] != "index"), "symbol"])
        indices = set(self.assets.loc[self.assets["sector"] == "index", "symbol"])
        universe = set(info.get("universe") or ())
        bundled = str(info.get("data_snapshot") or "").startswith("bundled")
        compared = {info.get("benchmark")} | universe
        if info.get("benchmark") in self.ids:
            compared |= set(self.info(info["benchmark"]).get("universe") or ())
        return Caveats(survivor_stocks=tuple(sorted(universe & stocks)) if bundled else (),
                       price_index=tuple(sorted(compared & indices)))

    def portfolio(self, pid: str) -> PortfolioData:
        info = self.info(pid)
        nav = self.nav(pid)
        rf = pd.Series(dtype=float)
        if self.cash_symbol in self.prices.columns and len(nav):
            rf = self.prices[self.cash_symbol].reindex(nav.index).ffill().pct_change()
        w = self._get("weights", pid)
        weights = EMPTY
        if len(w):
            weights = w.pivot_table(index=pd.to_datetime(w["date"]), columns="label", values="weight",
                                    aggfunc="sum").fillna(0.0)
        summary = self._get("trades_summary", pid)
        return PortfolioData(
            info=info, nav=nav, benchmark=self.benchmark(info, nav), risk_free=rf,
            weights=weights, weights_by_symbol=bool(len(w) and w["by_symbol"].iloc[0]),
            current_holdings=self._get("current_holdings", pid),
            latest_targets=self._get("latest_targets", pid),
            trades_daily=self._get("trades_daily", pid), trades_last=self._get("trades_last", pid),
            trades_summary=summary.iloc[0].to_dict() if len(summary) else {},
            performance=self._get("performance", pid), attribution=self._get("attribution", pid),
            factor_exposures=self._get("factor_exposures", pid),
            factor_attribution=self._get("factor_attribution", pid),
            evidence=self._get("evidence", pid), regimes=self.regimes, caveats=self.caveats(info),
            accounts_aum=self._get("accounts_aum", pid), accounts_latest=self._get("accounts_latest", pid),
            accounts_trades=self._get("accounts_trades", pid),
            neural_evaluation=self._get("neural_evaluation", pid), neural_refits=self._get("neural_refits", pid))


# table -> the relations its query needs; each query reads every reported portfolio at once
PER_PORTFOLIO = {
    "nav": ("nav",), "weights": ("positions", "nav", "assets"),
    "current_holdings": ("v_current_holdings",), "latest_targets": ("v_latest_allocations",),
    "trades_daily": ("trades",), "trades_summary": ("trades",), "trades_last": ("trades",),
    "performance": ("performance",), "attribution": ("attribution",),
    "factor_exposures": ("factor_exposures",), "factor_attribution": ("factor_attribution",),
    "evidence": ("evidence",),
    "accounts_aum": ("account_nav",), "accounts_latest": ("account_performance",),
    "accounts_trades": ("account_trades",),
    "neural_evaluation": ("neural_evaluation",), "neural_refits": ("neural_refit_evaluation",),
}


def load(con: duckdb.DuckDBPyConnection, portfolio_ids: list[str] | None = None) -> ReportData:
    """Read what the pages need for the given portfolios (default: all with NAV rows)."""
    present = set(_query(con, "relations")["name"])
    infos = _query(con, "portfolios").to_dict("records")
    for info in infos:
        info["universe"] = list(info["universe"]) if info.get("universe") is not None else []
    known = {i["portfolio_id"] for i in infos}
    if portfolio_ids:
        missing = sorted(set(portfolio_ids) - known)
        if missing:
            raise KeyError(f"no NAV rows for portfolio(s) {', '.join(missing)}; known: {', '.join(sorted(known))}")
    # benchmark portfolios are read too (their NAV is the benchmark line), but get no page
    wanted = set(portfolio_ids or known)
    wanted |= {i["benchmark"] for i in infos if i["portfolio_id"] in wanted and i["benchmark"] in known}
    ids = sorted(wanted)
    tables = {name: _by_portfolio(_query(con, name, ids=ids)) if set(needs) <= present else {}
              for name, needs in PER_PORTFOLIO.items()}
    assets = _query(con, "assets")
    cash = assets.loc[assets["asset_class"] == "cash", "symbol"]
    cash_symbol = str(cash.iloc[0]) if len(cash) else None
    prices = EMPTY
    navs = tables["nav"]
    if "prices" in present and navs:
        symbols = sorted({i["benchmark"] for i in infos if i["portfolio_id"] in wanted and i["benchmark"]}
                         - known | ({cash_symbol} if cash_symbol else set()))
        start = min(n["date"].min() for n in navs.values())
        end = max(n["date"].max() for n in navs.values())
        p = _query(con, "prices", symbols=symbols, start=start, end=end)
        prices = p.pivot(index="date", columns="symbol", values="close")
        prices.index = pd.to_datetime(prices.index)
    regimes = regime_probabilities(_query(con, "regimes")) if "regimes" in present else EMPTY
    reported = tuple(sorted(set(portfolio_ids))) if portfolio_ids else tuple(sorted(known))
    return ReportData(infos=infos, reported=reported, assets=assets, tables=tables, prices=prices,
                      regimes=regimes, cash_symbol=cash_symbol)
