"""Report plots as inline PNG data URIs, so a report is one file that renders offline.

Figures are built with the object API on the Agg canvas (no pyplot state, no display) with a
fixed layout (no tight bounding box: it draws every figure twice). Money axes are formatted
as 1.5M / 200k (never a "1e6" offset), percentages as 12%. Time runs along the x axis as
decimal years (1990.5 is mid-1990) with year ticks: the same picture as a date axis without
its tick search through dateutil rules, which was a third of the drawing time. Daily series
are drawn one point a week.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MultipleLocator, NullLocator, PercentFormatter

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
          "#bcbd22", "#17becf", "#aec7e8", "#ffbb78"]
# 20 distinguishable colours for weights by symbol (matplotlib's tab20, pairs reordered)
MANY = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22",
        "#17becf", "#393b79", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
        "#f7b6d2", "#dbdb8d", "#9edae5", "#637939"]
GREY, CASH = "#7f7f7f", "#c7c7c7"
WIDTH = 12.4       # inches at DPI: 1190 px, the width of a section
HALF = 8.4         # a chart beside a table
DPI = 96
MAX_SERIES = 20   # weights by symbol: the largest twenty, the rest as "other"


def money(x: float, _pos: int | None = None) -> str:
    """1.2bn / 3.5M / 800k / 950: money on an axis, no scientific offset."""
    a = abs(x)
    for scale, unit in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if a >= scale:
            return f"{x / scale:.3g}{unit}"
    return f"{x:.3g}"


PCT = PercentFormatter(xmax=1.0, decimals=0)


def weekly(series: pd.Series | pd.DataFrame, how: str = "last") -> pd.Series | pd.DataFrame:
    """One point a week, at the week's last date: its last value, or its lowest for drawdowns
    (troughs stay visible). A 27-year daily line has ~7 points per pixel at this width; a
    fifth of them draws the same picture for a fraction of the work."""
    if len(series) < 600:
        return series
    week = series.index.to_period("W")
    dates = series.index.to_series()
    last = (dates.groupby(week).transform("max") == dates).to_numpy()
    if how == "min":
        return series.groupby(week).transform("min")[last]
    return series[last]


def _uri(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(height: float, nrows: int = 1, ratios: tuple[float, ...] | None = None,
            sharex: bool = True, right: float = 0.985, width: float = WIDTH) -> tuple[Figure, list]:
    fig = Figure(figsize=(width, height), dpi=DPI)
    fig.subplots_adjust(left=0.065 * WIDTH / width, right=right, top=0.96, bottom=0.1 if nrows == 1 else 0.07,
                        hspace=0.08)
    axes = fig.subplots(nrows, 1, sharex=sharex, squeeze=False,
                        gridspec_kw={"height_ratios": ratios} if ratios else None)[:, 0]
    for ax in axes:
        ax.grid(True, alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    return fig, list(axes)


def _bars(ax, x: np.ndarray, heights: np.ndarray, width: float, color: str, label: str) -> None:
    """Bars as one polygon collection (one artist, not one patch per bar: same picture,
    a fraction of the bookkeeping)."""
    h = np.nan_to_num(np.asarray(heights, dtype=float))
    x0, x1 = np.asarray(x, dtype=float) - width / 2, np.asarray(x, dtype=float) + width / 2
    verts = np.stack([np.column_stack([x0, np.zeros_like(h)]), np.column_stack([x0, h]),
                      np.column_stack([x1, h]), np.column_stack([x1, np.zeros_like(h)])], axis=1)
    ax.add_collection(PolyCollection(verts, facecolors=color, edgecolors="none", label=label))
    ax.update_datalim(verts.reshape(-1, 2))
    ax.autoscale_view()


def years(dates) -> np.ndarray:
    """Dates as decimal years (2016-07-01 -> about 2016.5), the x values of every time chart."""
    d = pd.DatetimeIndex(dates)
    start = d.year.to_numpy()
    length = np.where(d.is_leap_year, 366.0, 365.0)
    return start + (d.dayofyear.to_numpy() - 1) / length


def _years_axis(ax, start: pd.Timestamp, end: pd.Timestamp) -> None:
    """Year ticks (every 1, 2 or 4 years by span) over decimal-year x values."""
    x0, x1 = years([start, end])
    span = max(x1 - x0, 1.0)
    ax.xaxis.set_major_locator(MultipleLocator(1 if span <= 6 else 2 if span <= 14 else 4))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:.0f}"))
    ax.set_xlim(x0, x1)


def _log_money_axis(ax, values: pd.Series) -> None:
    """Log scale with money labels: 1-2-5 steps, finer when the values span less than 10x."""
    ax.set_yscale("log")
    span = float(values.max() / values.min()) if len(values) and values.min() > 0 else 10.0
    subs = (1.0, 2.0, 5.0) if span >= 10 else (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=subs))
    ax.yaxis.set_major_formatter(FuncFormatter(money))
    ax.yaxis.set_minor_locator(NullLocator())   # no minor ticks: 3 lines and 2 labels each


def equity_and_drawdown(nav: pd.Series, benchmark: pd.Series) -> str:
    """NAV against the benchmark (log scale, rebased to the same start) over the drawdown."""
    fig, (ax, dd_ax) = _figure(5.0, 2, ratios=(2.6, 1.0))
    nav_w = weekly(nav)
    ax.plot(years(nav_w.index), nav_w.to_numpy(), color=COLORS[0], lw=1.3, label="portfolio")
    if len(benchmark):
        bench_w = weekly(benchmark)
        ax.plot(years(bench_w.index), bench_w.to_numpy(), color=GREY, lw=1.0, ls="--",
                label=f"benchmark ({benchmark.name})")
    _log_money_axis(ax, pd.concat([nav, benchmark]))
    ax.set_ylabel("value (log scale)")
    ax.legend(loc="upper left", frameon=False)
    dd = weekly(nav / nav.cummax() - 1.0, "min")
    dd_ax.fill_between(years(dd.index), dd.to_numpy(), 0, color=COLORS[3], alpha=0.35, lw=0, label="portfolio")
    if len(benchmark):
        bdd = weekly(benchmark / benchmark.cummax() - 1.0, "min")
        dd_ax.plot(years(bdd.index), bdd.to_numpy(), color=GREY, lw=0.8, ls="--", label="benchmark")
    dd_ax.yaxis.set_major_formatter(PCT)
    dd_ax.set_ylabel("drawdown")
    _years_axis(dd_ax, nav.index[0], nav.index[-1])
    return _uri(fig)


def yearly_returns(table: pd.DataFrame) -> str:
    """Calendar-year returns of the portfolio (and its benchmark) as grouped bars."""
    fig, (ax,) = _figure(3.0)
    years = table.index.to_numpy()
    has_bench = "Benchmark" in table.columns
    width = 0.4 if has_bench else 0.7
    _bars(ax, years - (width / 2 if has_bench else 0), table["Year"].to_numpy(), width, COLORS[0], "portfolio")
    if has_bench:
        _bars(ax, years + width / 2, table["Benchmark"].to_numpy(), width, CASH, "benchmark")
    ax.axhline(0, color="black", lw=0.6)
    ax.yaxis.set_major_formatter(PCT)
    ax.set_xlim(years.min() - 0.7, years.max() + 0.7)
    ax.legend(loc="upper left", frameon=False, ncols=2)
    return _uri(fig)


def return_histogram(monthly: pd.Series, benchmark_monthly: pd.Series) -> str:
    """Distribution of monthly returns, with the benchmark's outline and the mean marked."""
    fig, (ax,) = _figure(2.8, sharex=False, width=HALF)
    both = pd.concat([monthly, benchmark_monthly]).dropna()
    bins = np.linspace(float(both.min()), float(both.max()), 41)
    counts, _ = np.histogram(monthly.dropna().to_numpy(), bins=bins)
    ax.stairs(counts, bins, fill=True, color=COLORS[0], alpha=0.75, label="portfolio")
    if len(benchmark_monthly):
        bcounts, _ = np.histogram(benchmark_monthly.dropna().to_numpy(), bins=bins)
        ax.stairs(bcounts, bins, color=GREY, lw=1.1, label="benchmark")
    ax.axvline(float(monthly.mean()), color="black", lw=0.9, ls=":", label="mean")
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.set_ylabel("months")
    ax.legend(loc="upper left", frameon=False)
    return _uri(fig)


