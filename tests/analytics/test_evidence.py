"""Evidence statistics against known values (paper examples, reference implementations' tests,
asymptotic formulas) and against the properties that define them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from models.cv import CombinatorialPurgedKFold
from pipelines.analytics.evidence import (
    SharpeStats,
    cpcv_backtest_paths,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    min_track_record_length,
    probabilistic_sharpe_ratio,
    probability_of_backtest_overfitting,
    reality_check_and_spa,
    sharpe_difference_ci,
    verdict,
)
from pipelines.analytics.evidence.bootstrap import sharpe_difference_cis


class TestSharpeInference:
    def test_psr_paper_example(self):
        """Bailey & López de Prado (2012), the hedge-fund example (annualised SR 1.585 from 24
        monthly returns, skew -2.448, kurtosis 10.164): PSR(0) = 0.913234..., the value pypbo's
        tests (pypbo/tests/pbo_tests.py::test_psr) assert for it. Tolerance 1e-9."""
        s = SharpeStats(1.585 / np.sqrt(12), 24, -2.448, 10.164)
        assert probabilistic_sharpe_ratio(s) == pytest.approx(0.91323430688486018, abs=1e-9)

    def test_psr_and_min_trl_mlfinlab_example(self):
        """mlfinlab's tests (test_backtest_statistics.py): SR 1.14 against 1 over 250 normal
        returns gives PSR 0.95727 and MinTRL 228.73497 at 95%. Tolerance 1e-4 (theirs)."""
        s = SharpeStats(1.14, 250, 0.0, 3.0)
        assert probabilistic_sharpe_ratio(s, 1.0) == pytest.approx(0.95727, abs=1e-4)
        assert min_track_record_length(s, 1.0, 0.95) == pytest.approx(228.73497, abs=1e-4)

    @pytest.mark.parametrize("sr, target, skew, kurt, per_year, years", [
        (2.0, 1.0, 0.0, 3.0, 250, 2.7311878017281761),
        (2.0, 1.0, 0.0, 3.0, 52, 2.8288335869452368),
        (3.0, 2.5, -0.72, 5.78, 12, 27.352920196040301),
    ])
    def test_min_trl_paper_figure_8(self, sr, target, skew, kurt, per_year, years):
        """Bailey & López de Prado (2012) Figure 8 cases (annualised SR 2 vs 1 daily and weekly,
        normal; SR 3 vs 2.5 monthly, skew -0.72, kurtosis 5.78) in years, as pypbo's
        test_minTRL asserts them. Tolerance 1e-9 years."""
        s = SharpeStats(sr / np.sqrt(per_year), 0, skew, kurt)
        got = min_track_record_length(s, target / np.sqrt(per_year), 0.95) / per_year
        assert got == pytest.approx(years, abs=1e-9)

    def test_dsr_paper_example(self):
        """Bailey & López de Prado (2014) numerical example: 100 trials whose annualised Sharpe
        ratios have variance 1/2, best annualised SR 2.5 over 1,250 daily returns, skew -3,
        kurtosis 10: SR_0 = 0.1132 (daily) and DSR = 0.9004 as printed; pypbo's test_dsr carries
        0.90039683. Tolerances: 5e-5 on the printed figures, 1e-8 on pypbo's."""
        v = 0.5 / 250
        assert expected_max_sharpe(100, v) == pytest.approx(0.1132, abs=5e-5)
        assert expected_max_sharpe(100, 1.0) == pytest.approx(2.5306028932016846, abs=1e-12)
        s = SharpeStats(2.5 / np.sqrt(250), 1250, -3.0, 10.0)
        dsr = deflated_sharpe_ratio(s, 100, v)
        assert dsr == pytest.approx(0.9004, abs=5e-5)
        assert dsr == pytest.approx(0.90039683444939034, abs=1e-8)

    def test_dsr_mlfinlab_example(self):
        """mlfinlab's test_deflated_sharpe_ratio: SR 1.14 over 250 normal returns, trials' Sharpe
        ratios [3.5, 1.01, 1.02] (their variance taken with ddof=0) gives 0.95836 (tol 1e-4)."""
        trials = np.array([3.5, 1.01, 1.02])
        dsr = deflated_sharpe_ratio(SharpeStats(1.14, 250), 3, float(trials.var()))
        assert dsr == pytest.approx(0.95836, abs=1e-4)

    def test_psr_rises_with_track_length(self):
        psr = [probabilistic_sharpe_ratio(SharpeStats(0.05, n, -0.5, 6.0))
               for n in (20, 60, 250, 1000, 5000)]
        assert all(b > a for a, b in zip(psr, psr[1:], strict=False))
        assert psr[0] < 0.7 and psr[-1] > 0.99

    def test_psr_at_min_trl_equals_the_confidence(self):
        s = SharpeStats(0.08, 0, -1.0, 8.0)
        n = min_track_record_length(s, 0.02, 0.9)
        at = SharpeStats(s.sharpe, n, s.skew, s.kurtosis)  # PSR is continuous in n
        assert probabilistic_sharpe_ratio(at, 0.02) == pytest.approx(0.9, abs=1e-12)
        assert min_track_record_length(s, 0.08) == float("inf")

    def test_dsr_falls_as_trials_grow(self):
        s = SharpeStats(0.1, 1000, -0.3, 4.0)
        dsr = [deflated_sharpe_ratio(s, n, 0.002) for n in (1, 2, 10, 100, 1000)]
        assert dsr[0] == probabilistic_sharpe_ratio(s)
        assert all(b < a for a, b in zip(dsr, dsr[1:], strict=False))

    def test_stats_from_returns(self):
        x = np.random.default_rng(0).standard_t(5, 500) * 0.01 + 0.0005
        s = SharpeStats.from_returns(x, benchmark=0.0001)
        y = x - 0.0001
        assert s.sharpe == pytest.approx(y.mean() / y.std(ddof=1))
        assert s.skew == pytest.approx(stats.skew(y))
        assert s.kurtosis == pytest.approx(stats.kurtosis(y) + 3)
        with pytest.raises(ValueError, match="zero variance"):
            SharpeStats.from_returns(np.full(10, 0.01))


