"""The sections of a portfolio page, in order: each is an id, a title and a function from the
page's context to HTML. A section with nothing to show says why instead of disappearing, so
every page has the same sections and the browser check can find them all.

To add a section (client accounts, say): write `def accounts(ctx: PageContext) -> str`, add
its frame to `PortfolioData` and its query to `data.PER_PORTFOLIO` (one query for all
portfolios, sql/reporting/<name>.sql), and put `Section("accounts", "Accounts", accounts)` in
`PORTFOLIO_SECTIONS`. The table of contents, the page and the checks pick it up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from pipelines.reporting import accounts, plots
from pipelines.reporting import html as H
from pipelines.reporting import tearsheet as T
from pipelines.reporting.data import PortfolioData

SPX_NOTE = ("{symbols} is a price index: it leaves out dividends (about 2% a year for the S&P 500), "
            "so returns that hold or compare with it understate a total-return index.")
SURVIVOR_EVIDENCE = ("This portfolio holds stocks picked with hindsight (survivorship bias): evidence of "
                     "outperformance here is evidence about the backtest, not about an edge an investor "
                     "could have had.")
SURVIVOR_NOTE = ("Invests in single stocks from the bundled data: 20 companies that are in the S&P 500 "
                 "today, picked with hindsight (survivorship bias). Their history is better than "
                 "that of the stocks an investor could have picked in 1990; do not read the "
                 "returns as achievable.")


@dataclass
class PageContext:
    """One portfolio's data plus the series several sections share, computed once."""

    data: PortfolioData
    run_id: str | None = None
    cache: dict = field(default_factory=dict)   # shared across pages (e.g. the regime chart)

    @property
    def info(self) -> dict:
        return self.data.info

    @property
    def nav(self) -> pd.Series:
        return self.data.nav["nav"]

    @property
    def start_value(self) -> float | None:
        return self.info.get("initial_capital")

    @cached_property
    def returns(self) -> pd.Series:
        return self.nav.pct_change().iloc[1:]

    @cached_property
    def monthly(self) -> pd.Series:
        return T.period_returns(self.nav, "ME", self.start_value)

    @cached_property
    def benchmark_monthly(self) -> pd.Series:
        b = self.data.benchmark
        return T.period_returns(b, "ME", float(b.iloc[0])) if len(b) else pd.Series(dtype=float)

    @cached_property
    def monthly_grid(self) -> pd.DataFrame:
        return T.monthly_table(self.nav, self.start_value, self.data.benchmark)

    @cached_property
    def figures(self) -> dict:
        return key_figures(self.data)

    def notes(self) -> list[str]:
        c = self.data.caveats
        out = []
        if c.survivor_stocks:
            out.append(SURVIVOR_NOTE)
        if c.price_index:
            out.append(SPX_NOTE.format(symbols=", ".join(c.price_index)))
        return out


def key_figures(data: PortfolioData) -> dict:
    """Headline numbers: the `performance` table's since-inception and YTD rows when the
    analytics step has written them (the metrics table below shows the same), else the NAV's."""
    nav = data.nav["nav"] if len(data.nav) else pd.Series(dtype=float)
    fig = T.key_figures(nav, data.info.get("initial_capital"), data.risk_free, data.benchmark)
    perf = data.performance.set_index("horizon") if len(data.performance) else None
    if perf is not None and "inception" in perf.index:
        row = perf.loc["inception"]
        for k in ("total_return", "cagr", "volatility", "sharpe", "max_drawdown", "benchmark_return"):
            if pd.notna(row[k]):
                fig[k] = float(row[k])
    if perf is not None and "ytd" in perf.index and pd.notna(perf.loc["ytd", "total_return"]):
        fig["ytd"] = float(perf.loc["ytd", "total_return"])
    return {"portfolio_id": data.info["portfolio_id"], "name": data.info["name"],
            "strategy": data.info["strategy"], "risk_profile": data.info.get("risk_profile"),
            "last_date": nav.index[-1].date().isoformat() if len(nav) else None,
            "benchmark": data.info.get("benchmark"), **fig}


