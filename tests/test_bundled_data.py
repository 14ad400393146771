"""The embedded data and the Treasury total-return derivation."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pipelines.ingest.bundled import BundledSource
from pipelines.ingest.treasury import bond_total_return_index, cash_index, par_bond_duration_convexity


def test_par_bond_duration_matches_closed_form():
    y = np.array([0.01, 0.05, 0.08])
    dur, conv = par_bond_duration_convexity(y, 10.0)
    closed = (1 - (1 + y / 2) ** -20) / y  # modified duration of a par bond
    np.testing.assert_allclose(dur, closed, rtol=1e-12)
    assert dur[1] == pytest.approx(7.7946, abs=1e-3)
    assert (conv > dur**2 / 2).all()


def test_total_return_is_carry_when_yields_do_not_move():
    idx = pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-03"])
    tr = bond_total_return_index(pd.Series([0.05, 0.05, 0.05], index=idx), 10.0)
    assert tr.iloc[1] / tr.iloc[0] - 1 == pytest.approx(0.05 / 365, rel=1e-12)


def test_total_return_matches_exact_repricing_to_second_order():
    idx = pd.to_datetime(["2020-01-01", "2020-01-02"])
    y0, y1 = 0.04, 0.0410
    tr = bond_total_return_index(pd.Series([y0, y1], index=idx), 10.0)
    k = np.arange(1, 21)
    exact_price = ((y0 / 2) * (1 + y1 / 2) ** -k).sum() + (1 + y1 / 2) ** -20
    approx = tr.iloc[1] / tr.iloc[0] - 1 - y0 / 365
    assert approx == pytest.approx(exact_price - 1, abs=2e-6)


def test_cash_accrues_the_bond_equivalent_yield_on_365_days():
    """DGS3MO is quoted on an investment (bond-equivalent) basis: a 365-day year, not 360."""
    idx = pd.to_datetime(["2020-01-03", "2020-01-06"])
    c = cash_index(pd.Series([0.036, 0.02], index=idx))
    assert c.iloc[1] / c.iloc[0] - 1 == pytest.approx(0.036 * 3 / 365, rel=1e-12)
    # a year of a flat 5% yield earns 5% on this basis (act/360 would give 5.07%)
    days = pd.date_range("2019-01-01", "2020-01-01", freq="D")
    year = cash_index(pd.Series(0.05, index=days))
    assert year.iloc[-1] / year.iloc[0] - 1 == pytest.approx((1 + 0.05 / 365) ** 365 - 1, rel=1e-12)


def test_bundled_series_are_complete_and_plausible():
    from pipelines.config import Settings

    src = BundledSource()
    universe = Settings.from_env().universe
    prices = src.prices(universe, None, src.last_date)
    wide = prices.pivot(index="date", columns="symbol", values="close")
    assert wide.index.min() == pd.Timestamp("1990-01-02") and wide.index.max() == pd.Timestamp(src.last_date)
    assert wide.notna().all().all() and (wide > 0).all().all()
    years = (wide.index[-1] - wide.index[0]).days / 365.25
    cagr = (wide.iloc[-1] / wide.iloc[0]) ** (1 / years) - 1
    assert 0.02 < cagr["CASH"] < 0.04      # T-bills averaged ~3% over 1990-2017
    assert 0.05 < cagr["UST10Y"] < 0.08    # 10y Treasuries returned ~6.5% a year
    assert 0.05 < cagr["SPX"] < 0.09       # S&P 500 price index, no dividends
    macro = src.macro(universe, None, src.last_date)
    assert (macro["release_date"] >= macro["obs_date"]).all()
    assert set(macro["series"]) == {m.series for m in universe.macro_series}


def test_window_is_half_open():
    from pipelines.config import Settings

    universe = Settings.from_env().universe
    rows = BundledSource().prices(universe, dt.date(2016, 1, 4), dt.date(2016, 1, 6))
    assert sorted(pd.to_datetime(rows["date"]).dt.date.unique()) == [dt.date(2016, 1, 5), dt.date(2016, 1, 6)]