class TestSharpeDifference:
    def test_interval_width_matches_the_asymptotic_error(self):
        """Known value: for independent iid normal series the Sharpe estimate's variance is
        (1 + SR^2 / 2) / T (Lo 2002), so the 95% interval of the difference has half-width
        1.96 sqrt(sum of both). The stationary bootstrap must agree within 10%."""
        rng = np.random.default_rng(5)
        T = 2000
        a, b = rng.normal(0.1, 1, T), rng.normal(0.0, 1, T)
        d = sharpe_difference_ci(a, b, reps=1000, seed=1)
        sa, sb = (x.mean() / x.std(ddof=1) for x in (a, b))
        half = 1.96 * np.sqrt((1 + sa ** 2 / 2) / T + (1 + sb ** 2 / 2) / T)
        assert (d.high - d.low) / 2 == pytest.approx(half, rel=0.10)
        assert d.estimate == pytest.approx(sa - sb)
        assert d.low < d.estimate < d.high
        assert d.block_length >= 1

    def test_seeded_and_annualised(self):
        rng = np.random.default_rng(6)
        a, b = rng.normal(0.0005, 0.01, 500), rng.normal(0.0, 0.01, 500)
        one = sharpe_difference_ci(a, b, reps=300, seed=9, periods_per_year=252)
        two = sharpe_difference_ci(a, b, reps=300, seed=9, periods_per_year=252)
        daily = sharpe_difference_ci(a, b, reps=300, seed=9)
        assert one == two
        assert one.estimate == pytest.approx(daily.estimate * np.sqrt(252))
        assert one.low == pytest.approx(daily.low * np.sqrt(252))

    def test_rejects_misaligned_series(self):
        with pytest.raises(ValueError, match="same length"):
            sharpe_difference_ci(np.zeros(10), np.zeros(11))
        with pytest.raises(ValueError, match="finite"):
            sharpe_difference_ci(np.r_[np.nan, np.ones(9)], np.ones(10))