def rolling_stats(sharpe: dict[str, pd.Series], vol: dict[str, pd.Series]) -> str:
    """Rolling Sharpe ratios (top) and rolling volatility against the benchmark's (bottom)."""
    fig, (ax, vax) = _figure(4.4, 2, ratios=(1.0, 1.0))
    for i, (label, s) in enumerate(sharpe.items()):
        s = weekly(s)
        ax.plot(years(s.index), s.to_numpy(), color=COLORS[i], lw=1.0, label=label)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("Sharpe")
    ax.legend(loc="upper left", frameon=False, ncols=len(sharpe))
    for i, (label, s) in enumerate(vol.items()):
        s = weekly(s)
        vax.plot(years(s.index), s.to_numpy(), color=COLORS[0] if i == 0 else GREY, lw=1.0,
                 ls="-" if i == 0 else "--", label=label)
    vax.yaxis.set_major_formatter(PCT)
    vax.set_ylabel("volatility")
    first = next(iter(sharpe.values()))
    _years_axis(vax, first.index[0], first.index[-1])
    vax.legend(loc="upper left", frameon=False, ncols=len(vol))
    return _uri(fig)


def _top_columns(weights: pd.DataFrame) -> pd.DataFrame:
    """At most MAX_SERIES labels by average weight, the rest summed as 'other'; cash last."""
    cash = weights["cash"] if "cash" in weights.columns else None
    rest = weights.drop(columns=["cash"], errors="ignore")
    order = rest.mean().sort_values(ascending=False).index
    out = rest[order[:MAX_SERIES]].copy()
    if len(order) > MAX_SERIES:
        out["other"] = rest[order[MAX_SERIES:]].sum(axis=1)
    if cash is not None:
        out["cash"] = cash
    return out


