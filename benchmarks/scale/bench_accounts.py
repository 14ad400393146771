"""Client accounts at scale: the daily account rebalance for books of 1,000, 10,000 and 100,000
accounts over the default models, through the CLI and through an Airflow run of the DAG, and a
five-year daily backfill of 10,000 accounts. Prints a markdown table and the ratios to the
targets of issue 13 (100,000 accounts in under 60 s through Airflow, 10,000 in under 15 s, peak
memory under 4 GiB, cost linear in N, the 5-year backfill of 10,000 accounts in under 5 min).

What is timed, each in a fresh process (wall time, peak resident memory of the process tree):
- CLI: `python -m pipelines accounts rebalance --date D` (prepare, every shard in-process one
  after the other, the one loader);
- Airflow: `airflow dags test account_rebalance D` (the same steps as Airflow tasks, a
  throwaway SQLite metadata DB; `dags test` runs the tasks one at a time, so this includes
  Airflow's start-up and parse but not the parallelism of Celery workers);
- the daily books are live for about three months before D (all accounts open in the first 30
  days of the window), so D is a plain daily run: every account has state, flows and fees;
- bytes: the account tables copied into a fresh DuckDB file, over the account-days stored.

Needs a data root whose warehouse holds the default models up to D (after `make run`: var/);
it is copied, never written. Run:
    .venv/bin/python benchmarks/scale/bench_accounts.py [--home var] [--sizes 1000 10000 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable
ACCOUNT_TABLES = ("account_nav", "account_trades", "account_holdings", "account_flows", "account_state",
                  "block_orders", "account_performance")
TARGETS = {"airflow_100k": 60.0, "airflow_10k": 15.0, "memory_gib": 4.0, "backfill_10k_5y": 300.0}
MEASURE = ("import resource, subprocess, sys, time, json\n"
           "t0 = time.perf_counter(); p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
           "print(json.dumps({'rc': p.returncode, 'seconds': time.perf_counter() - t0,"
           " 'maxrss_kib': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
           " 'stdout': p.stdout[-20000:], 'stderr': p.stderr[-4000:]}))\n")


def measured(cmd: list[str], env: dict[str, str]) -> dict:
    """Run `cmd` under a launcher that reports its wall time and the peak RSS of its tree."""
    out = subprocess.run([PY, "-c", MEASURE, *cmd], env=env, capture_output=True, text=True, cwd=REPO)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["rc"] != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{result['stderr']}\n{result['stdout'][-3000:]}")
    return result


def cli(env: dict[str, str], *args: str) -> dict:
    return measured([PY, "-m", "pipelines", *args], env)


def table_bytes(warehouse: Path, work: Path) -> dict[str, int]:
    """Bytes each account table takes in DuckDB: copied alone into a fresh file, checkpointed."""
    import duckdb

    out = {}
    for table in ACCOUNT_TABLES:
        path = work / f"size_{table}.duckdb"
        path.unlink(missing_ok=True)
        con = duckdb.connect(str(path))
        con.execute(f"ATTACH '{warehouse}' AS w (READ_ONLY)")
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM w.{table}")
        con.execute("DETACH w")
        con.execute("CHECKPOINT")
        empty = duckdb.connect(str(work / "size_empty.duckdb"))
        empty.execute("CREATE TABLE t (a INTEGER)")
        empty.close()
        con.close()
        out[table] = path.stat().st_size - (work / "size_empty.duckdb").stat().st_size
        path.unlink()
        (work / "size_empty.duckdb").unlink()
    return out


def count(warehouse: Path, sql: str) -> int:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


def fresh_home(src: Path, dst: Path) -> Path:
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    shutil.copytree(src / "lake", dst / "lake")
    shutil.copy(src / "warehouse.duckdb", dst / "warehouse.duckdb")
    return dst


def airflow_env(work: Path, env: dict[str, str]) -> dict[str, str]:
    home = work / "airflow"
    e = {**env, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
         "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "DAA_TASK_RETRIES": "0",
         "AIRFLOW__CORE__UNIT_TEST_MODE": "False"}
    if not (home / "airflow.db").exists():
        airflow = str(Path(PY).with_name("airflow"))
        for cmd in ([airflow, "db", "migrate"], [airflow, "pools", "set", "duckdb_writer", "1", "writer"]):
            subprocess.run(cmd, env=e, check=True, capture_output=True, cwd=REPO)
    return e


def daily_case(n: int, day: dt.date, src: Path, work: Path, skip_airflow: bool) -> dict:
    home = fresh_home(src, work / f"home-{n}")
    env = {**os.environ, "DAA_HOME": str(home)}
    env.pop("DAA_CONFIG_DIR", None)
    start = day - dt.timedelta(days=92)
    prev = (day - dt.timedelta(days=1 if day.weekday() else 3))
    t0 = time.perf_counter()
    cli(env, "accounts", "generate", "--n", str(n), "--seed", "1", "--start", start.isoformat(),
        "--end", day.isoformat(), "--incept-within", "30", "--out", str(work / f"book-{n}"))
    setup = time.perf_counter() - t0
    history = cli(env, "accounts", "rebalance", "--date", prev.isoformat())
    daily = cli(env, "accounts", "rebalance", "--date", day.isoformat())
    rows = json.loads(daily["stdout"][daily["stdout"].index("{"):])["rows"]
    out = {"n": n, "generate_import_s": setup, "history_s": history["seconds"], "cli_s": daily["seconds"],
           "cli_maxrss_kib": daily["maxrss_kib"], "rows": rows, "history_maxrss_kib": history["maxrss_kib"]}
    if not skip_airflow:
        e = airflow_env(work, env)
        run = measured([str(Path(PY).with_name("airflow")), "dags", "test", "account_rebalance", day.isoformat(),
                        "-c", json.dumps({"as_of": day.isoformat()})], e)
        out.update(airflow_s=run["seconds"], airflow_maxrss_kib=run["maxrss_kib"])
    wh = home / "warehouse.duckdb"
    out["accounts"] = count(wh, f"SELECT count(*) FROM account_nav WHERE date = '{day}'")
    shutil.rmtree(home, ignore_errors=True)
    return out


def backfill_case(n: int, years: int, day: dt.date, src: Path, work: Path) -> dict:
    home = fresh_home(src, work / f"home-backfill-{n}")
    env = {**os.environ, "DAA_HOME": str(home)}
    env.pop("DAA_CONFIG_DIR", None)
    start = day.replace(year=day.year - years)
    cli(env, "accounts", "generate", "--n", str(n), "--seed", "2", "--start", start.isoformat(),
        "--end", day.isoformat(), "--incept-within", "30", "--out", str(work / f"book-backfill-{n}"))
    run = cli(env, "accounts", "rebalance", "--date", day.isoformat())
    wh = home / "warehouse.duckdb"
    account_days = count(wh, "SELECT count(*) FROM account_nav")
    sizes = table_bytes(wh, work)
    shutil.rmtree(home, ignore_errors=True)
    rows = json.loads(run["stdout"][run["stdout"].index("{"):])["rows"]
    return {"n": n, "years": years, "seconds": run["seconds"], "maxrss_kib": run["maxrss_kib"], "rows": rows,
            "account_days": account_days, "bytes": sizes}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, default=Path(os.environ.get("DAA_HOME", REPO / "var")))
    ap.add_argument("--date", type=dt.date.fromisoformat, default=dt.date(2017, 3, 29))
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    ap.add_argument("--backfill", type=int, default=10_000, help="accounts of the backfill case (0: skip)")
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--skip-airflow", action="store_true")
    ap.add_argument("--work", type=Path, help="scratch folder (default: a temp dir, removed)")
    args = ap.parse_args(argv)
    src = args.home.resolve()
    if not (src / "warehouse.duckdb").exists() or not (src / "lake" / "curated").exists():
        print(f"{src} has no warehouse and curated lake: run `make run` first (or pass --home)", file=sys.stderr)
        return 2
    work = args.work or Path(tempfile.mkdtemp(prefix="daa-bench-accounts-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        daily = [daily_case(n, args.date, src, work, args.skip_airflow) for n in args.sizes]
        back = backfill_case(args.backfill, args.years, args.date, src, work) if args.backfill else None
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    report(daily, back)
    return 0


def _gib(kib: int) -> float:
    return kib / 1024 / 1024


def report(daily: list[dict], back: dict | None) -> None:
    print("\n| N | CLI daily (s) | Airflow daily (s) | peak RSS (GiB) | rows written | µs per account (CLI) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for d in daily:
        rss = max(d["cli_maxrss_kib"], d.get("airflow_maxrss_kib", 0))
        af = f"{d['airflow_s']:.1f}" if "airflow_s" in d else "-"
        print(f"| {d['n']:,} | {d['cli_s']:.1f} | {af} | {_gib(rss):.2f} | {sum(d['rows'].values()):,} | "
              f"{1e6 * d['cli_s'] / d['n']:.0f} |")
    by_n = {d["n"]: d for d in daily}
    print()
    for n, key in ((100_000, "airflow_100k"), (10_000, "airflow_10k")):
        if n in by_n and "airflow_s" in by_n[n]:
            t = by_n[n]["airflow_s"]
            print(f"- {n:,} accounts through Airflow: {t:.1f} s, target {TARGETS[key]:.0f} s: "
                  f"{t / TARGETS[key]:.2f}x the target ({'met' if t < TARGETS[key] else 'MISSED'})")
    peak = max(max(d["cli_maxrss_kib"], d.get("airflow_maxrss_kib", 0)) for d in daily)
    print(f"- peak memory {_gib(peak):.2f} GiB, target {TARGETS['memory_gib']:.0f} GiB: "
          f"{_gib(peak) / TARGETS['memory_gib']:.2f}x")
    if len(daily) > 1:
        lo, hi = daily[0], daily[-1]
        growth = (hi["cli_s"] / lo["cli_s"]) / (hi["n"] / lo["n"])
        print(f"- linearity: CLI time grew {hi['cli_s'] / lo['cli_s']:.1f}x for {hi['n'] / lo['n']:.0f}x the "
              f"accounts ({growth:.2f} of linear; fixed start-up cost makes small books look dear)")
    for d in daily:
        print(f"  N={d['n']:,}: generate+import {d['generate_import_s']:.1f} s, ~3 months of history "
              f"{d['history_s']:.1f} s, rows {d['rows']}")
    if back:
        days = back["account_days"]
        total = sum(back["bytes"].values())
        t = back["seconds"]
        print(f"\n- {back['years']}-year daily backfill of {back['n']:,} accounts: {t:.1f} s "
              f"(target {TARGETS['backfill_10k_5y']:.0f} s: {t / TARGETS['backfill_10k_5y']:.2f}x), peak "
              f"{_gib(back['maxrss_kib']):.2f} GiB, {days:,} account-days, "
              f"{1e6 * t / days:.2f} µs per account-day")
        print(f"- stored: {total / days:.1f} bytes per account-day over the account tables "
              f"({total / 2**20:.0f} MiB): " + ", ".join(f"{k} {v / days:.1f}" for k, v in back["bytes"].items()))
        print(f"  rows: {back['rows']}")


if __name__ == "__main__":
    sys.exit(main())
