"""Report plots as inline PNG data URIs, so a report is one file that renders offline."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")  # no display: reports are written by workers and the CLI

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
          "#bcbd22", "#17becf"]


def _data_uri(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(height: float = 3.4):
    fig, ax = plt.subplots(figsize=(10.5, height))
    ax.grid(True, alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def equity_curve(nav: pd.Series, benchmark: pd.Series) -> str:
    """NAV against the benchmark rebased to the same starting value."""
    fig, ax = _figure()
    ax.plot(nav.index, nav.to_numpy(), color=COLORS[0], lw=1.4, label="portfolio")
    if not benchmark.empty:
        ax.plot(benchmark.index, benchmark.to_numpy(), color=COLORS[7], lw=1.1, ls="--",
                label=f"benchmark ({benchmark.name})")
    ax.set_ylabel("value")
    ax.legend(loc="upper left", frameon=False)
    return _data_uri(fig)


def drawdowns(nav: pd.Series) -> pd.Series:
    """Drawdown from the running peak, as a negative fraction."""
    return nav / nav.cummax() - 1.0


def drawdown(nav: pd.Series, benchmark: pd.Series) -> str:
    fig, ax = _figure(2.6)
    dd = drawdowns(nav)
    ax.fill_between(dd.index, dd.to_numpy() * 100, 0, color=COLORS[3], alpha=0.35, lw=0, label="portfolio")
    if not benchmark.empty:
        ax.plot(benchmark.index, drawdowns(benchmark).to_numpy() * 100, color=COLORS[7], lw=0.9, ls="--",
                label="benchmark")
    ax.set_ylabel("drawdown (%)")
    ax.legend(loc="lower left", frameon=False)
    return _data_uri(fig)


def weights_area(weights: pd.DataFrame) -> str:
    """End-of-day weights by asset class as a stacked area (cash included)."""
    fig, ax = _figure()
    cols = list(weights.columns)
    ax.stackplot(weights.index, *(weights[c].clip(lower=0).to_numpy() * 100 for c in cols), labels=cols,
                 colors=[COLORS[i % len(COLORS)] for i in range(len(cols))], alpha=0.85)
    ax.set_ylim(0, max(100.0, float((weights.clip(lower=0).sum(axis=1) * 100).max()) if len(weights) else 100.0))
    ax.set_ylabel("weight (%)")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8)
    return _data_uri(fig)


def trades_bars(trades: pd.DataFrame, nav: pd.Series) -> str:
    """Traded notional per day, buys up and sells down, as a share of NAV. The first trading
    day (funding the portfolio, 100% of NAV) is left out so that rebalances stay visible."""
    fig, ax = _figure(2.6)
    if not trades.empty:
        trades = trades[pd.to_datetime(trades["trade_date"]) > pd.to_datetime(trades["trade_date"]).min()]
    if not trades.empty:
        signed = trades.assign(
            date=pd.to_datetime(trades["trade_date"]),
            signed=np.where(trades["side"] == "BUY", 1.0, -1.0) * trades["notional"].abs())
        buys = signed[signed["signed"] > 0].groupby("date")["signed"].sum()
        sells = signed[signed["signed"] < 0].groupby("date")["signed"].sum()
        for series, color, label in ((buys, COLORS[2], "buys"), (sells, COLORS[3], "sells")):
            if len(series):
                pct = series / nav.reindex(series.index).ffill().bfill() * 100
                ax.bar(pct.index, pct.to_numpy(), width=3, color=color, label=label)
        ax.legend(loc="upper right", frameon=False)
    if len(nav):
        ax.set_xlim(nav.index[0], nav.index[-1])
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("traded (% of NAV)")
    return _data_uri(fig)


def regime_probabilities(regimes: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> str:
    fig, ax = _figure(2.6)
    window = regimes.loc[(regimes.index >= start) & (regimes.index <= end)]
    cols = list(window.columns)
    ax.stackplot(window.index, *(window[c].to_numpy() for c in cols), labels=[str(c) for c in cols],
                 colors=[COLORS[i % len(COLORS)] for i in range(len(cols))], alpha=0.8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8)
    return _data_uri(fig)


def attribution_bars(attribution: pd.DataFrame) -> str:
    """Allocation, selection and interaction effects by asset class, in percentage points."""
    fig, ax = _figure(2.8)
    df = attribution.set_index("segment")[["allocation", "selection", "interaction"]].fillna(0.0) * 100
    x = np.arange(len(df))
    width = 0.27
    for i, col in enumerate(df.columns):
        ax.bar(x + (i - 1) * width, df[col].to_numpy(), width, label=col, color=COLORS[i])
    ax.set_xticks(x, df.index, rotation=0)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("effect (pp)")
    ax.legend(loc="best", frameon=False)
    return _data_uri(fig)