def weights_area(weights: pd.DataFrame) -> str:
    """Weekly weights as a stacked area (cash included), legend outside on the right."""
    fig, (ax,) = _figure(3.4, right=0.87)
    w = _top_columns(weights).clip(lower=0)
    colors = [CASH if c == "cash" else GREY if c == "other" else MANY[i % len(MANY)]
              for i, c in enumerate(w.columns)]
    ax.stackplot(years(w.index), *(w[c].to_numpy() for c in w.columns), labels=list(w.columns), colors=colors,
                 alpha=0.9, lw=0)
    ax.set_ylim(0, max(1.0, float(w.sum(axis=1).max())))
    _years_axis(ax, w.index[0], w.index[-1])
    ax.yaxis.set_major_formatter(PCT)
    ax.set_ylabel("weight")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8,
              ncols=2 if len(w.columns) > 12 else 1)
    return _uri(fig)


def trades_bars(daily: pd.DataFrame, nav: pd.Series) -> str:
    """Bought (up) and sold (down) notional per day as a share of that day's NAV; one line
    collection per side, so thousands of trade days cost one artist each."""
    fig, (ax,) = _figure(2.6)
    if len(daily):
        dates = pd.to_datetime(daily["trade_date"])
        level = nav.reindex(dates).to_numpy()
        shares = pd.DataFrame({"bought": daily["bought"].fillna(0.0).to_numpy() / level,
                               "sold": daily["sold"].fillna(0.0).to_numpy() / level}, index=dates)
        if len(shares) > 600:   # daily traders: one line a week (the week's total)
            shares = shares.groupby(shares.index.to_period("W")).sum()
            shares.index = shares.index.end_time.normalize()
        ax.vlines(years(shares.index), 0, shares["bought"].to_numpy(), color=COLORS[0], lw=1.0, label="bought")
        ax.vlines(years(shares.index), -shares["sold"].to_numpy(), 0, color=COLORS[1], lw=1.0, label="sold")
        ax.legend(loc="upper left", frameon=False, ncols=2)
    _years_axis(ax, nav.index[0], nav.index[-1])
    ax.axhline(0, color="black", lw=0.6)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=1))
    ax.set_ylabel("traded / NAV")
    return _uri(fig)


def regime_chart(regimes: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> str:
    """Mixture regime probabilities (stacked, every date sums to 1) and the classifier's
    P(risk-off) as a line, over the portfolio's dates."""
    fig, (ax,) = _figure(2.8, right=0.89)
    window = weekly(regimes.loc[(regimes.index >= start) & (regimes.index <= end)])
    probs = window.drop(columns=["p_risk_off"], errors="ignore")
    palette = {"calm": COLORS[2], "normal": COLORS[0], "stress": COLORS[3]}
    ax.stackplot(years(probs.index), *(probs[c].to_numpy() for c in probs.columns), labels=list(probs.columns),
                 colors=[palette.get(c, COLORS[4 + i]) for i, c in enumerate(probs.columns)], alpha=0.55, lw=0)
    if "p_risk_off" in window.columns:
        ax.plot(years(window.index), window["p_risk_off"].to_numpy(), color="black", lw=0.9, label="P(risk-off)")
    ax.set_ylim(0, 1)
    _years_axis(ax, start, end)
    ax.yaxis.set_major_formatter(PCT)
    ax.set_ylabel("probability")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8)
    return _uri(fig)


def factor_exposures_chart(exposures: pd.DataFrame, factors: list[str]) -> str:
    """Month-end betas to the given factors over time."""
    fig, (ax,) = _figure(3.0, right=0.86, width=HALF)
    for i, f in enumerate(factors):
        s = exposures[exposures["factor"] == f]
        ax.plot(years(s["date"]), s["exposure"].to_numpy(), color=COLORS[i % len(COLORS)], lw=1.1,
                label=f)
    ax.axhline(0, color="black", lw=0.6)
    dates = pd.to_datetime(exposures["date"])
    _years_axis(ax, dates.min(), dates.max())
    ax.set_ylabel("beta")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8)
    return _uri(fig)


