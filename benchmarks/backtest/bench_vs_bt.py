"""Our portfolio engine against bt on identical cases, in one run (prints a markdown table).

Cases: 60/40 SPX/UST10Y monthly with 0 and 10 bps commission, 20-stock equal weight monthly
(0 and 10 bps), and a backfill of 1,000 random static mixes over 25 years (ours only). Both
sides use bt's conventions: rebalance on the first trading day of each month, fractional units,
cash does not accrue, each ticket's cash flow including commission equals the target change.

Two of our paths are timed: the kernel alone (`run_batch`: NAV and costs arrays) and the
engine's daily-run path with the four warehouse tables built (`advance`: nav, positions,
trades and target_weights frames). Peak memory is tracemalloc's traced peak of one run.

Run (after any backfill/ingest filled $DAA_HOME's curated lake):
    .venv-bench/bin/python benchmarks/backtest/bench_vs_bt.py
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pipelines import lake  # noqa: E402
from pipelines.allocation.strategies.equal_weight import EqualWeight  # noqa: E402
from pipelines.allocation.strategies.static_mix import StaticMix  # noqa: E402
from pipelines.config import CostModel, PortfolioConfig, RebalanceRule, Settings  # noqa: E402
from pipelines.portfolio.batch import run_batch  # noqa: E402
from pipelines.portfolio.engine import PortfolioState, advance  # noqa: E402


def run_portfolio(cfg, universe, prices, dates, state):
    """The engine's entry point from inception at dates[0] (warehouse tables built)."""
    cfg = cfg.model_copy(update={"inception": dates[0].date()})
    return advance(cfg, universe, prices, state, dates[-1])

STOCKS = ["AAPL", "AMD", "BAC", "BBY", "CVX", "GE", "HD", "JNJ", "JPM", "KO", "LLY", "MRK", "MSFT",
          "PEP", "PFE", "PG", "RRC", "UNH", "WMT", "XOM"]


def _cfg(pid: str, strategy: str, params, symbols: list[str], bps: float) -> PortfolioConfig:
    return PortfolioConfig(id=pid, name=pid, risk_profile="moderate", strategy=strategy, params=params,
                           universe=symbols, rebalance=RebalanceRule(frequency="monthly"),
                           costs=CostModel(commission_bps=bps), accrue_cash=False, fill_convention="bt")


