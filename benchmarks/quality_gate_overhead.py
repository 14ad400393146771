"""How long the data quality gate adds to an ingest (run on demand, prints figures).

    .venv/bin/python benchmarks/quality_gate_overhead.py [--repeat 3]

Two homes are built from the bundled source: one ingested with the gate, one without. Then the
next trading days are ingested, each in a fresh Python process (what an Airflow task pays,
Great Expectations' import included) and again in-process (warm), with and without the gate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BASE = dt.date(2016, 12, 22)
DAYS = [dt.date(2016, 12, 23), dt.date(2016, 12, 27), dt.date(2016, 12, 28), dt.date(2016, 12, 29)]

SNIPPET = """
import datetime as dt, sys, time
t0 = time.perf_counter()
from pipelines.config import Settings
from pipelines.config import REPO_ROOT
from pipelines.ingest.run import ingest
from pathlib import Path
s = Settings(data_root=Path(sys.argv[1]), config_dir=REPO_ROOT / "config")
ingest(s, dt.date.fromisoformat(sys.argv[2]), validate=sys.argv[3] == "1")
print(time.perf_counter() - t0)
"""


def _proc(home: Path, day: dt.date, validate: bool) -> float:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", SNIPPET, str(home), day.isoformat(), "1" if validate else "0"],
                         cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    return wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from pipelines.config import REPO_ROOT, Settings
    from pipelines.ingest.run import ingest

    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import great_expectations"], capture_output=True)
    gx_import = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:
        homes = {v: Path(tmp) / f"home_{v}" for v in (True, False)}
        full = {}
        for v, home in homes.items():
            s = Settings(data_root=home, config_dir=REPO_ROOT / "config")
            t = time.perf_counter()
            ingest(s, BASE, full_history=True, validate=v)
            full[v] = time.perf_counter() - t
        cold = {True: [], False: []}
        warm = {True: [], False: []}
        for day in DAYS[: args.repeat]:
            for v, home in homes.items():
                cold[v].append(_proc(home, day, v))
        for day in DAYS[args.repeat: args.repeat * 2] or DAYS[-1:]:
            for v, home in homes.items():
                s = Settings(data_root=home, config_dir=REPO_ROOT / "config")
                t = time.perf_counter()
                ingest(s, day, validate=v)
                warm[v].append(time.perf_counter() - t)

    med = statistics.median
    print(f"python -c 'import great_expectations' (fresh process): {gx_import:.2f} s")
    print(f"full-history ingest (1990..{BASE}, ~177k price rows): gate {full[True]:.2f} s, "
          f"no gate {full[False]:.2f} s, gate adds {full[True] - full[False]:.2f} s")
    print(f"daily ingest, fresh process (median of {len(cold[True])}): gate {med(cold[True]):.2f} s, "
          f"no gate {med(cold[False]):.2f} s, gate adds {med(cold[True]) - med(cold[False]):.2f} s "
          f"(x{med(cold[True]) / med(cold[False]):.1f})")
    print(f"daily ingest, warm process (median of {len(warm[True])}): gate {med(warm[True]):.2f} s, "
          f"no gate {med(warm[False]):.2f} s, gate adds {med(warm[True]) - med(warm[False]):.2f} s")


if __name__ == "__main__":
    main()
