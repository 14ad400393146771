"""Our two single-portfolio paths of bench_vs_bt's four cases, this checkout against another
(a `git worktree` of an older commit), in alternating processes on the same lake.

One process per checkout and round, the checkouts taking turns, so load drift on a shared
machine hits both alike; each process times the kernel (`run_batch`) and the engine's entry
point with the warehouse frames built (`advance`) `--calls` times per case after a warm-up
and prints the minimum and the median. The minimum over rounds is the figure to compare: on
these VMs the same code's median moves by up to 2x between processes.

    git worktree add --detach /tmp/before <commit>
    DAA_HOME=var .venv-bench/bin/python benchmarks/backtest/compare_engine.py --baseline /tmp/before

The baseline must have benchmarks/backtest/bench_vs_bt.py with `run_portfolio`, `_cfg`,
`STOCKS`, `run_batch` and the strategies' Params (every commit since the re-lay's bench).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
CASES = [("60/40 monthly, 0 bps", None, 0.0), ("60/40 monthly, 10 bps", None, 10.0),
         ("20-stock equal weight monthly, 0 bps", "stocks", 0.0),
         ("20-stock equal weight monthly, 10 bps", "stocks", 10.0)]


def _measure(root: Path, calls: int) -> dict[str, list[float]]:
    """{case/path: [min ms, median ms]} for the checkout at `root` (run in a child process)."""
    spec = importlib.util.spec_from_file_location("bench_vs_bt", root / "benchmarks/backtest/bench_vs_bt.py")
    b = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(b)  # it puts its own checkout first on sys.path
    settings = b.Settings.from_env()
    universe = settings.universe
    prices = b.lake.read_prices_wide(settings, dt.date(2017, 3, 28))
    dates = prices.index
    out: dict[str, list[float]] = {}
    for label, kind, bps in CASES:
        if kind is None:
            cfg = b._cfg("case", "static_mix", b.StaticMix.Params(weights={"SPX": 0.6, "UST10Y": 0.4}),
                         ["SPX", "UST10Y"], bps)
        else:
            cfg = b._cfg("case", "equal_weight", b.EqualWeight.Params(), b.STOCKS, bps)
        paths = {"kernel": lambda cfg=cfg: b.run_batch([cfg], universe, prices, dates),
                 "tables": lambda cfg=cfg: b.run_portfolio(cfg, universe, prices, dates,
                                                           b.PortfolioState.initial(cfg))}
        for name, fn in paths.items():
            for _ in range(max(5, calls // 10)):
                fn()
            times = []
            for _ in range(calls):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
            out[f"{label}|{name}"] = [1e3 * min(times), 1e3 * statistics.median(times)]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", type=Path, help="the other checkout (e.g. a git worktree)")
    ap.add_argument("--rounds", type=int, default=3, help="processes per checkout, taking turns")
    ap.add_argument("--calls", type=int, default=200, help="timed calls per case and path")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        print(json.dumps(_measure(args.child.resolve(), args.calls)))
        return 0
    if args.baseline is None or not (args.baseline / "benchmarks/backtest/bench_vs_bt.py").is_file():
        ap.error("--baseline must be a checkout holding benchmarks/backtest/bench_vs_bt.py")
    roots = {"baseline": args.baseline.resolve(), "this": HERE.parents[2]}
    runs: dict[str, list[dict[str, list[float]]]] = {k: [] for k in roots}
    for r in range(args.rounds):
        for side, root in roots.items():
            print(f"[compare] round {r + 1}/{args.rounds}: {side} ({root})", file=sys.stderr, flush=True)
            done = subprocess.run([sys.executable, str(HERE), "--child", str(root), "--calls", str(args.calls)],
                                  capture_output=True, text=True, check=True)
            runs[side].append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"min over {args.rounds} processes of the min (median in brackets) of {args.calls} calls, ms")
    print("| case | path | baseline | this | this / baseline |")
    print("|---|---|---|---|---|")
    for key in runs["this"][0]:
        label, path = key.split("|")
        base = min(run[key][0] for run in runs["baseline"])
        this = min(run[key][0] for run in runs["this"])
        med_b = statistics.median(run[key][1] for run in runs["baseline"])
        med_t = statistics.median(run[key][1] for run in runs["this"])
        print(f"| {label} | {path} | {base:.2f} ({med_b:.2f}) | {this:.2f} ({med_t:.2f}) | {this / base:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
