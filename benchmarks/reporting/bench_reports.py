"""Time the HTML reports (`python -m pipelines report`) on a backfilled warehouse.

Prints the time to read the warehouse, each section's CPU time summed over the pages, and the
whole run's wall and CPU time; with `--baseline SRC` (another checkout of this repository, e.g.
a `git worktree` of an older commit) it runs that checkout's `write_reports` on the same
warehouse in the same session and prints the ratio. The pages are written to a temporary
folder; the warehouse is opened read-only.

    DAA_HOME=var .venv/bin/python benchmarks/reporting/bench_reports.py [--baseline /tmp/old] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

RUN = """
import json, time
from pipelines.config import Settings
from pipelines.reporting import build
settings = Settings.from_env()
t0, c0 = time.perf_counter(), time.process_time()
result = build.write_reports(settings)
print(json.dumps({"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                  "pages": len(result.pages)}))
"""


def scratch_home(warehouse: Path, root: Path) -> Path:
    """A data root whose warehouse is a link to the measured one: pages land in root/reports."""
    root.mkdir(parents=True)
    (root / "warehouse.duckdb").symlink_to(warehouse)
    return root


def run_checkout(src: Path, home: Path) -> dict:
    """write_reports of the checkout at `src`, in a fresh interpreter (imports not counted)."""
    env = dict(os.environ, PYTHONPATH=str(src), DAA_HOME=str(home))
    res = subprocess.run([sys.executable, "-c", RUN], cwd=src, env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def sections_breakdown() -> tuple[float, dict[str, float]]:
    """(seconds to read the warehouse, CPU seconds per section over every page) of this checkout."""
    from pipelines.config import Settings
    from pipelines.reporting import data as D
    from pipelines.reporting import sections as S
    from pipelines.warehouse.db import connect

    settings = Settings.from_env()
    t0 = time.perf_counter()
    with connect(settings, read_only=True) as con:
        report = D.load(con)
    load = time.perf_counter() - t0
    per: dict[str, float] = defaultdict(float)
    cache: dict = {}
    for pid in report.reported:
        ctx = S.PageContext(report.portfolio(pid), cache=cache)
        for s in S.PORTFOLIO_SECTIONS:
            c0 = time.process_time()
            s.render(ctx)
            per[s.id] += time.process_time() - c0
    return load, dict(per)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", type=Path, help="another checkout to time on the same warehouse")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each side (the best is kept)")
    args = ap.parse_args()
    from pipelines.config import Settings

    warehouse = Settings.from_env().warehouse_path.resolve()
    print(f"warehouse: {warehouse}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        load, per = sections_breakdown()
        print(f"read the warehouse (one connection, one query per table): {load:.2f} s")
        for sid, sec in sorted(per.items(), key=lambda kv: -kv[1]):
            print(f"  {sid:20s} {sec:6.2f} s CPU over all pages")
        sides = {"this checkout": REPO} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
        best = {}
        for name, src in sides.items():
            runs = [run_checkout(src, scratch_home(warehouse, Path(tmp) / f"{name}-{i}".replace(" ", "_")))
                    for i in range(args.repeat)]
            best[name] = min(runs, key=lambda r: r["wall"])
            r = best[name]
            print(f"{name:14s} {r['pages']} pages: wall {r['wall']:.1f} s, CPU {r['cpu']:.1f} s ({src})")
        if "baseline" in best:
            b, n = best["baseline"], best["this checkout"]
            print(f"ratio baseline / this: wall {b['wall'] / n['wall']:.2f}x, CPU {b['cpu'] / n['cpu']:.2f}x")
    print(f"peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
