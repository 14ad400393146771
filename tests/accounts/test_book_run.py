"""The account rebalance on a real warehouse: money, block orders, units, cash, restrictions,
cash-flows-first, tolerance, holdings history, returns, idempotence and point in time."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest
from book_support import BOOK_START, as_of_close, checkpoint_dates, snapshot
from scipy.optimize import brentq

from pipelines.accounts.book import import_book
from pipelines.runner import run_accounts
from support import BASE_END

DEFAULT_TOLERANCE = 0.03


def test_the_book_ran_every_account_every_day(book_db):
    days = book_db.execute("SELECT count(DISTINCT date) FROM account_nav").fetchone()[0]
    assert days > 240
    n = book_db.execute("SELECT count(*) FROM accounts").fetchone()[0]
    assert n == 300
    # an account has a row every trading day from its first one to the end, none before
    gaps = book_db.execute("""
        WITH d AS (SELECT DISTINCT date FROM account_nav),
        first AS (SELECT account_id, min(date) AS f, count(*) AS n FROM account_nav GROUP BY 1)
        SELECT count(*) FROM first WHERE n <> (SELECT count(*) FROM d WHERE date >= first.f)""").fetchone()[0]
    assert gaps == 0
    early = book_db.execute("""SELECT count(*) FROM account_nav n JOIN accounts a USING (account_id)
                               WHERE n.date < a.inception""").fetchone()[0]
    assert early == 0
    dupes = book_db.execute("SELECT count(*) FROM (SELECT date, account_id FROM account_nav GROUP BY ALL "
                            "HAVING count(*) > 1)").fetchone()[0]
    assert dupes == 0


def test_money_is_conserved_to_the_cent(book_db):
    """Over all accounts: cash plus positions = deposits - withdrawals - fees - costs + market gains,
    the gains recomputed from the holdings history, the lake's prices and the cash index."""
    end = book_db.execute("SELECT max(date) FROM account_nav").fetchone()[0]
    wealth = book_db.execute("""
        SELECT sum(n.cash) + coalesce((SELECT sum(p.quantity * pr.close) FROM account_positions_at(?) p
                                        JOIN prices pr ON pr.symbol = p.symbol AND pr.date = ?), 0)
        FROM account_nav n WHERE n.date = ?""", [end, end, end]).fetchone()[0]
    flows = dict(book_db.execute("""
        SELECT CASE WHEN kind IN ('initial_deposit', 'deposit', 'recurring') THEN 'in'
                    WHEN kind = 'withdrawal' THEN 'out' ELSE 'fees' END, sum(amount)
        FROM account_flows WHERE status = 'applied' GROUP BY 1""").fetchall())
    costs = book_db.execute("SELECT sum(cost) FROM account_trades").fetchone()[0]
    gains = book_db.execute("""
        WITH days AS (SELECT DISTINCT date FROM account_nav),
        steps AS (SELECT date, lag(date) OVER (ORDER BY date) AS prev FROM days),
        held AS (SELECT s.date, s.prev, h.account_id, h.symbol, arg_max(h.quantity, h.date) AS q
                 FROM steps s JOIN account_holdings h ON h.date <= s.prev
                 WHERE s.prev IS NOT NULL GROUP BY ALL),
        pos AS (SELECT sum(CAST(q AS DOUBLE) * (p1.close - p0.close)) AS g FROM held
                JOIN prices p1 ON p1.symbol = held.symbol AND p1.date = held.date
                JOIN prices p0 ON p0.symbol = held.symbol AND p0.date = held.prev),
        interest AS (SELECT sum(n.cash * (c1.close / c0.close - 1)) AS g FROM steps s
                     JOIN account_nav n ON n.date = s.prev
                     JOIN prices c1 ON c1.symbol = 'CASH' AND c1.date = s.date
                     JOIN prices c0 ON c0.symbol = 'CASH' AND c0.date = s.prev)
        SELECT (SELECT g FROM pos) + (SELECT g FROM interest)""").fetchone()[0]
    expected = flows["in"] - flows.get("out", 0.0) - flows["fees"] - costs + gains
    assert flows.get("out", 0) > 0 and flows["fees"] > 0 and costs > 0
    assert wealth == pytest.approx(expected, abs=0.01), f"{wealth - expected:+.6f} unexplained"


