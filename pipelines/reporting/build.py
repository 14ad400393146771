"""Write the HTML reports: one page per portfolio and an index with every portfolio's key figures.

Layout under `$DAA_HOME/reports/`:
- `index.html` and `<portfolio_id>.html`: the latest reports;
- `runs/<run_id>/...`: the same pages as written by that run (when a run id is given), so a
  past run's report stays readable after later runs.

The warehouse is read once (one read-only connection, one query per table for all portfolios:
`pipelines.reporting.data`); the pages are the sections of `pipelines.reporting.sections`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines.config import Settings
from pipelines.reporting import data as D
from pipelines.reporting import html as H
from pipelines.reporting.accounts import overview as accounts_overview
from pipelines.reporting.sections import PORTFOLIO_SECTIONS, SPX_NOTE, PageContext, neural_table, neural_verdict
from pipelines.warehouse.db import connect

log = logging.getLogger(__name__)

SURVIVOR_MARK, INDEX_MARK = "†", "‡"


@dataclass(frozen=True)
class ReportResult:
    index: Path
    pages: dict[str, Path]
    run_dir: Path | None

    def to_dict(self) -> dict:
        return {"index": str(self.index), "pages": {k: str(v) for k, v in self.pages.items()},
                "run_dir": str(self.run_dir) if self.run_dir else None}


def portfolio_page(ctx: PageContext) -> str:
    info, nav = ctx.info, ctx.data.nav
    title = f"{info['name']} ({info['portfolio_id']})"
    if nav.empty:
        return H.page(title, "", H.note("No NAV rows yet: run the pipeline first."))
    sections = [s for s in PORTFOLIO_SECTIONS if s.applies(ctx)]
    body = "".join(H.section(s.id, s.title, s.render(ctx)) for s in sections)
    subtitle = (f"{H.esc(info['strategy'])} · {H.esc(info['risk_profile'])} · "
                f"{H.esc(nav.index[0].date())} to {H.esc(nav.index[-1].date())}"
                + (f" · run {H.esc(ctx.run_id)}" if ctx.run_id else "")
                + " · <a href=\"index.html\">all portfolios</a>")
    return H.page(title, subtitle, body, toc=[(s.id, s.title) for s in sections])


INDEX_COLUMNS = {"portfolio_id": "portfolio", "strategy": "strategy", "risk_profile": "risk",
                 "nav": "NAV", "total_return": "total return", "cagr": "CAGR", "ytd": "YTD",
                 "volatility": "volatility", "sharpe": "Sharpe", "max_drawdown": "max drawdown",
                 "benchmark": "benchmark", "benchmark_return": "benchmark return"}
INDEX_FORMATS = {"nav": "money", "total_return": "ret", "cagr": "ret", "ytd": "ret", "volatility": "pct",
                 "sharpe": "ratio", "max_drawdown": "ret", "benchmark_return": "ret"}


def evidence_section(rows: list[dict], family: dict | None) -> str:
    """The family's reality check and SPA against the reference, and each portfolio's verdicts."""
    verdicts = [r for r in rows if r.get("evidence")]
    if not verdicts and family is None:
        return H.section("evidence-section", "Evidence of outperformance",
                         H.note("No evidence rows (table `evidence`) yet: run the analytics step."))
    body = ""
    if family is not None:
        level = family["confidence"]
        spa_yes = family["spa"] <= 1 - level
        body += H.figures([
            (f"Dynamic portfolios vs {family['reference']}", str(family["size"]), ""),
            ("White's reality check p", H.fmt_num(family["reality_check"], 3), ""),
            ("Hansen's SPA p", H.fmt_num(family["spa"], 3), "pos" if spa_yes else "neg"),
        ])
        body += H.note(
            f"Null: no dynamic portfolio has a higher Sharpe ratio than {family['reference']} (daily excess "
            f"returns rescaled to its volatility, stationary bootstrap). "
            + (f"At {H.fmt_pct(level, 0)} confidence the family beats it: at least one strategy's edge is "
               f"not luck (which one, the rows say)." if spa_yes else
               f"At {H.fmt_pct(level, 0)} confidence the family does not beat it: the best backtest is "
               f"within what luck gives over {family['size']} strategies."))
    if verdicts:
        shown = pd.DataFrame([{"portfolio_id": r["portfolio_id"], **r["evidence"]} for r in verdicts])
        table = H.table(shown, {"dsr": "ratio", "n_trials": "int"}, table_id="evidence-verdicts",
                        links={"portfolio_id": "{value}.html"}, compact=True,
                        headers={"portfolio_id": "portfolio", "benchmark": "vs its benchmark",
                                 "reference": "vs the reference", "dsr": "DSR", "n_trials": "trials"})
        survivors = [r["portfolio_id"] for r in verdicts if r["survivor_stocks"]]
        for pid in survivors:
            table = table.replace(f">{H.esc(pid)}</a>", f">{H.esc(pid)}</a> {SURVIVOR_MARK}", 1)
        body += table + H.note(
            "yes: every test applied agrees (deflated Sharpe ratio, bootstrap interval of the Sharpe difference, the "
            "family's SPA, PBO for learned strategies); each page has the figures."
            + (f" {SURVIVOR_MARK}: stocks picked with hindsight (survivorship bias); their verdicts, and the "
               f"family's p-values they enter, are about the backtest, not an achievable edge." if survivors else ""))
    return H.section("evidence-section", "Evidence of outperformance", body)


def neural_section(rows: list[dict]) -> str:
    """Each neural policy's out-of-sample table against the baselines (table neural_evaluation)."""
    shown = [r for r in rows if r.get("neural") is not None and len(r["neural"])]
    if not shown:
        return ""
    body = ""
    for r in shown:
        pid = r["portfolio_id"]
        body += (f"<h3><a href=\"{H.esc(pid)}.html\">{H.esc(pid)}</a></h3>"
                 f"<p class=\"verdict\">{H.esc(neural_verdict(r['neural']))}</p>"
                 + neural_table(r["neural"], f"neural-{H.esc(pid)}"))
    return H.section("neural-section", "Neural policy out of sample", body + H.note(
        "Every row over the same dates, from the warehouse NAV with each portfolio's own costs; a baseline "
        "marked (other symbols) is the reference portfolio of its kind. See each policy's page for the refits."))