def _median_time(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def _bt_run(data, weights: dict[str, float] | None, bps: float):
    import bt

    algos = [bt.algos.RunMonthly(), bt.algos.SelectAll(),
             bt.algos.WeighSpecified(**weights) if weights else bt.algos.WeighEqually(), bt.algos.Rebalance()]
    fee = (lambda q, p: abs(q) * p * bps / 1e4) if bps else (lambda q, p: 0.0)
    bk = bt.Backtest(bt.Strategy("s", algos), data, initial_capital=1_000_000.0, commissions=fee,
                     integer_positions=False, progress_bar=False)
    bk.run()
    return float(bk.strategy.values.iloc[-1])


def main() -> int:
    settings = Settings.from_env()
    universe = settings.universe
    try:
        prices = lake.read_prices_wide(settings, dt.date(2017, 3, 28))
    except FileNotFoundError:
        print(f"no curated prices under {settings.curated_dir}: run `python -m pipelines backfill` first")
        return 1
    dates = prices.index
    reps_bt = int(os.environ.get("BENCH_BT_REPEATS", 5))
    reps = int(os.environ.get("BENCH_REPEATS", 21))
    rows = []
    cases = [("60/40 monthly, 0 bps", ["SPX", "UST10Y"], {"SPX": 0.6, "UST10Y": 0.4}, 0.0),
             ("60/40 monthly, 10 bps", ["SPX", "UST10Y"], {"SPX": 0.6, "UST10Y": 0.4}, 10.0),
             ("20-stock equal weight monthly, 0 bps", STOCKS, None, 0.0),
             ("20-stock equal weight monthly, 10 bps", STOCKS, None, 10.0)]
    for label, syms, weights, bps in cases:
        if weights:
            cfg = _cfg("case", "static_mix", StaticMix.Params(weights=weights), syms, bps)
        else:
            cfg = _cfg("case", "equal_weight", EqualWeight.Params(), syms, bps)
        data = prices[syms]
        kernel = lambda: run_batch([cfg], universe, prices, dates)  # noqa: E731
        tables = lambda: run_portfolio(cfg, universe, prices, dates, PortfolioState.initial(cfg))  # noqa: E731
        t_bt, nav_bt = _median_time(lambda: _bt_run(data, weights, bps), reps_bt)
        t_ours, res = _median_time(kernel, reps)
        t_full, full = _median_time(tables, reps)
        nav_ours = float(res.nav[0, -1])
        nav_full = float(full.nav["nav"].iloc[-1])
        assert abs(nav_full / nav_ours - 1) < 1e-12
        rows_out = sum(len(df) for df in full.tables().values())
        mem_bt = _peak_mb(lambda: _bt_run(data, weights, bps))
        rows.append((label, t_bt, t_ours, t_full, nav_bt, nav_ours, nav_full, _peak_mb(kernel), _peak_mb(tables),
                     mem_bt, rows_out))

    print("| case | bt median s | ours kernel ms | ratio | ours with tables ms | ratio | table rows | "
          "final NAV bt | final NAV ours | rel diff (kernel, tables) | peak MB bt / kernel / tables |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for label, t_bt, t_ours, t_full, nav_bt, nav_ours, nav_full, mem, mem_full, mem_bt, n_rows in rows:
        print(f"| {label} | {t_bt:.3f} | {1e3 * t_ours:.2f} | {t_bt / t_ours:.0f}x | {1e3 * t_full:.2f} | "
              f"{t_bt / t_full:.0f}x | {n_rows:,} | {nav_bt:,.6f} | {nav_ours:,.6f} | "
              f"{abs(nav_ours / nav_bt - 1):.1e}, {abs(nav_full / nav_bt - 1):.1e} | "
              f"{mem_bt:.1f} / {mem:.1f} / {mem_full:.1f} |")

    # 1,000 static mixes over 25 years, one kernel call
    rng = np.random.default_rng(7)
    assets = ["SPX", "UST2Y", "UST5Y", "UST10Y", "WTI"]
    cfgs = []
    for k in range(1000):
        w = rng.dirichlet(np.ones(len(assets) + 1))  # last one is cash
        weights = {s: float(x) for s, x in zip(assets, w[:-1], strict=True)}
        weights["CASH"] = 1.0 - sum(weights.values())
        cfgs.append(PortfolioConfig(
            id=f"mix_{k}", name=f"mix {k}", risk_profile="moderate", strategy="static_mix",
            params=StaticMix.Params(weights=weights), universe=assets,
            rebalance=RebalanceRule(frequency="monthly"),
            costs=CostModel(commission_bps=float(rng.integers(0, 20)),
                            half_spread_bps={"equity": 1.0, "government_bonds": 0.5, "commodity": 3.0})))
    window = dates[(dates >= "1990-01-02") & (dates <= "2014-12-31")]
    t_many, many = _median_time(lambda: run_batch(cfgs, universe, prices, window), 7)
    mem_many = _peak_mb(lambda: run_batch(cfgs, universe, prices, window))
    one = run_portfolio(cfgs[3], universe, prices, list(window), PortfolioState.initial(cfgs[3]))
    check = abs(float(one.nav["nav"].iloc[-1]) / float(many.nav[3, -1]) - 1)
    print(f"\n1,000 static mixes x {len(window)} days ({window[0].date()}..{window[-1].date()}), "
          f"cash accruing, net-of-cost fills: median {t_many:.3f} s "
          f"({1e3 * t_many / 1000:.3f} ms per portfolio), peak traced memory {mem_many:.0f} MB, "
          f"batch vs single-portfolio final NAV rel diff {check:.1e}")
    print(f"process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
