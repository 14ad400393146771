"""Offline out-of-sample evaluation of the neural policy on the bundled data.

`python -m pipelines.research.neural_evaluation` trains the default walk-forward (yearly refits
from 1996, every seed of the ensemble) on both universes, walks the serving models through
every later date, and compares the policy's daily returns net of 10 bp proportional costs
with baselines computed here on the same dates and costs: equal weight, 60/40 (SPX / UST10Y)
and inverse volatility, each rebalanced on the first trading day of every month and starting
in cash like the policy. It prints the statistics (the platform's performance conventions,
pipelines.analytics.performance) and the training times; `evaluate` returns them as tidy frames.

The pipeline's own evaluation, on the managed portfolios' NAV with the platform's strategies as
baselines, is the analytics step's `neural_evaluation` table (pipelines.analytics.neural_evaluation);
nothing here writes anything.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.neural.features import DailyInputs, FeatureSpec, build_windows, prices_to_inputs
from models.neural.networks import PolicyConfig
from models.neural.training import TrainConfig
from models.neural.walk_forward import oos_path, walk_forward
from pipelines.analytics.performance import metrics
from pipelines.config import REPO_ROOT, load_universe
from pipelines.features.inputs import MarketInputs
from pipelines.features.regime import FEATURES, regime_features
from pipelines.ingest.bundled import BundledSource

CASH = "CASH"
COST_RATE = 0.001  # 10 bp of traded value
FIRST_YEAR = 1996
STOCKS = ("AAPL", "AMD", "BAC", "BBY", "CVX", "GE", "HD", "JNJ", "JPM", "KO", "LLY", "MRK",
          "MSFT", "PEP", "PFE", "PG", "RRC", "UNH", "WMT", "XOM")
UNIVERSES = {"multi_asset": ("SPX", "UST2Y", "UST5Y", "UST10Y", "WTI"), "stocks": STOCKS}
STAT_COLUMNS = ("cagr", "volatility", "sharpe", "sortino", "max_drawdown", "turnover")


@dataclass(frozen=True)
class Setup:
    """What one universe's walk-forward trains: features, network and training settings."""

    spec: FeatureSpec
    policy: PolicyConfig = field(default_factory=lambda: PolicyConfig(cost_rate=COST_RATE))
    train: TrainConfig = field(default_factory=TrainConfig)


def default_setups() -> dict[str, Setup]:
    return {name: Setup(FeatureSpec(assets=assets, cash=CASH, regime=FEATURES))
            for name, assets in UNIVERSES.items()}


def bundled_inputs(assets: tuple[str, ...]) -> DailyInputs:
    """Daily returns of `assets` and cash, with the regime features, from the bundled source."""
    universe = load_universe(REPO_ROOT / "config" / "universe.yaml")
    src = BundledSource()
    long = src.prices(universe, None, src.last_date)
    prices = long.pivot(index="date", columns="symbol", values="close").sort_index()
    macro = src.macro(universe, None, src.last_date)
    regime = regime_features(MarketInputs(prices.index[-1], prices, macro))
    return prices_to_inputs(prices, assets, CASH, regime)


# ----------------------------------------------------------------------------- baselines

