"""The account rebalance on arrays: cash flows first, drift tolerance, restrictions, whole units,
the cash floor, and returns with flows checked against hand computations."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy.optimize import brentq

from pipelines.accounts.rebalance import (
    DEPOSIT,
    DRIFT,
    NEW_ACCOUNT,
    NO_TRADE,
    WITHDRAWAL,
    Book,
    account_targets,
    drift,
    rebalance,
)
from pipelines.accounts.returns import daily_return, volatility, xirr
from pipelines.config import CostModel, Settings
from pipelines.portfolio.costs import CostArrays

SYMBOLS = ["SPX", "UST10Y", "WTI"]
P = np.array([2000.0, 500.0, 50.0])
COSTS = CostModel(commission_bps=1.0, half_spread_bps={"equity": 1.0, "government_bonds": 0.5, "commodity": 3.0})
UNIVERSE = Settings.from_env().universe


def book(K: int, *, fractional=True, tolerance=0.03, buffer=0.0, min_trade=1.0, restricted=None, costs=COSTS,
         bt=False) -> Book:
    c = CostArrays.build([costs] * K, SYMBOLS, UNIVERSE.asset_classes)
    return Book(model=np.zeros(K, dtype=np.int64), fractional=np.full(K, fractional), tolerance=np.full(K, tolerance),
                buffer=np.full(K, buffer), min_trade=np.full(K, min_trade), fee_rate=np.zeros(K),
                restricted=np.array(restricted or np.zeros((0, 3)), dtype=np.int64).reshape(-1, 3), costs=c,
                bt=np.full(K, bt), lot=1e-6)


def holdings(values, p=P) -> np.ndarray:
    return np.asarray(values, dtype=float) / p


def day(q, cash, w, b: Book, payout=None, forced=None, reason=None):
    K = len(cash)
    return rebalance(np.asarray(q, float), np.asarray(cash, float), P, np.ones(len(P), dtype=bool),
                     np.asarray(w, float), np.zeros(K) if payout is None else np.asarray(payout, float),
                     np.full(K, NO_TRADE, np.int8) if forced is None else np.asarray(forced, np.int8),
                     np.full(K, NO_TRADE, np.int8) if reason is None else np.asarray(reason, np.int8), b)


W = np.array([[0.6, 0.3, 0.1]])


def test_a_deposit_into_an_underweight_account_buys_without_selling():
    # SPX fell: 55/33/11 with a 1% cash remainder; a deposit of 3% of NAV arrives
    q = holdings([[55_000, 33_000, 11_000]])
    tr = day(q, [1_000 + 3_000], W, book(1), reason=[DEPOSIT])
    assert tr.reason[0] == DEPOSIT
    assert (tr.delta >= 0).all(), "a deposit never sells"
    assert tr.delta[0, 0] > 0                        # the underweight SPX is what it buys
    assert tr.delta[0, 1] == 0 and tr.delta[0, 2] == 0  # UST10Y and WTI are at or over target
    # never past the target: SPX after the buy is at most 60% of NAV
    nav = 103_000 - tr.cost.sum()
    assert (q[0, 0] + tr.delta[0, 0]) * P[0] <= 0.6 * nav + 1e-6
    assert tr.cash[0] >= 0


def test_a_withdrawal_sells_the_overweight_assets_first():
    # SPX rallied to 63%: a withdrawal of 3% is raised from SPX alone, nothing is bought
    q = holdings([[63_000, 28_500, 8_500]])
    tr = day(q, [0.0], W, book(1), payout=[3_000], reason=[WITHDRAWAL])
    assert tr.reason[0] == WITHDRAWAL
    assert tr.delta[0, 0] < 0 and tr.delta[0, 1] == 0 and tr.delta[0, 2] == 0
    assert tr.cash[0] >= 0
    # the sale raised the withdrawal net of its cost (bt's sizing: the ticket's cash flow is the
    # amount), rounded to the lot: at most one lot (10^-6 units) more
    raised = -tr.delta[0, 0] * P[0] - tr.cost[0, 0]
    assert 3_000 <= raised <= 3_000 + 1e-6 * P[0] + 1e-9


def test_a_large_withdrawal_takes_from_the_largest_overweight_down():
    # after an 8,000 withdrawal the targets are 55.2k / 27.6k / 9.2k: UST10Y is 6.4k over,
    # SPX 1.8k over; UST10Y is sold to its target first, SPX gives the rest, nothing is bought
    q = holdings([[57_000, 34_000, 9_000]])
    tr = day(q, [0.0], W, book(1), payout=[8_000], reason=[WITHDRAWAL])
    assert tr.reason[0] == WITHDRAWAL
    assert (tr.delta[0, :2] < 0).all() and tr.delta[0, 2] == 0
    sold = -tr.delta[0] * P
    assert sold[1] == pytest.approx(6_400, rel=1e-3)
    assert sold[0] == pytest.approx(1_600, rel=2e-3)
    assert 0 <= tr.cash[0] < 0.01


def test_flow_trades_that_leave_drift_beyond_tolerance_become_a_drift_rebalance():
    q = holdings([[80_000, 15_000, 5_000]])          # 20pp off: a small deposit cannot fix it
    tr = day(q, [500.0], W, book(1), reason=[DEPOSIT])
    assert tr.reason[0] == DRIFT
    value = (q + tr.delta) * P
    assert drift(value, tr.cash, W)[0] <= 0.03
    assert (tr.delta < 0).any(), "back to target sells the overweight"


def test_within_tolerance_without_flows_nothing_trades_and_beyond_it_every_account_comes_back():
    q = holdings([[61_000, 29_500, 9_500], [70_000, 20_000, 10_000], [60_000, 30_000, 10_000]])
    cash = np.array([0.0, 0.0, 0.0])
    tr = day(q, cash, np.repeat(W, 3, axis=0), book(3))
    assert tr.reason.tolist() == [NO_TRADE, DRIFT, NO_TRADE]
    assert (tr.delta[[0, 2]] == 0).all()
    after = drift((q + tr.delta) * P, tr.cash, np.repeat(W, 3, axis=0))
    assert after[1] <= 0.03


def test_a_restricted_symbol_goes_to_its_substitute_and_is_only_ever_sold():
    b = book(2, restricted=[[0, 2, 1], [1, 2, -1]])   # account 0: WTI -> UST10Y; account 1: WTI -> cash
    w = account_targets(np.array([[0.6, 0.3, 0.1]]), b)
    np.testing.assert_allclose(w, [[0.6, 0.4, 0.0], [0.6, 0.3, 0.0]])
    q = holdings([[60_000, 30_000, 10_000], [0.0, 0.0, 0.0]])
    tr = day(q, [0.0, 100_000.0], w, b, forced=[-1, NEW_ACCOUNT])
    assert tr.delta[0, 2] == pytest.approx(-q[0, 2])  # the held WTI is sold out
    assert tr.delta[1, 2] == 0                         # a new account never buys it
    assert tr.cash[1] == pytest.approx(0.1 * 100_000, rel=1e-3)


def test_whole_units_stay_whole_and_the_remainder_stays_in_cash():
    b = book(1, fractional=False, min_trade=0.0)
    tr = day(np.zeros((1, 3)), [10_000.0], W, b, forced=[NEW_ACCOUNT])
    assert np.all(tr.delta == np.round(tr.delta))
    # targets are set on the NAV net of the trades' costs, then rounded down:
    # floor(5999.x / 2000), floor(2999.x / 500), floor(999.x / 50)
    assert tr.delta[0].tolist() == [2.0, 5.0, 19.0]
    assert tr.cash[0] == pytest.approx(10_000 - (tr.delta[0] * P).sum() - tr.cost.sum())
    assert tr.cash[0] > 0


def test_fractional_units_are_multiples_of_the_lot():
    tr = day(np.zeros((1, 3)), [12_345.67], W, book(1), forced=[NEW_ACCOUNT])
    micro = tr.delta * 1e6
    np.testing.assert_array_equal(micro, np.round(micro))


def test_the_cash_buffer_and_the_payout_leave_cash_never_negative():
    rng = np.random.default_rng(3)
    K = 500
    q = np.floor(holdings(rng.uniform(0, 50_000, (K, 3))))   # whole-unit accounts hold whole units
    cash = rng.uniform(0, 2_000, K)
    nav = cash + (q * P).sum(axis=1)
    payout = np.where(rng.random(K) < 0.5, rng.uniform(0, 0.5, K) * nav, 0.0)
    b = book(K, buffer=0.02, fractional=False, min_trade=50.0,
             costs=CostModel(commission_bps=2.0, min_commission=5.0, half_spread_bps={"equity": 1.0}))
    reason = np.where(payout > 0, WITHDRAWAL, NO_TRADE).astype(np.int8)
    tr = day(q, cash, account_targets(W, b), b, payout=payout, reason=reason)
    after = tr.cash + ((q + tr.delta) * P).sum(axis=1)
    traded = tr.reason != NO_TRADE
    assert traded.sum() > 100
    assert (tr.cash >= 0).all()
    assert (tr.cash[traded] >= 0.02 * after[traded] - 1e-6).all(), "the buffer holds after the payout"
    assert np.all(tr.delta == np.round(tr.delta))
    # money: what left the accounts is the payout plus the costs, to the cent
    np.testing.assert_allclose(nav - after, payout + tr.cost.sum(axis=1), atol=0.005)


# --------------------------------------------------------------------------- returns by hand


def test_twr_with_three_flows_matches_a_hand_computation():
    # day 0: deposit 1000 (inception), ends at 1010; day 1: 1030; day 2: deposit 500 -> 1540;
    # day 3: withdrawal 200 -> 1352
    nav = np.array([1010.0, 1030.0, 1540.0, 1352.0])
    flow = np.array([1000.0, 0.0, 500.0, -200.0])
    prev = np.r_[0.0, nav[:-1]]
    r = daily_return(nav, prev, flow, np.array([True, False, False, False]))
    hand = [1010 / 1000 - 1, 1030 / 1010 - 1, (1540 - 500) / 1030 - 1, (1352 + 200) / 1540 - 1]
    np.testing.assert_allclose(r, hand, rtol=0, atol=1e-15)
    twr = np.prod(1 + r) - 1
    assert twr == pytest.approx(1010 / 1000 * 1030 / 1010 * 1040 / 1030 * 1552 / 1540 - 1, abs=1e-15)
    n, s, s2 = len(r), r.sum(), (r * r).sum()
    vol = volatility(np.array([n]), np.array([s]), np.array([s2]))[0]
    assert vol == pytest.approx(np.std(r, ddof=1) * np.sqrt(252))


def test_xirr_matches_a_root_found_by_hand_and_the_textbook_example():
    # Excel's XIRR documentation example: 0.373362535 (Excel stops at 1e-8)
    dates = [dt.date(2008, 1, 1), dt.date(2008, 3, 1), dt.date(2008, 10, 30), dt.date(2009, 2, 15), dt.date(2009, 4, 1)]
    amounts = np.array([-10_000, 2_750, 4_250, 3_250, 2_750], dtype=float)
    years = np.array([(d - dates[0]).days / 365.0 for d in dates])
    assert xirr(np.zeros(5, dtype=np.int64), years, amounts, 1)[0] == pytest.approx(0.373362535, abs=1e-8)
    # three flows and an ending value, two accounts at once
    t = np.array([0.0, 0.4, 0.9, 1.5])
    a = np.array([-1000.0, -500.0, 200.0, 1452.0])
    b = np.array([-2000.0, 100.0, 100.0, 1700.0])
    got = xirr(np.r_[np.zeros(4), np.ones(4)].astype(np.int64), np.r_[t, t], np.r_[a, b], 2)
    for rates, flows in zip(got, (a, b), strict=True):
        root = brentq(lambda x, f=flows: np.sum(f * (1 + x) ** -t), -0.99, 10)
        assert rates == pytest.approx(root, abs=1e-10)