# --------------------------------------------------------------------------- sections
def summary(ctx: PageContext) -> str:
    f, info = ctx.figures, ctx.info
    bench = info.get("benchmark") or ""
    price_index = bench in ctx.data.caveats.price_index
    cards = H.figures([
        ("NAV", H.fmt_num(f["nav"], 0), ""),
        ("Total return", H.fmt_pct(f["total_return"]), H.signed_class(f["total_return"]),
         "survivor stocks: see below" if ctx.data.caveats.survivor_stocks else ""),
        ("CAGR", H.fmt_pct(f["cagr"]), H.signed_class(f["cagr"])),
        ("YTD (not annualised)", H.fmt_pct(f["ytd"]), H.signed_class(f["ytd"])),
        ("Volatility", H.fmt_pct(f["volatility"]), ""),
        ("Sharpe", H.fmt_num(f["sharpe"]), ""),
        ("Max drawdown", H.fmt_pct(f["max_drawdown"]), H.signed_class(f["max_drawdown"])),
        (f"Benchmark {bench}", H.fmt_pct(f["benchmark_return"]), H.signed_class(f["benchmark_return"]),
         "price index, no dividends" if price_index else ""),
    ])
    return cards + H.caveats(ctx.notes())


def _interval(row: pd.Series) -> str:
    return (f"{H.fmt_num(row['sharpe_difference'])} [{H.fmt_num(row['sharpe_difference_low'])}, "
            f"{H.fmt_num(row['sharpe_difference_high'])}]")


def _cpcv(row: pd.Series) -> str | None:
    if pd.isna(row["cpcv_paths"]):
        return None
    return (f"{H.fmt_num(row['cpcv_sharpe_mean'])} [{H.fmt_num(row['cpcv_sharpe_min'])}, "
            f"{H.fmt_num(row['cpcv_sharpe_max'])}] over {int(row['cpcv_paths'])}")


def evidence(ctx: PageContext) -> str:
    ev = ctx.data.evidence
    if ev.empty:
        return H.note("No evidence rows (table `evidence`) for this portfolio yet.")
    cards = [(f"Evidence vs {row['compared_with']}", "yes" if row["outperformance"] else "no",
              "pos" if row["outperformance"] else "neg",
              f"DSR {H.fmt_num(row['dsr'])} after {int(row['n_trials'])} trials")
             for _, row in ev.iterrows()]
    sentences = "".join(f"<p class=\"verdict\">{H.esc(v)}</p>" for v in ev["verdict"])
    shown = pd.DataFrame({
        "compared with": ev["compared_with"],
        "Sharpe": ev["sharpe"], "theirs": ev["compared_sharpe"],
        "difference [interval]": ev.apply(_interval, axis=1),
        "PSR vs theirs": ev["psr_vs_compared"], "DSR": ev["dsr"],
        "MinTRL (years)": ev["min_track_record_years"],
        "SPA p": ev["spa_pvalue"], "PBO": ev["pbo"], "CPCV path Sharpe": ev.apply(_cpcv, axis=1)})
    first = ev.iloc[0]
    text = (f"{H.fmt_date(first['start_date'])} to {H.fmt_date(first['end_date'])}, "
            f"{int(first['observations']):,} daily returns in excess of cash; Sharpe ratios annualised. "
            f"PSR: probability that the true Sharpe ratio beats the compared one's. DSR: probability that it "
            f"beats what the best of {int(first['n_trials'])} luck-only trials would show "
            f"({int(first['n_portfolio_trials'])} portfolios in the set and {int(first['n_model_trials'])} "
            f"hyper-parameter configurations the model registry recorded; that luck is a Sharpe ratio of "
            f"{H.fmt_num(first['expected_max_sharpe'])}). Interval: {H.fmt_pct(first['confidence'], 0)} "
            f"stationary bootstrap. MinTRL: the track record needed for the PSR to reach that confidence "
            f"(– when the Sharpe ratio is not above theirs). SPA p: Hansen's test over the dynamic portfolios "
            f"against the reference. PBO and CPCV (learned strategies): probability of backtest overfitting "
            f"over the trials, Sharpe ratios of the combinatorial purged CV paths (monthly, before costs).")
    caveat = H.caveats([SURVIVOR_EVIDENCE]) if ctx.data.caveats.survivor_stocks else ""
    return (H.figures(cards) + caveat + sentences
            + H.table(shown, {"Sharpe": "ratio", "theirs": "ratio", "difference [interval]": "num",
                              "PSR vs theirs": "ratio", "DSR": "ratio", "MinTRL (years)": "num",
                              "SPA p": "ratio", "PBO": "ratio", "CPCV path Sharpe": "num"},
                      table_id="evidence-table", compact=True)
            + H.note(text))


