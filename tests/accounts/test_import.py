"""Importing a book: every bad row named by line and column, nothing of a bad file loaded; the
synthetic generator is seeded; re-importing a flows file changes nothing."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from pipelines.accounts.book import import_book
from pipelines.accounts.generate import draw_accounts, draw_flows
from pipelines.accounts.validate import BookError

HEADER = "account_id,portfolio_id,inception,initial_deposit,fractional,drift_tolerance,restricted,fee_bps\n"
GOOD = ("C001,static_60_40,2016-03-01,25000,true,,,25\n"
        "C002,equal_weight_stocks,2016-03-01,80000,false,0.05,XOM>MSFT;CVX>CASH,20\n")


def _counts(settings) -> dict[str, int]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("accounts", "account_restrictions", "cash_flows")}
    finally:
        con.close()


@pytest.fixture
def empty_book(home, tmp_path):
    """The base home with a two-account book."""
    path = tmp_path / "good.csv"
    path.write_text(HEADER + GOOD)
    import_book(home, path, replace=True)
    return home


BAD_ACCOUNTS = {
    "unknown model": ("C003,no_such_model,2016-03-01,1000,true,,,25\n", "line 3, column 'portfolio_id'",
                      "unknown model portfolio 'no_such_model'"),
    "duplicate id": ("C003,static_60_40,2016-03-01,1000,true,,,25\nC003,static_60_40,2016-03-02,2000,true,,,25\n",
                     "line 4, column 'account_id'", "duplicate account id 'C003' (first on line 3)"),
    "already in the book": ("C001,static_60_40,2016-03-01,1000,true,,,25\n", "line 3, column 'account_id'",
                            "already in the book"),
    "negative deposit": ("C003,static_60_40,2016-03-01,-500,true,,,25\n", "line 3, column 'initial_deposit'",
                         "must be > 0, got -500"),
    "malformed date": ("C003,static_60_40,2016-02-30,1000,true,,,25\n", "line 3, column 'inception'",
                       "not a date (YYYY-MM-DD): '2016-02-30'"),
    "bad id": ("C 003,static_60_40,2016-03-01,1000,true,,,25\n", "line 3, column 'account_id'", "not an account id"),
    "unknown substitute": ("C003,static_60_40,2016-03-01,1000,true,,SPX>ZZZ,25\n", "line 3, column 'restricted'",
                           "substitute 'ZZZ'"),
    "fee out of range": ("C003,static_60_40,2016-03-01,1000,true,,,900\n", "line 3, column 'fee_bps'",
                         "must be <= 500"),
}


@pytest.mark.parametrize("case", sorted(BAD_ACCOUNTS))
def test_a_bad_accounts_file_names_the_row_and_field_and_loads_nothing(empty_book, tmp_path, case):
    rows, where, what = BAD_ACCOUNTS[case]
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "C010,static_60_40,2016-03-01,1000,true,,,25\n" + rows)   # a good row first
    before = _counts(empty_book)
    with pytest.raises(BookError) as err:
        import_book(empty_book, path)
    assert where in str(err.value) and what in str(err.value), str(err.value)
    assert str(path) in str(err.value) and "nothing loaded" in str(err.value)
    assert _counts(empty_book) == before


FLOWS = "account_id,kind,date,amount,end_date\n"
BAD_FLOWS = {
    "unknown account": ("C999,deposit,2016-04-01,100,\n", "line 3, column 'account_id'", "unknown account 'C999'"),
    "negative deposit": ("C001,deposit,2016-04-01,-100,\n", "line 3, column 'amount'", "must be > 0"),
    "malformed date": ("C001,deposit,04/01/2016,100,\n", "line 3, column 'date'", "not a date"),
    "unknown kind": ("C001,gift,2016-04-01,100,\n", "line 3, column 'kind'", "unknown kind 'gift'"),
    "before inception": ("C001,deposit,2016-02-01,100,\n", "line 3, column 'date'", "before the account's inception"),
    "end date on a one-off": ("C001,deposit,2016-04-01,100,2016-05-01\n", "line 3, column 'end_date'",
                              "only a recurring flow"),
    "withdrawal beyond the balance": ("C001,withdrawal,2016-05-02,26000,\n", "line 3, column 'amount'",
                                      "withdrawal of 26,000.00 exceeds the account's balance of 25,500.00 on "
                                      "2016-05-02"),
}


@pytest.mark.parametrize("case", sorted(BAD_FLOWS))
def test_a_bad_flows_file_names_the_row_and_field_and_loads_nothing(empty_book, tmp_path, case):
    row, where, what = BAD_FLOWS[case]
    path = tmp_path / "flows.csv"
    path.write_text(FLOWS + "C001,deposit,2016-04-01,500,\n" + row)
    with pytest.raises(BookError) as err:
        import_book(empty_book, None, path)
    assert where in str(err.value) and what in str(err.value), str(err.value)
    assert _counts(empty_book)["cash_flows"] == 0


def test_withdrawals_count_contributions_and_earlier_withdrawals(empty_book, tmp_path):
    path = tmp_path / "flows.csv"
    path.write_text(FLOWS + "C001,recurring,2016-03-15,1000,\n"        # 2 contributions by 2016-04-20
                    "C001,withdrawal,2016-04-20,20000,\n"
                    "C001,withdrawal,2016-04-21,7000.01,\n")          # 25000 + 2000 - 20000 = 7000 left
    with pytest.raises(BookError) as err:
        import_book(empty_book, None, path)
    assert "line 4" in str(err.value) and "balance of 7,000.00" in str(err.value)
    path.write_text(FLOWS + "C001,recurring,2016-03-15,1000,\n" "C001,withdrawal,2016-04-20,20000,\n"
                    "C001,withdrawal,2016-04-21,7000,\n")
    summary = import_book(empty_book, None, path)
    assert summary.flows == 3
    again = import_book(empty_book, None, path)         # the same file again: nothing new
    assert again.flows == 0 and again.flows_unchanged == 3
    assert _counts(empty_book)["cash_flows"] == 3


def test_a_parquet_book_loads_like_a_csv_one(home, tmp_path):
    df = pd.read_csv(pd.io.common.StringIO(HEADER + GOOD), dtype=str, keep_default_na=False)
    df["inception"] = pd.to_datetime(df["inception"]).dt.date
    df["initial_deposit"] = df["initial_deposit"].astype(float)
    df["fractional"] = df["fractional"] == "true"
    path = tmp_path / "book.parquet"
    df.to_parquet(path)
    summary = import_book(home, path, replace=True)
    assert (summary.accounts, summary.restrictions) == (2, 2)
    bad = df.assign(initial_deposit=[25000.0, 0.0])
    bad.to_parquet(path)
    with pytest.raises(BookError, match=r"row 2, column 'initial_deposit': must be > 0"):
        import_book(home, path, replace=True)
    assert _counts(home)["accounts"] == 2, "the failed replace left the previous book"


def test_the_generator_is_seeded_and_realistic(home):
    start, end = dt.date(2014, 1, 2), dt.date(2016, 12, 29)
    a1 = draw_accounts(home, 2000, 5, start, end)
    a2 = draw_accounts(home, 2000, 5, start, end)
    pd.testing.assert_frame_equal(a1, a2)
    pd.testing.assert_frame_equal(draw_flows(a1, 5, end), draw_flows(a2, 5, end))
    assert not draw_accounts(home, 2000, 6, start, end).equals(a1)
    dep = a1["initial_deposit"]
    assert dep.median() == pytest.approx(20_000, rel=0.15) and dep.mean() > 1.3 * dep.median()  # log-normal tail
    assert set(a1["portfolio_id"]) == {"static_60_40", "equal_weight_stocks"}
    flows = draw_flows(a1, 5, end)
    kinds = flows["kind"].value_counts()
    assert kinds["recurring"] > 0.4 * len(a1) and kinds["withdrawal"] > 0 and kinds["deposit"] > 0
    assert (pd.to_datetime(flows["date"]) >= pd.to_datetime(flows["account_id"].map(
        a1.set_index("account_id")["inception"]))).all()