def test_block_orders_equal_the_sum_of_the_account_trades(book_db):
    mismatch = book_db.execute("""
        WITH t AS (SELECT trade_date, symbol,
                          sum(CASE WHEN side = 'BUY' THEN quantity ELSE -quantity END) AS net,
                          sum(quantity) FILTER (WHERE side = 'BUY') AS buys,
                          sum(quantity) FILTER (WHERE side = 'SELL') AS sells,
                          count(*) AS tickets, count(DISTINCT account_id) AS accounts
                   FROM account_trades GROUP BY ALL)
        SELECT count(*) FROM t FULL JOIN block_orders b USING (trade_date, symbol)
        WHERE b.net_quantity IS DISTINCT FROM t.net
           OR b.buy_quantity IS DISTINCT FROM coalesce(t.buys, 0)
           OR b.sell_quantity IS DISTINCT FROM coalesce(t.sells, 0)
           OR b.gross_quantity <> b.buy_quantity + b.sell_quantity
           OR b.tickets IS DISTINCT FROM t.tickets OR b.accounts IS DISTINCT FROM t.accounts""").fetchone()[0]
    assert mismatch == 0
    blocks, netted = book_db.execute("SELECT count(*), count(*) FILTER (WHERE buy_quantity > 0 AND sell_quantity > 0) "
                                     "FROM block_orders").fetchone()
    assert blocks > 100 and netted > 0, "some days buys and sells of a symbol cross in the block"
    types = dict(book_db.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = "
                                 "'block_orders'").fetchall())
    assert types["net_quantity"].startswith("DECIMAL"), "exact quantities: the allocation reconciles exactly"


def test_whole_units_stay_whole_and_cash_is_never_negative(book_db):
    whole = book_db.execute("SELECT count(*) FROM accounts WHERE NOT fractional").fetchone()[0]
    assert whole > 0
    frac_units = book_db.execute("""
        SELECT count(*) FROM account_holdings h JOIN accounts a USING (account_id)
        WHERE NOT a.fractional AND h.quantity <> round(h.quantity)""").fetchone()[0]
    frac_trades = book_db.execute("""
        SELECT count(*) FROM account_trades t JOIN accounts a USING (account_id)
        WHERE NOT a.fractional AND t.quantity <> round(t.quantity)""").fetchone()[0]
    assert frac_units == 0 and frac_trades == 0
    assert book_db.execute("SELECT min(cash) FROM account_nav").fetchone()[0] >= 0
    assert book_db.execute("SELECT min(quantity) FROM account_holdings").fetchone()[0] >= 0


def test_a_restricted_symbol_is_never_bought_and_its_substitute_takes_its_weight(book_db):
    restricted = book_db.execute("SELECT count(*) FROM account_restrictions").fetchone()[0]
    assert restricted > 0
    bought = book_db.execute("""
        SELECT count(*) FROM account_trades t JOIN account_restrictions r USING (account_id, symbol)
        WHERE t.side = 'BUY'""").fetchone()[0]
    held = book_db.execute("""
        SELECT count(*) FROM account_holdings h JOIN account_restrictions r USING (account_id, symbol)
        WHERE h.quantity > 0""").fetchone()[0]
    assert bought == 0 and held == 0
    subs = book_db.execute("""
        SELECT count(*) FROM account_trades t JOIN account_restrictions r
          ON r.account_id = t.account_id AND r.substitute = t.symbol WHERE t.side = 'BUY'""").fetchone()[0]
    assert subs > 0


def test_deposits_never_sell_and_withdrawals_never_buy(book_db):
    mixed = book_db.execute("""
        SELECT reason, count(*) FROM account_trades
        WHERE (reason = 'deposit' AND side = 'SELL') OR (reason IN ('withdrawal', 'fee') AND side = 'BUY')
        GROUP BY reason""").fetchall()
    assert mixed == []
    counts = dict(book_db.execute("SELECT reason, count(*) FROM account_trades GROUP BY reason").fetchall())
    assert counts.get("deposit", 0) > 100 and counts.get("withdrawal", 0) > 0 and counts.get("new_account", 0) > 0


def test_after_a_drift_rebalance_every_fractional_account_is_within_tolerance(book_db):
    rows = book_db.execute(f"""
        SELECT n.drift, coalesce(a.drift_tolerance, {DEFAULT_TOLERANCE}) AS tol
        FROM (SELECT DISTINCT trade_date, account_id FROM account_trades WHERE reason = 'drift') d
        JOIN account_nav n ON n.account_id = d.account_id AND n.date = d.trade_date
        JOIN accounts a ON a.account_id = d.account_id
        WHERE a.fractional""").fetchall()
    assert len(rows) > 5
    assert all(drift <= tol + 1e-6 for drift, tol in rows)