def equity(ctx: PageContext) -> str:
    bench = ctx.data.benchmark
    text = (f"Value on a log scale (equal distances are equal percentage moves) against the "
            f"benchmark {bench.name} rebased to the same start; drawdown from the running peak below."
            if len(bench) else "Value on a log scale; drawdown from the running peak below.")
    if ctx.info.get("benchmark") in ctx.data.caveats.price_index:
        text += f" {ctx.info['benchmark']} is a price index without dividends."
    return H.image(plots.equity_and_drawdown(ctx.nav, bench), "equity curve and drawdown") + H.note(text)


def drawdowns(ctx: PageContext) -> str:
    dd = T.worst_drawdowns(ctx.nav, top=5)
    if dd.empty:
        return H.note("No drawdown: the NAV never fell below a previous high.")
    return H.table(dd, {"peak": "date", "trough": "date", "recovery": "date", "depth": "ret",
                        "days_to_trough": "int", "days_to_recover": "int"}, table_id="drawdowns-table",
                   headers={"days_to_trough": "trading days to trough",
                            "days_to_recover": "trading days to recover"}) \
        + H.note("The five deepest falls from a high; recovery is the first close back at the peak "
                 "(– while still under water).")


def monthly(ctx: PageContext) -> str:
    grid = ctx.monthly_grid
    if grid.empty:
        return H.note("Less than a month of NAV.")
    text = "Compounded monthly returns; Year is the calendar-year return"
    text += (f", Benchmark that of {ctx.data.benchmark.name} over the same days." if "Benchmark" in grid.columns
             else ".")
    return H.heatmap(grid, "monthly-returns") + H.note(text)


def yearly(ctx: PageContext) -> str:
    grid = ctx.monthly_grid
    if grid.empty:
        return H.note("Less than a month of NAV.")
    return H.image(plots.yearly_returns(grid), "yearly returns") + H.note(
        "Calendar-year returns (the first and last years are partial).")


def distribution(ctx: PageContext) -> str:
    if len(ctx.monthly) < 3:
        return H.note("Fewer than three months of returns.")
    stats = T.distribution(ctx.returns, ctx.monthly)
    ratios = stats.index.isin(["skew", "excess kurtosis"])   # the rest are returns
    shown = pd.DataFrame({"statistic": stats.index} | {
        col: [H.fmt_num(v) if r else H.fmt_pct(v) for v, r in zip(stats[col], ratios, strict=True)]
        for col in stats.columns})
    formats = {"daily": "num", "monthly": "num"}   # already formatted text, right-aligned
    return H.row(H.image(plots.return_histogram(ctx.monthly, ctx.benchmark_monthly), "return distribution"),
                 H.table(shown, formats, table_id="distribution-table")) + H.note(
        "Monthly returns; VaR and CVaR are historical, 95%, as returns (a loss is negative).")


def rolling(ctx: PageContext) -> str:
    r = ctx.returns
    if len(r) < 130:
        return H.note("Fewer than six months of returns.")
    rf = ctx.data.risk_free
    sharpe = {"6-month Sharpe": T.rolling_sharpe(r, rf, 126), "12-month Sharpe": T.rolling_sharpe(r, rf, 252)}
    vol = {"12-month volatility": T.rolling_volatility(r, 252)}
    bench = ctx.data.benchmark
    if len(bench):
        vol["benchmark"] = T.rolling_volatility(bench.pct_change().iloc[1:], 252)
    return H.image(plots.rolling_stats(sharpe, vol), "rolling Sharpe and volatility") + H.note(
        "Annualised over trailing 126 and 252 trading days; Sharpe over the cash index.")