# --------------------------------------------------------------------------- client accounts

REASON_COLORS = {"new_account": COLORS[2], "deposit": COLORS[0], "withdrawal": COLORS[1], "fee": COLORS[7],
                 "drift": COLORS[3], "model_change": COLORS[4]}


def accounts_aum(aum: pd.DataFrame) -> str:
    """AUM of a model's client accounts (weekly) over the number of accounts."""
    fig, (ax, n_ax) = _figure(3.6, 2, ratios=(2.2, 1.0))
    dates = pd.to_datetime(aum["date"])
    x = years(dates)
    ax.fill_between(x, aum["aum"].to_numpy(dtype=float), 0, color=COLORS[0], alpha=0.35, lw=0)
    ax.plot(x, aum["aum"].to_numpy(dtype=float), color=COLORS[0], lw=1.2)
    ax.yaxis.set_major_formatter(FuncFormatter(money))
    ax.set_ylabel("AUM")
    n_ax.plot(x, aum["accounts"].to_numpy(dtype=float), color=GREY, lw=1.2)
    n_ax.set_ylabel("accounts")
    _years_axis(n_ax, dates.iloc[0], dates.iloc[-1] + pd.Timedelta(days=1))
    return _uri(fig)


def aum_by_model(aum: pd.DataFrame, top: int = 10) -> str:
    """Client AUM by model portfolio over time, stacked (the largest models, the rest as 'other')."""
    wide = aum.pivot_table(index=pd.to_datetime(aum["date"]), columns="portfolio_id", values="aum",
                           aggfunc="sum").sort_index().fillna(0.0)
    order = wide.iloc[-1].sort_values(ascending=False).index
    shown = wide[order[:top]].copy()
    if len(order) > top:
        shown["other"] = wide[order[top:]].sum(axis=1)
    fig, (ax,) = _figure(3.6, right=0.80)
    colors = [GREY if c == "other" else MANY[i % len(MANY)] for i, c in enumerate(shown.columns)]
    ax.stackplot(years(shown.index), *(shown[c].to_numpy() for c in shown.columns), labels=list(shown.columns),
                 colors=colors, alpha=0.9, lw=0)
    ax.yaxis.set_major_formatter(FuncFormatter(money))
    ax.set_ylabel("client AUM")
    _years_axis(ax, shown.index[0], shown.index[-1] + pd.Timedelta(days=1))
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8)
    return _uri(fig)


def drift_histogram(drift: pd.Series) -> str:
    """How far the accounts are from their model after the last day's trades."""
    fig, (ax,) = _figure(2.6, width=HALF)
    values = np.clip(drift.to_numpy(dtype=float), 0, None)
    top = max(float(np.quantile(values, 0.99)) if len(values) else 0.05, 0.01)
    bins = np.linspace(0, top, 31)
    counts, edges = np.histogram(np.minimum(values, top), bins=bins)
    _bars(ax, (edges[:-1] + edges[1:]) / 2, counts, (edges[1] - edges[0]) * 0.9, COLORS[0], "accounts")
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=1))
    ax.set_xlabel("drift (sum of |weight - target| / 2; the last bar holds the top 1%)")
    ax.set_ylabel("accounts")
    return _uri(fig)


def account_tickets(trades: pd.DataFrame) -> str:
    """Account tickets per trading day, stacked by reason."""
    wide = trades.pivot_table(index=pd.to_datetime(trades["trade_date"]), columns="reason", values="tickets",
                              aggfunc="sum").sort_index().fillna(0.0)
    fig, (ax,) = _figure(2.6, right=0.86)
    x = np.arange(len(wide))
    bottom = np.zeros(len(wide))
    for reason in [r for r in REASON_COLORS if r in wide.columns]:
        h = wide[reason].to_numpy()
        verts = np.stack([np.column_stack([x - 0.4, bottom]), np.column_stack([x - 0.4, bottom + h]),
                          np.column_stack([x + 0.4, bottom + h]), np.column_stack([x + 0.4, bottom])], axis=1)
        ax.add_collection(PolyCollection(verts, facecolors=REASON_COLORS[reason], edgecolors="none", label=reason))
        bottom = bottom + h
    ax.set_xlim(-1, len(wide))
    ax.set_ylim(0, max(1.0, float(bottom.max()) * 1.05))
    ticks = np.linspace(0, len(wide) - 1, min(6, len(wide))).astype(int) if len(wide) else []
    ax.set_xticks(ticks, [wide.index[i].strftime("%Y-%m-%d") for i in ticks])
    ax.set_ylabel("tickets")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8)
    return _uri(fig)
