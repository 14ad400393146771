"""Write the HTML reports: one page per portfolio and an index with every portfolio's key figures.

Layout under `$DAA_HOME/reports/`:
- `index.html` and `<portfolio_id>.html`: the latest reports;
- `runs/<run_id>/...`: the same pages as written by that run (when a run id is given), so a
  past run's report stays readable after later runs.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.config import Settings
from pipelines.reporting import html as H
from pipelines.reporting import plots
from pipelines.reporting.data import PortfolioData, list_portfolios, load_portfolio, regime_probabilities
from pipelines.warehouse.db import connect

log = logging.getLogger(__name__)
TRADING_DAYS = 252


@dataclass(frozen=True)
class ReportResult:
    index: Path
    pages: dict[str, Path]
    run_dir: Path | None

    def to_dict(self) -> dict:
        return {"index": str(self.index), "pages": {k: str(v) for k, v in self.pages.items()},
                "run_dir": str(self.run_dir) if self.run_dir else None}


def key_figures(data: PortfolioData) -> dict:
    """Headline numbers from the NAV (the same for every portfolio, whatever tables exist);
    Sharpe comes from the `performance` table when the analytics step has filled it."""
    nav = data.nav["nav"]
    rets = data.nav["daily_return"].iloc[1:]
    years = max((nav.index[-1] - nav.index[0]).days / 365.25, 1e-9) if len(nav) else np.nan
    start_value = float(data.info.get("initial_capital") or nav.iloc[0])
    last_year = nav[nav.index.year == nav.index[-1].year] if len(nav) else nav
    prior = nav[nav.index < last_year.index[0]] if len(last_year) else nav
    ytd_base = float(prior.iloc[-1]) if len(prior) else start_value
    bench = data.benchmark
    sharpe = np.nan
    if not data.performance.empty:
        row = data.performance[data.performance["horizon"] == "inception"]
        if len(row):
            sharpe = float(row["sharpe"].iloc[0]) if row["sharpe"].iloc[0] is not None else np.nan
    return {
        "portfolio_id": data.info["portfolio_id"],
        "name": data.info["name"],
        "strategy": data.info["strategy"],
        "last_date": nav.index[-1].date().isoformat() if len(nav) else None,
        "nav": float(nav.iloc[-1]) if len(nav) else np.nan,
        "total_return": float(nav.iloc[-1] / start_value - 1) if len(nav) else np.nan,
        "cagr": float((nav.iloc[-1] / start_value) ** (1 / years) - 1) if len(nav) else np.nan,
        "ytd": float(nav.iloc[-1] / ytd_base - 1) if len(nav) else np.nan,
        "volatility": float(rets.std() * np.sqrt(TRADING_DAYS)) if len(rets) > 1 else np.nan,
        "sharpe": sharpe,
        "max_drawdown": float(plots.drawdowns(nav).min()) if len(nav) else np.nan,
        "benchmark": data.info.get("benchmark"),
        "benchmark_return": float(bench.iloc[-1] / bench.iloc[0] - 1) if len(bench) else np.nan,
    }


def portfolio_page(data: PortfolioData, figures: dict, run_id: str | None) -> str:
    info, nav = data.info, data.nav
    parts = [H.figures([
        ("NAV", H.fmt_num(figures["nav"]), ""),
        ("Total return", H.fmt_pct(figures["total_return"]), H.signed_class(figures["total_return"])),
        ("CAGR", H.fmt_pct(figures["cagr"]), H.signed_class(figures["cagr"])),
        ("YTD", H.fmt_pct(figures["ytd"]), H.signed_class(figures["ytd"])),
        ("Volatility", H.fmt_pct(figures["volatility"]), ""),
        ("Sharpe", H.fmt_num(figures["sharpe"]), ""),
        ("Max drawdown", H.fmt_pct(figures["max_drawdown"]), "neg"),
        (f"Benchmark {info.get('benchmark') or ''}", H.fmt_pct(figures["benchmark_return"]),
         H.signed_class(figures["benchmark_return"])),
    ])]
    if nav.empty:
        parts.append(H.note("No NAV rows yet: run the pipeline first."))
        return H.page(f"{info['name']} ({info['portfolio_id']})", "", "".join(parts))
    parts.append(H.section("equity", "Equity curve vs benchmark",
                           H.image(plots.equity_curve(nav["nav"], data.benchmark), "equity curve")))
    parts.append(H.section("drawdown", "Drawdown",
                           H.image(plots.drawdown(nav["nav"], data.benchmark), "drawdown")))
    weights = H.image(plots.weights_area(data.weights), "weights over time") if not data.weights.empty \
        else H.note("No positions recorded.")
    if not data.latest_weights.empty:
        latest = data.latest_weights.assign(date=pd.to_datetime(data.latest_weights["date"]).dt.date.astype(str))
        weights += "<h3>Latest target weights</h3>" + H.table(latest, {"weight": "pct"})
    parts.append(H.section("weights", "Weights over time (by asset class)", weights))
    trades = H.image(plots.trades_bars(data.trades, nav["nav"]), "trades")
    if not data.trades.empty:
        days = pd.to_datetime(data.trades["trade_date"]).dt.date
        last = data.trades[days == days.max()].assign(trade_date=days[days == days.max()].astype(str))
        trades += (H.note("Traded notional per day as a share of NAV; the initial funding trades are left out.")
                   + f"<h3>Last trades ({H.esc(days.max())}), {len(data.trades):,} trades in all, "
                   f"costs {H.fmt_num(float(data.trades['cost'].sum()))}</h3>"
                   + H.table(last,
                             {"quantity": "num", "price": "num", "notional": "num", "cost": "num"}))
    parts.append(H.section("trades", "Trades", trades))
    if data.regimes.empty:
        regimes = H.note("No regime model output in the warehouse (table `regimes`) yet.")
    else:
        regimes = H.image(plots.regime_probabilities(data.regimes, nav.index[0], nav.index[-1]),
                          "regime probabilities")
    parts.append(H.section("regimes", "Regime probabilities", regimes))
    if data.attribution.empty:
        attribution = H.note("No attribution rows (table `attribution`) for this portfolio yet.")
    else:
        a = data.attribution
        attribution = (H.image(plots.attribution_bars(a), "attribution by asset class")
                       + H.table(a.drop(columns=["period_start", "period_end", "benchmark"]),
                                 {c: "pct" for c in a.columns if c not in ("segment",)})
                       + H.note(f"Cumulative Brinson-Fachler versus {a['benchmark'].iloc[0]}, "
                                f"{pd.Timestamp(a['period_start'].iloc[0]).date()} to "
                                f"{pd.Timestamp(a['period_end'].iloc[0]).date()}."))
    parts.append(H.section("attribution", "Attribution by asset class", attribution))
    if data.performance.empty:
        metrics = H.note("No performance rows (table `performance`) yet; key figures above come from the NAV.")
    else:
        p = data.performance.copy()
        for c in ("start_date", "end_date"):
            p[c] = pd.to_datetime(p[c]).dt.date.astype(str)
        pct_cols = {"total_return", "cagr", "volatility", "max_drawdown", "turnover", "hit_rate",
                    "benchmark_return", "tracking_error"}
        metrics = H.table(p, {c: "pct" for c in pct_cols} | {"costs_paid": "num"}, table_id="metrics-table")
    parts.append(H.section("metrics", "Metrics", metrics))
    subtitle = (f"{H.esc(info['strategy'])} · {H.esc(info['risk_profile'])} · "
                f"{H.esc(nav.index[0].date())} to {H.esc(nav.index[-1].date())}"
                + (f" · run {H.esc(run_id)}" if run_id else "") + " · <a href=\"index.html\">all portfolios</a>")
    return H.page(f"{info['name']} ({info['portfolio_id']})", subtitle, "".join(parts))


def index_page(rows: list[dict], run_id: str | None, earlier_runs: list[str]) -> str:
    df = pd.DataFrame(rows)
    body = ""
    if df.empty:
        body += H.note("No portfolios with NAV rows yet: run the pipeline first.")
    else:
        best = df.loc[df["total_return"].idxmax()]
        worst = df.loc[df["total_return"].idxmin()]
        body += H.figures([
            ("Portfolios", str(len(df)), ""),
            ("As of", H.esc(df["last_date"].max()), ""),
            ("Best since inception", f"{H.esc(best['portfolio_id'])} {H.fmt_pct(best['total_return'])}", "pos"),
            ("Worst since inception", f"{H.esc(worst['portfolio_id'])} {H.fmt_pct(worst['total_return'])}",
             H.signed_class(worst["total_return"])),
        ])
        formats = {"nav": "num", "total_return": "pct", "cagr": "pct", "ytd": "pct", "volatility": "pct",
                   "sharpe": "num", "max_drawdown": "pct", "benchmark_return": "pct"}
        body += H.section("portfolios-section", "Portfolios",
                          H.table(df, formats, table_id="portfolios", links={"portfolio_id": "{value}.html"}))
    if earlier_runs:
        body += H.section("runs", "Reports of earlier runs",
                          H.link_list([(f"runs/{r}/index.html", r) for r in earlier_runs]))
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    subtitle = f"Managed model portfolios · generated {generated}" + (f" · run {H.esc(run_id)}" if run_id else "")
    return H.page("Dynamic asset allocation: portfolio report", subtitle, body)


def safe_name(text: str) -> str:
    """A run id as a folder name (run ids contain ':' and '+')."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "run"


