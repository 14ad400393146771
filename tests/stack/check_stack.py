"""The multi-process stack test (`make stack-test`; not part of `make test`, which stays
service-free): the docker-compose topology run natively, driven through the REST API.

1. backfill a small test portfolio set so the daily DAGs have state;
2. start PostgreSQL, Redis, the api-server, scheduler, dag-processor, triggerer and two Celery
   workers as separate processes;
3. trigger `market_data` for NEXT_DAY through /api/v2 with a JWT from /auth/token, wait for it
   and for the asset-triggered `portfolio_rebalance`;
4. check the DuckDB tables, the report and the UI: chromium signs in through the login form and
   screenshots the DAG list, the home page and the runs' grid and graph views into
   $DAA_SCREENSHOT_DIR (default build/stack-test/); stop everything by PID.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stack import REPO, Stack  # noqa: E402
from ui_screens import capture_ui  # noqa: E402

from support import BASE_END, NEXT_DAY, make_config_dir  # noqa: E402

TIMINGS: dict[str, float] = {}
ACCOUNTS, ACCOUNT_SHARDS = 400, 4


@pytest.fixture(scope="module")
def stack():
    root = Path(tempfile.mkdtemp(prefix="daa-stack-"))
    home, config = root / "home", make_config_dir(root / "config")
    st = Stack(root=root)
    st.configure(home, config)
    t0 = time.monotonic()
    env = dict(st.env)
    # A small client book cut into ACCOUNT_SHARDS shards, so account_rebalance maps over several.
    accounts_yaml = config / "accounts.yaml"
    accounts_yaml.write_text(re.sub(r"(?m)^shard_size:\s*\d+", f"shard_size: {ACCOUNTS // ACCOUNT_SHARDS}",
                                    accounts_yaml.read_text()))
    res = subprocess.run([sys.executable, "-m", "pipelines", "accounts", "generate", "--n", str(ACCOUNTS),
                          "--seed", "1", "--start", "2014-01-02", "--end", BASE_END.isoformat(),
                          "--out", str(root / "book")], env=env, capture_output=True, text=True, cwd=REPO)
    assert res.returncode == 0, res.stderr[-3000:]
    res = subprocess.run([sys.executable, "-m", "pipelines", "backfill", "--start", "2014-01-02",
                          "--end", BASE_END.isoformat()], env=env, capture_output=True, text=True, cwd=REPO)
    assert res.returncode == 0, res.stderr[-3000:]
    TIMINGS["backfill"] = time.monotonic() - t0
    try:
        t0 = time.monotonic()
        st.start_postgres()
        st.start_redis()
        st.init_airflow()
        TIMINGS["services and db migrate"] = time.monotonic() - t0
        t0 = time.monotonic()
        st.start_airflow()
        st.wait_for_dags(["market_data", "portfolio_rebalance", "account_rebalance"])
        TIMINGS["airflow up and DAGs parsed"] = time.monotonic() - t0
        yield st
    finally:
        codes = st.stop()
        print("\nprocess exit codes after SIGTERM:", codes)
        print("stack timings (s):", {k: round(v, 1) for k, v in TIMINGS.items()})
        print("logs:", st.logs)
        if os.environ.get("DAA_STACK_KEEP") != "1":
            import shutil

            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def runs(stack):
    t0 = time.monotonic()
    md_run = stack.trigger("market_data", {"as_of": NEXT_DAY.isoformat()})
    md_state = stack.wait_for_run("market_data", md_run)
    assert md_state == "success", _failure("market_data", md_run, stack)
    pr = stack.wait_for_any_run("portfolio_rebalance")
    assert pr["state"] == "success", _failure("portfolio_rebalance", pr["dag_run_id"], stack)
    TIMINGS["market_data + portfolio_rebalance"] = time.monotonic() - t0
    t0 = time.monotonic()
    ar = stack.wait_for_any_run("account_rebalance")
    assert ar["state"] == "success", _failure("account_rebalance", ar["dag_run_id"], stack)
    TIMINGS["account_rebalance"] = time.monotonic() - t0
    return {"market_data": md_run, "portfolio_rebalance": pr, "account_rebalance": ar}


def screenshot_dir() -> Path:
    return Path(os.environ.get("DAA_SCREENSHOT_DIR") or REPO / "build" / "stack-test")


def _failure(dag_id: str, run_id: str, stack: Stack) -> str:
    tis = stack.task_instances(dag_id, run_id)
    lines = [f"{dag_id} {run_id} did not succeed:"]
    lines += [f"  {t['task_id']}[{t.get('map_index')}] {t['state']} on {t.get('hostname')}" for t in tis]
    for name in ("scheduler", "worker-1", "worker-2"):
        lines.append(f"--- {name} log tail ---\n{stack.tail(name, 30)}")
    return "\n".join(lines)


def test_asset_triggered_rebalance_ran_after_market_data(stack, runs):
    pr = runs["portfolio_rebalance"]
    assert pr["run_type"] == "asset_triggered"
    tis = stack.task_instances("portfolio_rebalance", pr["dag_run_id"])
    states = {(t["task_id"], t["map_index"]): t["state"] for t in tis}
    assert states[("load", -1)] == "success"
    computed = [k for k in states if k[0] == "allocate"]
    assert len(computed) == 2 and all(states[k] == "success" for k in computed)


def test_account_shards_ran_as_mapped_tasks_on_the_celery_workers(stack, runs):
    """account_rebalance followed the portfolios' load (asset-triggered), mapped one task per
    shard, ran them through Celery, and one loader wrote every account of the book for the day."""
    ar = runs["account_rebalance"]
    assert ar["run_type"] == "asset_triggered"
    tis = stack.task_instances("account_rebalance", ar["dag_run_id"])
    shards = [t for t in tis if t["task_id"] == "rebalance_accounts"]
    assert len(shards) == ACCOUNT_SHARDS and all(t["state"] == "success" for t in shards)
    assert all("Celery" in (t["executor"] or "CeleryExecutor") for t in shards)
    received = {i: (stack.logs / f"worker-{i}.log").read_text(errors="replace").count("execute_workload")
                for i in (1, 2)}
    print("\ntasks received per Celery worker:", received)
    assert all(n > 0 for n in received.values()), received
    con = duckdb.connect(str(Path(stack.env["DAA_HOME"]) / "warehouse.duckdb"), read_only=True)
    try:
        n = con.execute("SELECT count(*) FROM account_nav WHERE date = ?", [NEXT_DAY]).fetchone()[0]
        open_ = con.execute("SELECT count(*) FROM accounts WHERE inception <= ?", [NEXT_DAY]).fetchone()[0]
        booked = con.execute("SELECT count(*) FROM accounts").fetchone()[0]
    finally:
        con.close()
    assert booked == ACCOUNTS and n == open_ > 0


def test_tasks_ran_on_celery_workers(stack, runs):
    tis = (stack.task_instances("market_data", runs["market_data"])
           + stack.task_instances("portfolio_rebalance", runs["portfolio_rebalance"]["dag_run_id"]))
    ran = [t for t in tis if t["state"] == "success"]
    assert ran and all(t["executor"] in (None, "CeleryExecutor") or "Celery" in (t["executor"] or "")
                       for t in ran)
    # Both workers are up and joined the cluster; the tasks were received through the broker.
    received = sum((stack.logs / f"worker-{i}.log").read_text(errors="replace").count("execute_workload")
                   for i in (1, 2))
    assert received >= len(ran) or received > 0
    stack.assert_alive()


def test_warehouse_has_the_day(stack, runs):
    con = duckdb.connect(str(Path(stack.env["DAA_HOME"]) / "warehouse.duckdb"), read_only=True)
    try:
        nav = con.execute("SELECT portfolio_id, nav FROM nav WHERE date = ? ORDER BY 1", [NEXT_DAY]).fetchall()
        assert [r[0] for r in nav] == ["equal_weight_stocks", "static_60_40"]
        assert all(r[1] > 0 for r in nav)
        steps = dict(con.execute(
            "SELECT step, status FROM pipeline_runs WHERE run_id IN (?, ?)",
            [runs["market_data"], runs["portfolio_rebalance"]["dag_run_id"]]).fetchall())
        assert steps.get("market_data.ingest") == "success"
        assert steps.get("portfolio_rebalance.load") == "success"
        before = con.execute("SELECT count(*) FROM nav WHERE date <= ?", [BASE_END]).fetchone()[0]
        assert before > 0
    finally:
        con.close()


def test_report_written(stack, runs):
    reports = Path(stack.env["DAA_HOME"]) / "reports"
    index = reports / "index.html"
    assert index.exists(), sorted(p.name for p in reports.glob("**/*"))
    text = index.read_text()
    assert "static_60_40" in text and "equal_weight_stocks" in text
    assert "http://" not in text.replace("http://www.w3.org", "") and "https://" not in text


def test_ui_answers(stack, runs):
    res = requests.get(f"{stack.api_url}/", timeout=30)
    assert res.status_code == 200
    assert "<html" in res.text.lower() and "airflow" in res.text.lower()
    health = requests.get(f"{stack.api_url}/api/v2/monitor/health", timeout=30).json()
    assert health["metadatabase"]["status"] == "healthy"
    assert health["scheduler"]["status"] == "healthy"
    assert health["dag_processor"]["status"] == "healthy"
    assert health["triggerer"]["status"] == "healthy"


def test_ui_shows_the_runs_in_a_browser(stack, runs):
    """Sign in through the UI's login form and screenshot what an operator looks at first."""
    t0 = time.monotonic()
    shots = capture_ui(stack.api_url, stack.admin_password,
                       {"market_data": runs["market_data"],
                        "portfolio_rebalance": runs["portfolio_rebalance"]["dag_run_id"]},
                       out=screenshot_dir(), profile=stack.root / "chromium-profile",
                       log=stack.logs / "chromium.log")
    TIMINGS["UI screenshots"] = time.monotonic() - t0
    by_name = {s.name: s for s in shots}
    assert set(by_name) == {"ui_dags", "ui_home", "ui_portfolio_rebalance_grid",
                            "ui_portfolio_rebalance_graph", "ui_market_data_grid"}
    assert runs["portfolio_rebalance"]["dag_run_id"] in by_name["ui_portfolio_rebalance_grid"].text
    assert runs["market_data"] in by_name["ui_market_data_grid"].text
    for shot in shots:
        print(f"\nUI screenshot: {shot.path}")