def follow_targets(targets: pd.DataFrame, r_next: np.ndarray, cost_rate: float,
                   held0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hold drifting weights, trading to `targets` on the rows where it is not NaN.

    targets (n, A) over the policy's labels (cash last), r_next (n, A) next-day returns.
    Returns net next-day returns (n,) and risky turnover (n,), with the policy's arithmetic.
    """
    t = targets.to_numpy(dtype=np.float64)
    held = held0.astype(np.float64)
    net = np.full(len(t), np.nan)
    turnover = np.zeros(len(t))
    for i in range(len(t)):
        w = t[i] if np.isfinite(t[i]).all() else held
        turnover[i] = np.abs(w - held)[:-1].sum()
        r = r_next[i]
        if not np.isfinite(r).all():
            break
        gross = float(w @ r)
        net[i] = gross - cost_rate * turnover[i]
        held = w * (1.0 + r) / (1.0 + gross)
    return net, turnover


def _monthly(dates: pd.DatetimeIndex) -> np.ndarray:
    """True on the first date and on the first trading day of every month."""
    month = dates.to_period("M")
    return np.r_[True, month[1:] != month[:-1]]


def baseline_targets(inputs: DailyInputs, labels: tuple[str, ...], dates: pd.DatetimeIndex
                     ) -> dict[str, pd.DataFrame]:
    """Monthly targets (NaN rows between rebalances) of the baselines, known at each close."""
    assets = list(labels[:-1])
    reb = _monthly(dates)
    n, a = len(dates), len(labels)
    ew = np.full((n, a), np.nan)
    ew[reb] = np.r_[np.full(len(assets), 1.0 / len(assets)), 0.0]
    vol = inputs.returns[assets].rolling(63).std().reindex(dates).to_numpy()
    iv = np.full((n, a), np.nan)
    inv = 1.0 / vol[reb]
    iv[reb] = np.c_[inv / inv.sum(axis=1, keepdims=True), np.zeros(int(reb.sum()))]
    return {"equal_weight": pd.DataFrame(ew, index=dates, columns=labels),
            "inverse_vol": pd.DataFrame(iv, index=dates, columns=labels)}


# ----------------------------------------------------------------------------- evaluation

@dataclass
class Evaluation:
    """Tidy outputs: one row per (universe, strategy) of statistics, one per refit, the daily
    returns, and the seconds spent."""

    table: pd.DataFrame
    refits: pd.DataFrame
    returns: pd.DataFrame
    seconds: dict[str, float]


def _stats(r: pd.Series, rf: pd.Series, turnover: pd.Series) -> dict:
    m = metrics(r, rf, turnover=turnover)
    return {k: m[k] for k in STAT_COLUMNS}


def _sharpe(ex: np.ndarray) -> float:
    sd = ex.std(ddof=1) if len(ex) > 1 else 0.0
    return float(ex.mean() / sd * np.sqrt(252)) if sd > 0 else float("nan")


def evaluate_universe(name: str, setup: Setup, inputs: DailyInputs,
                      sixty_forty: DailyInputs | None = None, first_year: int = FIRST_YEAR
                      ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, float]:
    """Walk-forward, out-of-sample path and baselines of one universe."""
    t0 = time.perf_counter()
    windows = build_windows(inputs, setup.spec)
    refits = walk_forward(inputs, setup.spec, setup.policy, setup.train, first_year,
                          windows=windows)
    train_seconds = time.perf_counter() - t0
    path = oos_path(refits, inputs, setup.spec, windows=windows)
    labels = setup.spec.weight_labels
    dates = path.weights.index
    r_next = inputs.next_returns(labels, dates)
    earned = path.returns.index
    cash = inputs.cash.reindex(earned)
    held0 = np.r_[np.zeros(len(labels) - 1), 1.0]

    series = {"neural_sharpe": (path.returns, path.turnover)}
    for base, targets in baseline_targets(inputs, labels, dates).items():
        net, to = follow_targets(targets, r_next, setup.policy.cost_rate, held0)
        series[base] = (pd.Series(net[: len(earned)], index=earned), pd.Series(to, index=dates))
    if sixty_forty is not None:
        lab = ("SPX", "UST10Y", CASH)
        t = np.full((len(dates), 3), np.nan)
        t[_monthly(dates)] = [0.6, 0.4, 0.0]
        net, to = follow_targets(pd.DataFrame(t, index=dates, columns=lab),
                                 sixty_forty.next_returns(lab, dates), setup.policy.cost_rate,
                                 np.array([0.0, 0.0, 1.0]))
        series["static_60_40"] = (pd.Series(net[: len(earned)], index=earned),
                                  pd.Series(to, index=dates))

    rows = [{"universe": name, "strategy": s, "start": str(earned[0].date()),
             "end": str(earned[-1].date()), **_stats(r, cash, to)}
            for s, (r, to) in series.items()]
    table = pd.DataFrame(rows)

    ew = series["equal_weight"][0]
    refit_rows = []
    for rf in refits:
        row = {"universe": name, "year": rf.year, "cutoff": str(rf.cutoff.date()),
               "status": rf.status, "version": rf.version, "seconds": rf.seconds,
               "reason": rf.reason}
        if rf.model is not None:
            m = rf.model.metrics
            row.update(train_sharpe=m["train_sharpe"], validation_sharpe=m["validation_sharpe"],
                       epochs=m["epochs"])
        served = path.version.index[path.version == rf.version] if rf.version else []
        if len(served):
            mask = earned.isin(_next_of(inputs.returns.index, served))
            ex_p = (path.returns[mask] - cash[mask]).to_numpy()
            ex_e = (ew[mask] - cash[mask]).to_numpy()
            row.update(oos_sharpe=_sharpe(ex_p), equal_weight_sharpe=_sharpe(ex_e),
                       beat_equal_weight=bool(_sharpe(ex_p) > _sharpe(ex_e)))
        refit_rows.append(row)
    refit_frame = pd.DataFrame(refit_rows)
    beat = refit_frame["beat_equal_weight"].dropna() if "beat_equal_weight" in refit_frame else []
    table["share_refits_beating_equal_weight"] = np.where(
        table["strategy"] == "neural_sharpe", float(np.mean(beat.astype(float))) if len(beat)
        else np.nan, np.nan)
    returns = pd.DataFrame({s: r for s, (r, _) in series.items()}).assign(universe=name)
    return table, refit_frame, returns, train_seconds


def _next_of(index: pd.DatetimeIndex, dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    pos = index.searchsorted(dates, side="right")
    return index[pos[pos < len(index)]]


def evaluate(setups: dict[str, Setup] | None = None) -> Evaluation:
    """The default evaluation: both universes, their walk-forwards and baselines."""
    setups = default_setups() if setups is None else setups
    t0 = time.perf_counter()
    ref = bundled_inputs(("SPX", "UST10Y"))
    tables, refits, returns, seconds = [], [], [], {}
    for name, setup in setups.items():
        inputs = bundled_inputs(setup.spec.assets)
        table, refit_frame, rets, secs = evaluate_universe(name, setup, inputs, ref)
        tables.append(table)
        refits.append(refit_frame)
        returns.append(rets)
        seconds[f"walk_forward_{name}"] = secs
    seconds["walk_forward_total"] = sum(seconds.values())
    seconds["evaluation_total"] = time.perf_counter() - t0
    return Evaluation(pd.concat(tables, ignore_index=True), pd.concat(refits, ignore_index=True),
                      pd.concat(returns), seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the tables as JSON")
    args = parser.parse_args(argv)
    ev = evaluate()
    if args.json:
        print(json.dumps({"table": ev.table.to_dict("records"),
                          "refits": ev.refits.to_dict("records"), "seconds": ev.seconds},
                         default=str, indent=1))
        return 0
    with pd.option_context("display.width", 200, "display.max_columns", 30,
                           "display.float_format", "{:.3f}".format):
        print(ev.table.to_string(index=False))
        cols = ["universe", "year", "status", "seconds", "epochs", "train_sharpe",
                "validation_sharpe", "oos_sharpe", "equal_weight_sharpe"]
        print(ev.refits[[c for c in cols if c in ev.refits]].to_string(index=False))
    print("seconds:", {k: round(v, 1) for k, v in ev.seconds.items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
