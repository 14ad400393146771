"""Identifier patterns: what every entry point accepts, and what it refuses before a path or SQL."""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines import identifiers as ids

HOSTILE = ["", ".", "..", "../x", "x/../../outside", "a/b", "a\\b", "/etc/passwd", "x\x00y", " SPX", "SPX ",
           "-rf", ".hidden", "a" * 300, "SPX;DROP TABLE nav", "SPX'--", "é", None, 12]


@pytest.mark.parametrize("check, good", [
    (ids.check_symbol, ["SPX", "UST10Y", "BRK.B", "BF-B", "FF_X", "7203.T"]),
    (ids.check_series, ["DGS10", "CPILFESL", "FF_MKT_RF", "BAMLH0A0HYM2"]),
    (ids.check_portfolio_id, ["static_60_40", "p1", "risk_parity_factor_stocks"]),
    (ids.check_account_id, ["ACC-000123", "acc_1", "0001", "Client-7"]),
    (ids.check_run_id, ["manual__2016-12-30T00:00:00+00:00", "cli__daily__2016-12-30__20240101T000000",
                        "scheduled__2016-12-30T23:30:00+00:00", "test-base-backfill"]),
])
def test_patterns_accept_real_ids_and_refuse_hostile_ones(check, good):
    for value in good:
        assert check(value) == value
    for value in HOSTILE:
        with pytest.raises(ids.InvalidIdentifier) as err:
            check(value)
        assert "invalid" in str(err.value) and len(str(err.value)) < 300


def test_case_rules_are_strict():
    with pytest.raises(ids.InvalidIdentifier):
        ids.check_symbol("spx")
    with pytest.raises(ids.InvalidIdentifier):
        ids.check_portfolio_id("Static_60_40")
    with pytest.raises(ids.InvalidIdentifier):
        ids.check_series("dgs10")


def test_run_ids_become_one_folder_name():
    assert ids.path_component("manual__2016-12-30T00:00:00+00:00") == "manual__2016-12-30T00_00_00_00_00"
    with pytest.raises(ids.InvalidIdentifier, match=r"'\.\.'"):
        ids.path_component("a..b")


def test_invalid_lists_each_bad_value_once():
    assert ids.invalid(["SPX", "x/..", "SPX", "x/..", "ok"], ids.check_symbol) == ["x/..", "ok"]


def test_dates_within_what_the_pipeline_handles():
    today = dt.date(2024, 5, 1)
    assert ids.check_date(dt.date(1990, 1, 2), today=today) == dt.date(1990, 1, 2)
    assert ids.check_date(dt.date(2024, 5, 2), today=today) == dt.date(2024, 5, 2)
    with pytest.raises(ValueError, match="before 1900-01-01"):
        ids.check_date(dt.date(1800, 1, 1), today=today)
    with pytest.raises(ValueError, match="in the future"):
        ids.check_date(dt.date(9999, 12, 31), "--date", today=today)