def evidence_verdicts(ev: pd.DataFrame) -> dict | None:
    """One index row's verdicts: 'yes' / 'no' against each comparison, the DSR and trials."""
    if ev.empty:
        return None
    out = {"benchmark": "–", "reference": "–"}
    for _, row in ev.iterrows():
        out[row["comparison"]] = f"{'yes' if row['outperformance'] else 'no'} ({row['compared_with']})"
    return {**out, "dsr": float(ev["dsr"].iloc[0]), "n_trials": int(ev["n_trials"].iloc[0])}


def index_page(rows: list[dict], run_id: str | None, earlier_runs: list[str],
               family: dict | None = None, accounts_html: str = "") -> str:
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
            ("Best since inception", f"{H.esc(best['portfolio_id'])} {H.fmt_pct(best['total_return'])}",
             H.signed_class(best["total_return"]),
             "survivorship bias: 20 present-day S&P 500 stocks" if best["survivor_stocks"] else ""),
            ("Worst since inception", f"{H.esc(worst['portfolio_id'])} {H.fmt_pct(worst['total_return'])}",
             H.signed_class(worst["total_return"])),
        ])
        body += H.caveats(index_caveats(df))
        shown = df.assign(portfolio_id=df["portfolio_id"], marks=df.apply(_marks, axis=1))
        table = H.table(shown[[*INDEX_COLUMNS, "name"]], INDEX_FORMATS, table_id="portfolios",
                        links={"portfolio_id": "{value}.html"}, headers=INDEX_COLUMNS,
                        subs={"portfolio_id": "name"}, compact=True)
        for pid, marks in zip(shown["portfolio_id"], shown["marks"], strict=True):
            if marks:  # the marks after the link, outside it
                table = table.replace(f">{H.esc(pid)}</a>", f">{H.esc(pid)}</a> {marks}", 1)
        body += H.section("portfolios-section", "Portfolios", table + H.note(
            "Since inception unless stated; YTD is a plain return since the last close of the previous "
            "year. Benchmark return: the benchmark over the portfolio's own dates."))
        body += evidence_section(rows, family)
        body += neural_section(rows)
    body += accounts_html
    if earlier_runs:
        body += H.section("runs", "Reports of earlier runs",
                          H.link_list([(f"runs/{r}/index.html", r) for r in earlier_runs]))
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    subtitle = f"Managed model portfolios · generated {generated}" + (f" · run {H.esc(run_id)}" if run_id else "")
    return H.page("Dynamic asset allocation: portfolio report", subtitle, body)