def weights(ctx: PageContext) -> str:
    d = ctx.data
    parts = []
    if d.weights.empty:
        parts.append(H.note("No positions recorded."))
    else:
        what = "symbol (the portfolio holds one asset class)" if d.weights_by_symbol else "asset class"
        parts.append(H.image(plots.weights_area(d.weights), "weights over time")
                     + H.note(f"Weekly, by {what}, uninvested cash included; weights of NAV."))
    tables = []
    if len(d.current_holdings):
        h = d.current_holdings
        tables.append(f"<h3>Current holdings ({H.fmt_date(h['date'].iloc[0])})</h3>"
                      + H.table(h.drop(columns=["date"]), {"quantity": "num", "price": "num",
                                                           "market_value": "money", "weight": "pct"},
                                table_id="holdings-table", compact=True))
    if len(d.latest_targets):
        t = d.latest_targets
        nonzero = t[t["weight"].abs() > 5e-7]   # the symbols the rebalance sold out of are left out
        tables.append(f"<h3>Last target weights (rebalance of {H.fmt_date(t['date'].iloc[0])})</h3>"
                      + H.table(nonzero.drop(columns=["date"]), {"weight": "pct"}, compact=True))
    if tables:
        parts.append(H.row(*tables))
    return "".join(parts)


def trades(ctx: PageContext) -> str:
    d = ctx.data
    out = H.image(plots.trades_bars(d.trades_daily, ctx.nav), "trades")
    out += H.note("Bought and sold notional per day as a share of NAV; the initial funding is left out.")
    s = d.trades_summary
    if s:
        last = d.trades_last.drop(columns=["trade_date"])
        out += (f"<h3>Last trades ({H.fmt_date(s['last_trade_date'])}); {int(s['tickets']):,} tickets in all, "
                f"costs {H.fmt_num(float(s['costs']), 0)}</h3>"
                + H.table(last, {"quantity": "num", "price": "num", "notional": "money", "cost": "num"},
                          compact=True))
    return out


def regimes(ctx: PageContext) -> str:
    reg = ctx.data.regimes
    if reg.empty:
        return H.note("No regime model output in the warehouse (table `regimes`) yet.")
    start, end = ctx.nav.index[0], ctx.nav.index[-1]
    key = ("regimes", start, end)
    if key not in ctx.cache:   # the same chart for every portfolio with the same dates
        ctx.cache[key] = plots.regime_chart(reg, start, end)
    first = reg.index[0].date()
    return H.image(ctx.cache[key], "regime probabilities") + H.note(
        f"Regime mixture probabilities (stacked) and the classifier's P(risk-off); predictions start "
        f"{first}, each date from the latest refit trained before it.")


def attribution(ctx: PageContext) -> str:
    a = ctx.data.attribution
    if a.empty:
        return H.note("No attribution rows (table `attribution`) for this portfolio yet.")
    effects = {c: "ret" for c in ("allocation", "selection", "interaction", "total_effect", "contribution")}
    return (H.table(a.drop(columns=["period_start", "period_end", "benchmark"]),
                      {"portfolio_weight": "pct", "benchmark_weight": "pct", **effects}, compact=True)
            + H.note(f"Cumulative Brinson-Fachler versus {a['benchmark'].iloc[0]}, "
                     f"{H.fmt_date(a['period_start'].iloc[0])} to {H.fmt_date(a['period_end'].iloc[0])} "
                     f"(Carino-linked)."))


def factor_exposures(ctx: PageContext) -> str:
    fe = ctx.data.factor_exposures
    if fe.empty:
        return H.note("No factor exposures (table `factor_exposures`) for this portfolio yet.")
    last_date = fe["date"].max()
    last = fe[fe["date"] == last_date].set_index("factor")
    resid = last.loc["residual"] if "residual" in last.index else None
    latest = last.drop(index="residual", errors="ignore")
    latest = latest.reindex(latest["risk_contribution"].abs().sort_values(ascending=False).index)
    shown = latest[["exposure", "risk_contribution"]].reset_index()
    if resid is not None:
        shown.loc[len(shown)] = {"factor": "specific", "exposure": None,
                                 "risk_contribution": resid["risk_contribution"]}
    top = list(latest.index[:5])
    text = (f"Betas from the 60-month factor model at {H.fmt_date(last_date)}; risk share is each "
            f"factor's part of the portfolio's variance (the rows sum to 100%).")
    if resid is not None and pd.notna(resid.get("r_squared")):
        text += f" R² {float(resid['r_squared']):.2f}"
    if pd.notna(last["coverage"].iloc[0]):
        text += f", model coverage {H.fmt_pct(float(last['coverage'].iloc[0]), 0)} of the risky weight."
    return H.row(H.table(shown, {"exposure": "num", "risk_contribution": "pct"}, table_id="factor-exposures-table",
                         headers={"risk_contribution": "risk share"}, compact=True),
                 H.image(plots.factor_exposures_chart(fe, top), "factor exposures over time")) + H.note(text)


