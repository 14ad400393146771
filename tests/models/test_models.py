"""Purged CV, factor regression, factor covariance, registry point-in-time rule, tuning seed."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from models.cv import PurgedKFold
from models.factor_model import fit_factor_model, ols_fit, risk_decomposition
from models.factors import FactorPanel
from models.regime import Samples, TrainingSpec, tune_classifier
from models.registry import LookAheadError, NoModelError, Registry


def _t1(n: int) -> pd.Series:
    ends = pd.date_range("2000-01-31", periods=n + 1, freq="ME")
    return pd.Series(ends[1:], index=ends[:-1])


class TestPurgedKFold:
    @pytest.mark.parametrize("embargo", [0.0, 0.05])
    def test_no_training_label_overlaps_the_test_window(self, embargo):
        t1 = _t1(120)
        t0 = t1.index.to_numpy()
        for train, test in PurgedKFold(5, t1, embargo).split():
            lo, hi = t0[test].min(), t1.to_numpy()[test].max()
            for i in train:
                # the training sample's span [t0, t1] lies wholly before or after the test span
                assert t1.iloc[i] < lo or t0[i] > hi
            assert not set(train) & set(test)

    def test_embargo_drops_samples_after_the_fold(self):
        t1 = _t1(100)
        plain = [len(tr) for tr, _ in PurgedKFold(4, t1, 0.0).split()]
        emb = [len(tr) for tr, _ in PurgedKFold(4, t1, 0.05).split()]
        assert all(e <= p for e, p in zip(emb, plain, strict=True)) and sum(emb) < sum(plain)


class TestFactorModel:
    def _panel(self, betas: np.ndarray, T: int = 120, noise: float = 0.001) -> FactorPanel:
        rng = np.random.default_rng(3)
        months = pd.period_range("2000-01", periods=T, freq="M")
        F = rng.normal(0, 0.04, size=(T, betas.shape[1]))
        R = 0.001 + F @ betas.T + rng.normal(0, noise, size=(T, betas.shape[0]))
        ends = months.to_timestamp(how="end").normalize()
        names = [f"F{k}" for k in range(betas.shape[1])]
        f = pd.DataFrame(F, index=months, columns=names)
        known = pd.DataFrame({c: ends for c in names}, index=months)
        assets = pd.DataFrame(R, index=months, columns=[f"A{i}" for i in range(betas.shape[0])])
        return FactorPanel(f, known, assets, pd.Series(ends, index=months))

    def test_recovers_known_exposures(self):
        betas = np.array([[1.0, 0.5, -0.3], [0.2, -1.0, 0.8], [0.0, 0.0, 1.5]])
        panel = self._panel(betas)
        fit = fit_factor_model(panel, pd.Timestamp("2012-06-15"), ["A0", "A1", "A2"],
                               ["F0", "F1", "F2"], window=60, min_months=36)
        np.testing.assert_allclose(fit.exposures.to_numpy(), betas, atol=0.02)
        np.testing.assert_allclose(fit.alpha.to_numpy(), 0.001, atol=0.001)
        assert (fit.r_squared > 0.99).all()

    def test_covariance_is_psd_with_more_assets_than_months(self):
        rng = np.random.default_rng(5)
        panel = self._panel(rng.normal(size=(80, 4)), T=50, noise=0.02)
        fit = fit_factor_model(panel, pd.Timestamp("2004-06-15"), list(panel.asset_returns.columns),
                               list(panel.returns.columns), window=40, min_months=36)
        cov = fit.covariance().to_numpy()
        assert np.allclose(cov, cov.T)
        assert np.linalg.eigvalsh(cov).min() > -1e-12
        share = risk_decomposition(fit, pd.Series(1 / 80, index=fit.assets))
        assert share.sum() == pytest.approx(1.0)

    def test_exposures_ignore_months_not_known_at_the_date(self):
        betas = np.array([[1.0, 0.5, -0.3]])
        panel = self._panel(betas)
        d = pd.Timestamp("2006-03-10")
        a = fit_factor_model(panel, d, ["A0"], ["F0", "F1", "F2"])
        cut = FactorPanel(panel.returns.loc[:"2006-02"], panel.known.loc[:"2006-02"],
                          panel.asset_returns.loc[:"2006-02"], panel.month_end.loc[:"2006-02"])
        b = fit_factor_model(cut, d, ["A0"], ["F0", "F1", "F2"])
        pd.testing.assert_frame_equal(a.exposures, b.exposures)

    def test_ols_multi_output(self):
        X = np.random.default_rng(0).normal(size=(50, 2))
        y = np.column_stack([X @ [1, 2], X @ [-1, 0.5]]) + 3
        alpha, beta, resid, r2 = ols_fit(y, X)
        np.testing.assert_allclose(beta, [[1, 2], [-1, 0.5]], atol=1e-10)
        np.testing.assert_allclose(alpha, 3, atol=1e-10)


class TestRegistry:
    def test_refuses_a_model_trained_on_data_after_the_date(self, tmp_path):
        reg = Registry(tmp_path / "models")
        rec = reg.save("m", "m@1", dt.date(2010, 6, 30), {"x": 1}, {"created_at": "a"})
        assert reg.load(rec, dt.date(2010, 7, 1)) == {"x": 1}
        with pytest.raises(LookAheadError):
            reg.load(rec, dt.date(2010, 6, 30))
        with pytest.raises(LookAheadError):
            reg.load(rec, dt.date(2010, 1, 4))
        with pytest.raises(NoModelError):
            reg.latest("m", before=dt.date(2010, 6, 30))
        assert reg.latest("m", before=dt.date(2010, 7, 1)).version == "m@1"
        reg.save("m", "m@2", dt.date(2011, 1, 3), {"x": 2}, {"created_at": "b"})
        assert reg.latest("m", before=dt.date(2011, 1, 3)).version == "m@1"
        assert reg.latest("m", before=dt.date(2011, 1, 4)).version == "m@2"


def test_tuning_is_reproducible_with_a_fixed_seed():
    rng = np.random.default_rng(11)
    n = 120
    t1 = _t1(n)
    X = pd.DataFrame(rng.normal(size=(n, 4)), index=t1.index, columns=list("abcd"))
    y = pd.Series((X["a"] + rng.normal(size=n) > 0.3).astype(int), index=t1.index)
    prev = y.shift(1).fillna(0).astype(int)
    s = Samples(X, y, t1, prev, y.astype(float), prev.astype(float), 0.5)
    spec = TrainingSpec(c_grid=(0.01, 1.0, 10.0), seed=3, features=tuple("abcd"))
    best, cv, trials = tune_classifier(s, spec)
    assert (best, cv, trials) == tune_classifier(s, spec)
    # every configuration of the grid is a recorded trial, the best has the lowest CV log loss
    assert [t["params"] for t in trials] == spec.grid() and len(trials) == 6
    assert cv == min((t["cv"] for t in trials), key=lambda c: c["log_loss"]) and best in spec.grid()