def test_positions_on_any_past_date_are_the_trades_summed(book_db):
    day = dt.date(2016, 6, 30)
    macro = book_db.execute("SELECT account_id, symbol, quantity FROM account_positions_at(?) ORDER BY 1, 2",
                            [day]).fetchall()
    summed = book_db.execute("""
        SELECT account_id, symbol, CAST(sum(CASE WHEN side = 'BUY' THEN quantity ELSE -quantity END) AS DOUBLE) q
        FROM account_trades WHERE trade_date <= ? GROUP BY ALL HAVING q > 0 ORDER BY 1, 2""", [day]).fetchall()
    assert len(macro) > 100 and macro == summed
    # and they mark to the NAV stored that day (the accrued fee is the only difference)
    nav = book_db.execute("""
        SELECT n.account_id, n.nav, n.cash + coalesce(sum(p.quantity * pr.close), 0) AS gross
        FROM account_nav n LEFT JOIN account_positions_at(?) p USING (account_id)
        LEFT JOIN prices pr ON pr.symbol = p.symbol AND pr.date = n.date
        WHERE n.date = ? GROUP BY n.account_id, n.nav, n.cash""", [day, day]).df()
    gap = (nav["gross"] - nav["nav"]) / nav["nav"]
    assert (gap >= -1e-12).all() and (gap < 0.005 / 12 + 1e-9).all(), "at most a month of fee accrued"


def test_returns_with_flows_match_a_recomputation_from_the_stored_days(book_db):
    perf = book_db.execute("SELECT * FROM account_performance ORDER BY account_id").df().set_index("account_id")
    navs = book_db.execute("SELECT account_id, date, nav, net_flow, daily_return FROM account_nav ORDER BY 1, 2").df()
    flows = book_db.execute("""SELECT account_id, date, CASE WHEN kind = 'withdrawal' THEN amount ELSE -amount END AS a
                               FROM account_flows WHERE status = 'applied'
                               AND kind IN ('initial_deposit', 'deposit', 'recurring', 'withdrawal')""").df()
    checked = 0
    for acc, rows in list(navs.groupby("account_id"))[::15]:
        nav, flow = rows["nav"].to_numpy(), rows["net_flow"].to_numpy()
        r = np.r_[nav[0] / flow[0] - 1, (nav[1:] - flow[1:]) / nav[:-1] - 1]
        np.testing.assert_allclose(rows["daily_return"].to_numpy(), r, rtol=0, atol=1e-12)
        assert perf.loc[acc, "twr"] == pytest.approx(np.prod(1 + r) - 1, abs=1e-10)
        f = flows[flows["account_id"] == acc]
        t0 = pd.Timestamp(rows["date"].iloc[0])
        years = np.r_[(pd.to_datetime(f["date"]) - t0).dt.days.to_numpy(), (rows["date"].iloc[-1] - t0).days] / 365.0
        amounts = np.r_[f["a"].to_numpy(), nav[-1]]
        x = brentq(lambda v, y=years, a=amounts: np.sum(a * (1 + v) ** -y), -0.9, 5)
        age = years[-1] * 365
        want = x if age >= 365 else (1 + x) ** (age / 365) - 1
        assert perf.loc[acc, "mwr"] == pytest.approx(want, abs=1e-8)
        assert perf.loc[acc, "volatility"] == pytest.approx(np.std(r, ddof=1) * np.sqrt(252), rel=1e-9)
        checked += 1
    assert checked >= 15


def test_a_daily_run_continues_the_backfill_bit_for_bit(book, book_home):
    """Run the same book up to a date, then day by day: the rows equal the one-go run's."""
    settings = book
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("DELETE FROM account_state")  # forget every checkpoint: recompute from inception
    mid = dt.date(2016, 12, 20)
    run_accounts(settings, mid)
    for day in pd.bdate_range(mid + dt.timedelta(days=1), BASE_END):
        run_accounts(settings, day.date())
    original = book_home[0] / "warehouse.duckdb"
    kept = checkpoint_dates(original)
    assert snapshot(settings.warehouse_path, state_dates=kept) == snapshot(original)
    assert set(kept) <= set(checkpoint_dates(settings.warehouse_path))


def test_re_running_a_day_or_a_month_gives_identical_tables(book):
    settings = book
    before = snapshot(settings.warehouse_path)
    run_accounts(settings, BASE_END, start=BASE_END)
    assert snapshot(settings.warehouse_path) == before
    run_accounts(settings, BASE_END, start=dt.date(2016, 11, 15))   # resumes from the October checkpoint
    assert snapshot(settings.warehouse_path) == before