class TestRealityCheckAndSPA:
    def test_single_strategy_matches_the_normal_test(self):
        """Known value: with one strategy and iid differentials the reality check is the
        one-sided test of a mean, p = 1 - Phi(t). Tolerance 0.02 (bootstrap noise, 2,000 reps)."""
        rng = np.random.default_rng(11)
        T = 2000
        bench = rng.normal(0, 1, T)
        strat = bench + rng.normal(0.02, 1, T)
        f = reality_check_and_spa(bench, strat, reps=2000, seed=3)
        d = strat - bench
        p = 1 - stats.norm.cdf(d.mean() / (d.std(ddof=1) / np.sqrt(T)))
        assert 0.02 < p < 0.3
        assert f.reality_check == pytest.approx(p, abs=0.02)

    def test_uniform_under_the_null(self):
        """100 seeded replications of 5 strategies identical in law to the benchmark (T=250,
        200 bootstrap reps each): the share of SPA p-values below 0.10 lies in [0.03, 0.20]
        (a binomial(100, 0.1) lies there with probability > 0.99), and below 0.5 in [0.35, 0.65].
        """
        p = []
        for i in range(100):
            rng = np.random.default_rng(100 + i)
            f = reality_check_and_spa(rng.normal(0, 1, 250), rng.normal(0, 1, (250, 5)),
                                      reps=200, seed=i)
            assert f.spa_lower <= f.spa_consistent <= f.reality_check
            p.append(f.spa_consistent)
        p = np.array(p)
        assert 0.03 <= (p < 0.10).mean() <= 0.20
        assert 0.35 <= (p < 0.5).mean() <= 0.65

    def test_small_for_a_planted_edge(self):
        rng = np.random.default_rng(12)
        bench = rng.normal(0, 1, 500)
        strat = bench[:, None] + rng.normal(0, 0.5, (500, 8))
        strat[:, 3] += 0.15
        f = reality_check_and_spa(bench, strat, reps=500, seed=4)
        assert f.spa_consistent < 0.01 and f.reality_check < 0.01
        assert f.n_strategies == 8

    def test_seeded(self):
        rng = np.random.default_rng(13)
        b, s = rng.normal(0, 1, 300), rng.normal(0, 1, (300, 3))
        assert reality_check_and_spa(b, s, reps=100, seed=1) == \
            reality_check_and_spa(b, s, reps=100, seed=1)


class TestPBO:
    def test_hand_example(self):
        """Two blocks of two rows, two trials. A: block 0 = [.02, .04] (SR 2.12), block 1 =
        [-.01, .01] (SR 0); B: [0, .02] (SR 0.71), [.01, .03] (SR 1.41). Choosing on block 0
        picks A, last on block 1; choosing on block 1 picks B, last on block 0: both logits are
        ln((1/3) / (2/3)) = -ln 2, PBO = 1. With B replaced by a trial A beats everywhere,
        A is picked and wins out of sample: logits +ln 2, PBO = 0."""
        A = [0.02, 0.04, -0.01, 0.01]
        r = probability_of_backtest_overfitting(np.array([A, [0, 0.02, 0.01, 0.03]]).T, 2)
        assert r.pbo == 1.0
        np.testing.assert_allclose(r.logits, [-np.log(2), -np.log(2)])
        np.testing.assert_allclose(sorted(r.oos_sharpe), [0.0, 0.01 / np.std([0, .02], ddof=1)])
        assert r.prob_oos_loss == 0.0
        r = probability_of_backtest_overfitting(np.array([A, [0, 0.01, -0.03, -0.02]]).T, 2)
        assert r.pbo == 0.0
        np.testing.assert_allclose(r.logits, [np.log(2), np.log(2)])

    def test_noise_and_selection(self):
        """50 pure-noise trials over 1,000 days, 16 blocks (12,870 splits):
        - raw noise: in- and out-of-sample Sharpe ratios are independent, PBO near 1/2;
        - noise demeaned over the whole sample (every trial's full-sample Sharpe is 0, as when
          trials are selection-neutral variants): the in-sample winner is the out-of-sample
          loser, PBO near 1;
        - one trial with a planted edge of 0.3 sd a day: it wins in and out, PBO near 0."""
        rng = np.random.default_rng(21)
        noise = rng.normal(0, 1, (1000, 50))
        assert 0.3 <= probability_of_backtest_overfitting(noise).pbo <= 0.7
        demeaned = probability_of_backtest_overfitting(noise - noise.mean(axis=0))
        assert demeaned.pbo > 0.95 and demeaned.degradation_slope < 0
        planted = noise.copy()
        planted[:, 7] += 0.3
        r = probability_of_backtest_overfitting(planted)
        assert r.pbo < 0.05 and r.prob_oos_loss == 0.0

    def test_rejects_bad_shapes(self):
        with pytest.raises(ValueError, match="even"):
            probability_of_backtest_overfitting(np.zeros((100, 3)), 5)
        with pytest.raises(ValueError, match="N >= 2"):
            probability_of_backtest_overfitting(np.zeros((100, 1)))


def _daily_t1(n: int, span: int) -> pd.Series:
    idx = pd.bdate_range("2010-01-01", periods=n)
    ends = idx[np.minimum(np.arange(n) + span, n - 1)]
    return pd.Series(ends, index=idx)


