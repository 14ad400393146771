"""The warehouse: migrations, idempotent loads, reconciliation of positions, cash and NAV."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipelines.ingest.run import ingest
from pipelines.run_steps import RunContext, allocate, load
from pipelines.runner import run_daily
from pipelines.warehouse.db import connect, migrate
from support import NEXT_DAY

FACTS = {"nav": "date", "positions": "date", "trades": "trade_date", "target_weights": "date"}


def _table(settings, sql, params=None):
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def test_migrations_are_recorded_and_idempotent(home):
    with connect(home) as con:
        before = con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
        assert migrate(con, home) == []
        assert con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall() == before
        tables = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"assets", "portfolios", "target_weights", "trades", "positions", "nav", "pipeline_runs",
            "v_latest_allocations", "v_trade_blotter", "v_portfolio_summary", "prices", "macro"} <= tables


def test_daily_run_twice_gives_identical_tables_without_duplicates(home):
    run_daily(home, NEXT_DAY, run_id="first")
    first = {t: _table(home, f"SELECT * EXCLUDE (run_id) FROM {t} ORDER BY ALL") for t in FACTS}
    run_daily(home, NEXT_DAY, run_id="second")
    for t in FACTS:
        again = _table(home, f"SELECT * EXCLUDE (run_id) FROM {t} ORDER BY ALL")
        pd.testing.assert_frame_equal(first[t], again, check_exact=True)
    assert set(_table(home, "SELECT DISTINCT run_id FROM nav WHERE date = ?", [NEXT_DAY])["run_id"]) == {"second"}
    keys = {"nav": "date, portfolio_id", "positions": "date, portfolio_id, symbol",
            "trades": "trade_date, portfolio_id, symbol", "target_weights": "date, portfolio_id, symbol"}
    for t, k in keys.items():
        dupes = f"SELECT count(*) AS n FROM (SELECT {k} FROM {t} GROUP BY ALL HAVING count(*) > 1)"
        assert _table(home, dupes)["n"][0] == 0


def test_positions_reconcile_to_trades_and_nav_to_cash_plus_positions(base_home, use_home):
    settings = use_home(*base_home)
    trades = _table(settings, "SELECT trade_date AS date, portfolio_id, symbol, "
                              "CASE side WHEN 'BUY' THEN quantity ELSE -quantity END AS dq FROM trades")
    positions = _table(settings, "SELECT date, portfolio_id, symbol, quantity, market_value FROM positions")
    nav = _table(settings, "SELECT date, portfolio_id, nav, cash, invested FROM nav")

    held = trades.sort_values("date").assign(q=lambda d: d.groupby(["portfolio_id", "symbol"])["dq"].cumsum())
    last_trade = held.groupby(["portfolio_id", "symbol", "date"])["q"].last().reset_index()
    merged = pd.merge_asof(positions.sort_values("date"), last_trade.sort_values("date"),
                           on="date", by=["portfolio_id", "symbol"])
    np.testing.assert_allclose(merged["quantity"], merged["q"], rtol=1e-12, atol=1e-9)

    mv = positions.groupby(["date", "portfolio_id"])["market_value"].sum().rename("mv")
    check = nav.set_index(["date", "portfolio_id"]).join(mv).fillna({"mv": 0.0})
    np.testing.assert_allclose(check["invested"], check["mv"], rtol=1e-12)
    np.testing.assert_allclose(check["nav"], check["cash"] + check["mv"], rtol=1e-12)
    assert (check["cash"] >= 0).all()


def test_a_failed_load_leaves_the_warehouse_unchanged(home, tmp_path):
    """Two portfolios staged, the second one's file is missing: nothing of either is written."""
    before = {t: _table(home, f"SELECT * FROM {t} ORDER BY ALL") for t in FACTS}
    ingest(home, NEXT_DAY)
    run = RunContext.for_settings(home, as_of=NEXT_DAY, run_id="boom", snapshot_id="snap").to_dict()
    good = allocate(run, "static_60_40")
    bad_manifest = json.loads(Path(good).read_text())
    assert bad_manifest["rows"]["nav"] == 1
    bad_manifest["portfolio_id"] = "equal_weight_stocks"
    bad_manifest["tables"]["nav"] = str(tmp_path / "missing.parquet")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bad_manifest))
    with pytest.raises(duckdb.Error, match="missing.parquet"):
        load(run, allocate=[good, str(bad)])
    for t in FACTS:
        pd.testing.assert_frame_equal(before[t], _table(home, f"SELECT * FROM {t} ORDER BY ALL"))


def test_daily_run_trades_from_stored_holdings_after_a_configuration_change(home, tmp_path, use_home):
    """A static mix's daily run recomputes its path from inception; when the configuration
    changed, that path is not what the portfolio holds, so it must continue from the warehouse."""
    from support import TEST_PORTFOLIOS, make_config_dir

    changed = make_config_dir(tmp_path / "changed",
                              TEST_PORTFOLIOS.replace("{SPX: 0.6, UST10Y: 0.4}", "{SPX: 0.5, UST10Y: 0.5}"))
    settings = use_home(home.data_root, changed)
    held = _table(settings, "SELECT symbol, quantity FROM positions WHERE portfolio_id = 'static_60_40' "
                            "AND date = (SELECT max(date) FROM positions) ORDER BY symbol")
    run_daily(settings, NEXT_DAY, run_id="after-change")
    now = _table(settings, "SELECT symbol, quantity FROM positions WHERE portfolio_id = 'static_60_40' "
                           "AND date = ? ORDER BY symbol", [NEXT_DAY])
    # 2016-12-30 is not a rebalance day: the holdings carry over unit for unit.
    pd.testing.assert_frame_equal(held, now, check_exact=True)
    assert _table(settings, "SELECT count(*) AS n FROM trades WHERE trade_date = ?", [NEXT_DAY])["n"][0] == 0
