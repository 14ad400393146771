"""Yearly walk-forward: the schedule, no look-ahead across refits, and a rejected refit leaving
the previous model serving."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from neural_support import POLICY, SPEC, TRAIN, momentum_market

from models.neural.walk_forward import oos_path, refit_schedule, serving, walk_forward

FIRST_YEAR = 2003


@pytest.fixture(scope="module")
def short_market():
    return momentum_market(n=1400)  # 2001-01-01 .. mid 2006


@pytest.fixture(scope="module")
def refits(short_market):
    return walk_forward(short_market, SPEC, POLICY, TRAIN, FIRST_YEAR)


def test_each_refit_cuts_off_the_trading_day_before_its_year():
    dates = pd.DatetimeIndex(["2002-12-30", "2002-12-31", "2003-01-02", "2003-06-30",
                              "2004-01-05", "2004-01-06"])
    assert refit_schedule(dates, 2003) == [
        (2003, pd.Timestamp("2002-12-31"), pd.Timestamp("2003-01-02")),
        (2004, pd.Timestamp("2003-06-30"), pd.Timestamp("2004-01-05"))]


def test_refits_are_trained_versioned_and_serve_only_after_their_cutoff(refits, short_market):
    assert [r.year for r in refits] == [2003, 2004, 2005, 2006]
    assert all(r.status == "trained" for r in refits)
    assert len({r.version for r in refits}) == 4
    for r in refits:
        assert r.model.trained_through == r.cutoff
        assert pd.Timestamp(r.model.metrics["validation_end"]) < r.cutoff
        assert r.version.startswith(f"neural_policy@{r.cutoff:%Y%m%d}-")
    path = oos_path(refits, short_market, SPEC)
    for r in refits:
        served = path.version.index[path.version == r.version]
        assert served.min() == r.serves_from and served.min() > r.cutoff
        assert serving(refits, served.max()).version == r.version
    assert serving(refits, refits[0].cutoff) is None
    np.testing.assert_allclose(path.weights.sum(axis=1), 1.0, atol=1e-5)
    assert (path.weights.to_numpy() >= -1e-6).all()


def test_truncating_data_after_d_changes_no_weight_on_or_before_d(refits, short_market):
    d = pd.Timestamp("2005-06-15")
    full = oos_path(refits, short_market, SPEC)
    known = short_market.truncated(d)
    cut_refits = walk_forward(known, SPEC, POLICY, TRAIN, FIRST_YEAR)
    assert [r.year for r in cut_refits] == [2003, 2004, 2005]
    cut = oos_path(cut_refits, known, SPEC)
    assert cut.weights.index[-1] == d
    pd.testing.assert_frame_equal(cut.weights, full.weights.loc[:d])
    pd.testing.assert_series_equal(cut.returns, full.returns.loc[:d])
    for a, b in zip(cut_refits, refits, strict=False):
        assert a.version == b.version


def test_a_rejected_refit_leaves_the_previous_version_serving(refits, short_market):
    diverging = dataclasses.replace(TRAIN, learning_rate=1e8)
    known = short_market.truncated(pd.Timestamp("2004-12-31"))
    again = walk_forward(known, SPEC, POLICY, diverging, FIRST_YEAR, previous=refits[:1])
    assert [r.status for r in again] == ["trained", "rejected"]
    assert again[0] is refits[0]
    assert "diverged" in again[1].reason and again[1].model is None
    path = oos_path(again, known, SPEC)
    assert set(path.version.loc["2004"]) == {refits[0].version}


def test_years_without_enough_history_are_skipped(short_market):
    out = walk_forward(short_market.truncated(pd.Timestamp("2002-02-01")), SPEC, POLICY, TRAIN,
                       2002)
    assert [(r.year, r.status) for r in out] == [(2002, "skipped")]
    assert "needs" in out[0].reason
    with pytest.raises(ValueError, match="no trained refit"):
        oos_path(out, short_market, SPEC)