def factor_attribution(ctx: PageContext) -> str:
    fa = ctx.data.factor_attribution
    if fa.empty:
        return H.note("No factor attribution (table `factor_attribution`) for this portfolio yet.")
    order = {"risk_free": 0, "specific": 2}
    t = fa.assign(_o=fa["factor"].map(lambda f: order.get(f, 1)),
                  _a=-fa["since_start"].abs()).sort_values(["_o", "_a"])
    shown = t[["factor", "last_exposure", "since_start", "last_12m", "ytd"]].reset_index(drop=True)
    total = shown[["since_start", "last_12m", "ytd"]].sum(min_count=1)
    shown.loc[len(shown)] = {"factor": "total", "last_exposure": None, **total.to_dict()}
    first, end = fa["first_start"].iloc[0], fa["end_date"].iloc[0]
    return H.table(shown, {"last_exposure": "num", "since_start": "ret", "last_12m": "ret", "ytd": "ret"},
                   table_id="factor-attribution-table", compact=True,
                   headers={"last_exposure": "exposure (last month)",
                            "since_start": f"since {H.fmt_date(first)}", "last_12m": "last 12 months",
                            "ytd": f"{pd.Timestamp(end).year} to date"}) + H.note(
        f"Monthly contributions (exposure at the start of the month x the factor's return) summed "
        f"over {int(fa['months'].iloc[0])} months to {H.fmt_date(end)}, not compounded; total is the "
        f"sum of the monthly portfolio returns.")


METRIC_ROWS = [  # (column, label, kind)
    ("start_date", "first day", "date"), ("total_return", "total return", "ret"),
    ("cagr", "CAGR (annualised)", "ret"), ("volatility", "volatility", "pct"),
    ("sharpe", "Sharpe", "ratio"), ("sortino", "Sortino", "ratio"),
    ("max_drawdown", "max drawdown", "ret"), ("calmar", "Calmar", "ratio"),
    ("hit_rate", "positive days", "pct"), ("turnover", "turnover (annualised)", "pct"),
    ("costs_paid", "costs paid", "money"), ("benchmark_return", "benchmark return", "ret"),
    ("tracking_error", "tracking error", "pct"), ("information_ratio", "information ratio", "ratio"),
]
HORIZONS = {"inception": "since inception", "ytd": "YTD", "1y": "1 year", "3y": "3 years", "5y": "5 years"}