def _marks(row: pd.Series) -> str:
    return (SURVIVOR_MARK if row["survivor_stocks"] else "") + (INDEX_MARK if row["price_index"] else "")


def index_caveats(df: pd.DataFrame) -> list[str]:
    out = []
    survivors = df.loc[df["survivor_stocks"], "portfolio_id"].tolist()
    if survivors:
        out.append(f"{SURVIVOR_MARK} {len(survivors)} portfolios hold single stocks from the bundled data: "
                   f"20 companies that are in the S&P 500 today, chosen with hindsight (survivorship "
                   f"bias); their returns, the best on this page among them, are not achievable "
                   f"returns: {', '.join(survivors)}.")
    indices = sorted({s for v in df["price_index"] for s in v})
    if indices:
        out.append(f"{INDEX_MARK} " + SPX_NOTE.format(symbols=", ".join(indices)))
    return out


def safe_name(text: str) -> str:
    """A run id as a folder name (run ids contain ':' and '+')."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "run"


def write_reports(settings: Settings, run_id: str | None = None,
                  portfolio_ids: list[str] | None = None) -> ReportResult:
    """Read the warehouse (read-only, once) and write the pages; returns where they are."""
    out = settings.reports_dir
    run_dir = out / "runs" / safe_name(run_id) if run_id else None
    target = run_dir or out
    target.mkdir(parents=True, exist_ok=True)
    with connect(settings, read_only=True) as con:
        report = D.load(con, portfolio_ids)
    pages: dict[str, Path] = {}
    rows = []
    cache: dict = {}
    for pid in report.reported:
        ctx = PageContext(report.portfolio(pid), run_id=run_id, cache=cache)
        c = ctx.data.caveats
        rows.append({**ctx.figures, "survivor_stocks": bool(c.survivor_stocks), "price_index": c.price_index,
                     "evidence": evidence_verdicts(ctx.data.evidence),
                     "neural": ctx.data.neural_evaluation if len(ctx.data.neural_evaluation) else None})
        path = target / f"{pid}.html"
        _write(path, portfolio_page(ctx))
        pages[pid] = path
    earlier = sorted((p.name for p in (out / "runs").glob("*") if p.is_dir()), reverse=True)[:30] \
        if (out / "runs").exists() else []
    index = target / "index.html"
    family = report.family()
    clients = accounts_overview(report)
    _write(index, index_page(rows, run_id, [] if run_dir else earlier, family, clients))
    if run_dir is not None:  # the run's pages are also the latest ones
        for path in [*pages.values()]:
            shutil.copyfile(path, out / path.name)
        _write(out / "index.html", index_page(rows, run_id, earlier, family, clients))
        index = out / "index.html"
    log.info("wrote %d portfolio reports and %s", len(pages), index)
    return ReportResult(index=index, pages=pages, run_dir=run_dir)


def _write(path: Path, text: str) -> None:
    """Write via a temp file and rename, so a reader never sees half a page."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