def write_reports(settings: Settings, run_id: str | None = None,
                  portfolio_ids: list[str] | None = None) -> ReportResult:
    """Read the warehouse (read-only) and write the pages; returns where they are."""
    out = settings.reports_dir
    run_dir = out / "runs" / safe_name(run_id) if run_id else None
    target = run_dir or out
    target.mkdir(parents=True, exist_ok=True)
    pages: dict[str, Path] = {}
    rows = []
    with connect(settings, read_only=True) as con:
        infos = list_portfolios(con).to_dict("records")
        known = {i["portfolio_id"] for i in infos}
        if portfolio_ids:
            missing = sorted(set(portfolio_ids) - known)
            if missing:
                raise KeyError(f"no NAV rows for portfolio(s) {', '.join(missing)}; known: {', '.join(sorted(known))}")
            infos = [i for i in infos if i["portfolio_id"] in set(portfolio_ids)]
        regimes = regime_probabilities(con)
        for info in infos:
            data = load_portfolio(con, info, known, regimes)
            figures = key_figures(data)
            rows.append(figures)
            path = target / f"{info['portfolio_id']}.html"
            _write(path, portfolio_page(data, figures, run_id))
            pages[info["portfolio_id"]] = path
    earlier = sorted((p.name for p in (out / "runs").glob("*") if p.is_dir()), reverse=True)[:30] \
        if (out / "runs").exists() else []
    index = target / "index.html"
    _write(index, index_page(rows, run_id, [] if run_dir else earlier))
    if run_dir is not None:  # the run's pages are also the latest ones
        for path in [*pages.values()]:
            shutil.copyfile(path, out / path.name)
        _write(out / "index.html", index_page(rows, run_id, earlier))
        index = out / "index.html"
    log.info("wrote %d portfolio reports and %s", len(pages), index)
    return ReportResult(index=index, pages=pages, run_dir=run_dir)


def _write(path: Path, text: str) -> None:
    """Write via a temp file and rename, so a reader never sees half a page."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