def metrics(ctx: PageContext) -> str:
    p = ctx.data.performance
    if p.empty:
        return H.note("No performance rows (table `performance`) yet; key figures above come from the NAV.")
    p = p.set_index("horizon")
    head = "<th>metric</th>" + "".join(f"<th>{H.esc(HORIZONS.get(h, h))}</th>" for h in p.index)
    rows = []
    for col, label, kind in METRIC_ROWS:
        cells = [f"<td>{H.esc(label)}</td>"]
        for h in p.index:
            value = p.loc[h, col]
            if h == "ytd" and col in ("cagr", "calmar"):
                value = None   # a part-year annualised is not a YTD figure
            text, cls = H.cell(value, kind)
            cells.append(f"<td class=\"{cls}\">{text}</td>" if cls else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    bench = p["benchmark"].dropna()
    note = "YTD is a plain return (no CAGR or Calmar for a part year)."
    if len(bench):
        note += f" Benchmark: {bench.iloc[0]}."
        if bench.iloc[0] in ctx.data.caveats.price_index:
            note += f" {bench.iloc[0]} is a price index: its return leaves out dividends."
    return (f"<div class=\"scroll\"><table id=\"metrics-table\"><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>" + H.note(note))


NEURAL_ROLES = {"neural_sharpe": "the neural policy", "equal_weight": "equal weight", "sixty_forty": "60/40",
                "risk_parity": "risk parity", "max_sharpe": "max Sharpe", "regime_switching": "regime switching"}


def neural_table(ev: pd.DataFrame, table_id: str) -> str:
    """The out-of-sample table of one neural portfolio (rows of `neural_evaluation`)."""
    shown = pd.DataFrame({
        "strategy": [NEURAL_ROLES.get(r, r) for r in ev["role"]],
        "portfolio": [c if same else f"{c} (other symbols)" for c, same in zip(ev["compared_id"],
                                                                            ev["same_universe"], strict=True)],
        "CAGR": ev["cagr"], "volatility": ev["volatility"], "Sharpe": ev["sharpe"], "Sortino": ev["sortino"],
        "max drawdown": ev["max_drawdown"], "turnover / yr": ev["turnover"]})
    return H.table(shown, {"CAGR": "ret", "volatility": "pct", "Sharpe": "ratio", "Sortino": "ratio",
                           "max drawdown": "ret", "turnover / yr": "num"}, table_id=table_id, compact=True)


def neural_verdict(ev: pd.DataFrame) -> str:
    """One sentence: does the policy beat equal weight on the Sharpe ratio, and in how many refits."""
    me = ev[ev["role"] == "neural_sharpe"].iloc[0]
    ew = ev[ev["role"] == "equal_weight"]
    text = (f"Out of sample from {H.fmt_date(me['start_date'])} to {H.fmt_date(me['end_date'])} "
            f"({int(me['observations']):,} days, every portfolio's own costs in its NAV)")
    if len(ew):
        e = ew.iloc[0]
        better = bool(pd.notna(me["sharpe"]) and pd.notna(e["sharpe"]) and me["sharpe"] > e["sharpe"])
        text += (f": Sharpe ratio {H.fmt_num(me['sharpe'])} against equal weight's {H.fmt_num(e['sharpe'])}, "
                 f"so the policy {'beats' if better else 'does not beat'} equal weight")
    if pd.notna(me.get("refits")):
        text += (f"; it beat equal weight in {int(me['refits_beating_equal_weight'])} of {int(me['refits'])} "
                 f"refits ({H.fmt_pct(me['share_refits_beating_equal_weight'], 0)})")
    return text + "."


def neural(ctx: PageContext) -> str:
    ev = ctx.data.neural_evaluation
    if ev.empty:
        return H.note("No out-of-sample rows (table `neural_evaluation`) yet: they need a served refit and "
                      "the analytics step.")
    body = f"<p class=\"verdict\">{H.esc(neural_verdict(ev))}</p>" + neural_table(ev, "neural-table")
    refits = ctx.data.neural_refits
    if len(refits):
        shown = refits[["model_version", "start_date", "end_date", "sharpe", "equal_weight_sharpe",
                        "beat_equal_weight"]].assign(beat_equal_weight=refits["beat_equal_weight"].map(
                            {True: "yes", False: "no"}).fillna("–"))
        body += H.table(shown, {"sharpe": "ratio", "equal_weight_sharpe": "ratio", "start_date": "date",
                                "end_date": "date"}, table_id="neural-refits", compact=True,
                        headers={"model_version": "refit", "start_date": "from", "end_date": "to",
                                 "sharpe": "Sharpe", "equal_weight_sharpe": "equal weight",
                                 "beat_equal_weight": "beat it"})
    return body + H.note(
        "The dates after the first refit served, for every row alike; a baseline over other symbols is the "
        "reference portfolio of its kind. Sharpe and Sortino of daily returns over the cash index, annualised; "
        "turnover: one-way traded value over NAV a year. Per refit: the dates whose returns its weights earned.")


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    render: Callable[[PageContext], str]
    applies: Callable[[PageContext], bool] = lambda ctx: True


PORTFOLIO_SECTIONS: tuple[Section, ...] = (
    Section("summary", "Key figures", summary),
    Section("neural", "Neural policy out of sample", neural,
            applies=lambda ctx: ctx.info.get("strategy") == "neural_sharpe"),
    Section("evidence", "Evidence of outperformance", evidence),
    Section("equity", "Equity curve (log scale) and drawdown", equity),
    Section("drawdowns", "Worst drawdowns", drawdowns),
    Section("monthly", "Monthly returns", monthly),
    Section("yearly", "Yearly returns", yearly),
    Section("distribution", "Return distribution", distribution),
    Section("rolling", "Rolling Sharpe and volatility", rolling),
    Section("weights", "Weights and holdings", weights),
    Section("trades", "Trades", trades),
    Section("regimes", "Regime probabilities", regimes),
    Section("attribution", "Attribution by asset class", attribution),
    Section("factor-exposures", "Factor exposures", factor_exposures),
    Section("factor-attribution", "Factor attribution", factor_attribution),
    Section("metrics", "Metrics by horizon", metrics),
    Section("accounts", "Client accounts", lambda ctx: accounts.model_section(ctx.data)),
)