def test_a_flow_recorded_after_a_day_changes_nothing_on_or_before_it(book, tmp_path):
    settings = book
    day = dt.date(2016, 12, 15)
    as_of_close(settings.warehouse_path, day)          # the book as it stood at the close of `day`
    before = snapshot(settings.warehouse_path, through=day)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    acc = con.execute("SELECT account_id FROM account_nav WHERE date = ? ORDER BY nav DESC LIMIT 1",
                      [day]).fetchone()[0]
    con.close()
    backdated = tmp_path / "backdated.csv"
    backdated.write_text(f"account_id,kind,date,amount,recorded_on\n{acc},deposit,2016-12-01,50000,2016-12-10\n")
    with pytest.raises(ValueError, match="on or before the last processed day"):
        import_book(settings, None, backdated)
    late = tmp_path / "late.csv"
    late.write_text("account_id,kind,date,amount,recorded_on\n"
                    f"{acc},deposit,2016-12-01,50000,2016-12-16\n"
                    f"{acc},withdrawal,2016-12-05,1000,2016-12-22\n")
    import_book(settings, None, late)
    # recompute December with the late flows in the book: the days up to `day` do not move
    run_accounts(settings, BASE_END, start=dt.date(2016, 12, 1))
    assert snapshot(settings.warehouse_path, through=day) == before
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    applied = con.execute("SELECT date, kind, amount FROM account_flows WHERE account_id = ? AND date > ? "
                          "AND kind IN ('deposit', 'withdrawal') ORDER BY date", [acc, day]).fetchall()
    con.close()
    assert (dt.date(2016, 12, 16), "deposit", 50000.0) in applied
    assert (dt.date(2016, 12, 22), "withdrawal", 1000.0) in applied


def test_a_withdrawal_the_account_cannot_raise_is_rejected_never_negative_cash(book, tmp_path):
    settings = book
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    acc, nav = con.execute("""SELECT n.account_id, n.nav FROM account_nav n JOIN accounts a USING (account_id)
                              WHERE n.date = ? AND a.fractional AND n.cash < 1
                                AND account_id NOT IN (SELECT account_id FROM cash_flows WHERE kind = 'recurring')
                              ORDER BY n.nav DESC LIMIT 1""", [BASE_END]).fetchone()
    con.close()
    flows = tmp_path / "all_out.csv"   # the NAV, but selling everything costs something: not payable
    flows.write_text(f"account_id,kind,date,amount\n{acc},withdrawal,2016-12-30,{nav * 0.99999:.2f}\n")
    import_book(settings, None, flows)
    next_day = dt.date(2016, 12, 30)
    from pipelines.ingest.run import ingest
    from pipelines.runner import run_daily

    ingest(settings, next_day)
    run_daily(settings, next_day)
    run_accounts(settings, next_day)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    status, note = con.execute("SELECT status, note FROM account_flows WHERE account_id = ? AND kind = 'withdrawal' "
                               "AND date = ?", [acc, next_day]).fetchone()
    cash = con.execute("SELECT min(cash) FROM account_nav WHERE date = ?", [next_day]).fetchone()[0]
    con.close()
    assert status == "rejected" and "selling everything" in note
    assert cash >= 0


def test_the_statement_of_an_account(book_home, use_home):
    from pipelines.accounts.statement import build_statement, render

    settings = use_home(*book_home)
    con = duckdb.connect(str(book_home[0] / "warehouse.duckdb"), read_only=True)
    acc = con.execute("""SELECT account_id FROM account_flows WHERE kind = 'recurring' GROUP BY 1
                         ORDER BY count(*) DESC, 1 LIMIT 1""").fetchone()[0]
    nav = con.execute("SELECT nav FROM account_nav WHERE account_id = ? AND date = ?", [acc, BASE_END]).fetchone()[0]
    perf = con.execute("SELECT twr, mwr FROM account_performance WHERE account_id = ?", [acc]).fetchone()
    con.close()
    st = build_statement(settings, acc, BOOK_START)
    assert st.closing_nav == pytest.approx(nav)
    assert st.twr_inception == pytest.approx(perf[0], abs=1e-12)
    assert st.mwr_inception == pytest.approx(perf[1], abs=1e-8)
    assert st.deposits > 0 and len(st.flows) > 5 and len(st.trades) > 0
    assert st.holdings["value"].sum() == pytest.approx(nav, rel=0.001)
    text = render(st)
    assert f"Statement of account {acc}" in text and "time-weighted return" in text and "Holdings" in text
    shown = {label: float(line.split()[-1].replace(",", "")) for line in text.splitlines()
             for label in ("opening NAV", "deposits", "withdrawals", "closing NAV") if line.strip().startswith(label)}
    gain_line = next(line for line in text.splitlines() if "market, fees and costs" in line)
    gain = float(gain_line.split("costs")[1].split()[0].replace(",", ""))
    # the printed lines foot to the cent
    assert round(shown["opening NAV"] + shown["deposits"] + shown["withdrawals"] + gain, 2) == shown["closing NAV"]