class TestCPCV:
    def test_splits_purge_embargo_and_paths(self):
        t1 = _daily_t1(240, 5)
        cv = CombinatorialPurgedKFold(6, 2, t1, embargo=0.02)
        t0, t1v = t1.index.to_numpy(), t1.to_numpy()
        splits = list(cv.split())
        assert len(splits) == cv.get_n_splits() == 15
        for (train, test), combo in zip(splits, cv.combinations, strict=True):
            assert not set(train) & set(test)
            for g in combo:
                grp = cv.groups[g]
                lo, hi = t0[grp[0]], t1v[grp].max()
                assert ((t1v[train] < lo) | (t0[train] > hi)).all()  # purged
                after = np.flatnonzero(t0 > hi)[:5]                   # embargo: ceil(.02 * 240)
                assert not set(after) & set(train)
        paths = cv.paths()
        assert paths.shape == (5, 6)                                 # C(5, 1) paths
        for p in paths:
            for g, s in enumerate(p):
                assert g in cv.combinations[s]
        assert len({tuple(col) for col in paths.T}) == 6

    def test_backtest_paths_stitch_each_splits_predictions(self):
        t1 = _daily_t1(120, 0)
        cv = CombinatorialPurgedKFold(5, 2, t1, embargo=0.0)
        calls = []

        def fit_predict(train, test):
            calls.append(len(calls))
            return np.full(len(test), float(len(calls) - 1))  # the split's number

        out = cpcv_backtest_paths(cv, fit_predict)
        assert out.shape == (120, 4) and len(calls) == 10
        for p, splits in enumerate(cv.paths()):
            for g, s in enumerate(splits):
                assert (out[cv.groups[g], p] == s).all()

    def test_rejects_bad_groups(self):
        with pytest.raises(ValueError, match="n_test_groups"):
            CombinatorialPurgedKFold(4, 4, _daily_t1(40, 0))


class TestVerdict:
    def test_yes_needs_every_test(self):
        rng = np.random.default_rng(2)
        a, b = rng.normal(0.2, 1, 1000), rng.normal(0, 1, 1000)
        d = sharpe_difference_ci(a, b, reps=200, seed=0)
        v = verdict(0.99, 12, sharpe_difference=d, spa_pvalue=0.01, pbo=0.1, against="60/40")
        assert v.outperformance and not v.reasons
        assert v.statement.startswith("Evidence of outperformance vs 60/40: yes, at 99% "
                                      "confidence after 12 trials.")
        no = verdict(0.99, 12, sharpe_difference=d, spa_pvalue=0.2, pbo=0.6)
        assert not no.outperformance
        assert no.reasons == ("SPA p-value 0.200 > 0.05", "PBO 0.60 >= 0.50")
        assert "no, at 99% confidence after 12 trials" in no.statement

    def test_low_dsr_alone_says_no(self):
        v = verdict(0.62, 1)
        assert not v.outperformance and "after 1 trial." in v.statement
        assert v.reasons == ("deflated Sharpe ratio 0.62 < 0.95",)


class TestVectorisedForms:
    """The matrix forms used by the analytics step against the reference computations."""

    def test_many_intervals_equal_one_at_a_time(self):
        rng = np.random.default_rng(8)
        X = rng.normal(0.0004, 0.01, (600, 4))
        X[:, 1] += 0.4 * X[:, 0]
        many = sharpe_difference_cis(X, [(0, 1), (2, 3), (3, 0)], block=6.5, reps=400, seed=4,
                                     periods_per_year=252)
        for (a, b), got in zip([(0, 1), (2, 3), (3, 0)], many, strict=True):
            ref = sharpe_difference_ci(X[:, a], X[:, b], block=6.5, reps=400, seed=4, periods_per_year=252)
            assert got.estimate == pytest.approx(ref.estimate, abs=1e-12)
            assert got.low == pytest.approx(ref.low, abs=1e-10) and got.high == pytest.approx(ref.high, abs=1e-10)

    @pytest.mark.parametrize("seed", [0, 3])
    def test_spa_equals_arch(self, seed):
        """Reference implementation: `arch.bootstrap.SPA` (stationary, asymptotic variances) gives
        the same three p-values on the same data, block and seed, and the same variances."""
        from arch.bootstrap import SPA

        from pipelines.analytics.evidence.spa import spa_pvalues, stationary_variance

        rng = np.random.default_rng(seed)
        bench = rng.normal(0.0003, 0.01, 800)
        strat = rng.normal(0.0003, 0.01, (800, 5)) + np.array([0.0, 0.0004, -0.0006, 0.0001, 0.0])
        ref = SPA(-bench, -strat, block_size=5, reps=300, bootstrap="stationary", seed=seed)
        ref.compute()
        got = spa_pvalues(strat - bench[:, None], 5, 300, seed)
        assert got == {k: pytest.approx(float(v), abs=1e-12) for k, v in ref.pvalues.items()}
        np.testing.assert_allclose(stationary_variance(strat - bench[:, None], 5), ref._loss_diff_var,
                                   rtol=1e-10)
