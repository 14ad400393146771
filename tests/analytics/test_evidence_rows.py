"""The `evidence` table: trials counted from the model registry, the rows on planted returns,
and idempotent reruns of the analytics step on a real warehouse."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from models.regime import TrainingSpec
from models.registry import Registry
from models.walk_forward import CLASSIFIER, MIXTURE, train_refit
from pipelines.allocation.catalog import load_portfolios
from pipelines.analytics.evidence_rows import evidence_frame
from pipelines.analytics.run import compute_and_store
from pipelines.config import EvidenceConfig, Settings
from pipelines.features.inputs import load_inputs
from pipelines.features.regime import regime_features
from pipelines.modeling.trials import recorded_trials
from pipelines.warehouse.db import connect
from support import BASE_END


class TestTrialCount:
    def test_distinct_configurations_per_model_up_to_the_date(self, tmp_path):
        reg = Registry(tmp_path)
        trials = lambda *ids: [{"id": i, "params": {}, "cv": {}} for i in ids]  # noqa: E731
        reg.save("clf", "clf@1", dt.date(2010, 1, 4), {}, {"trials": trials("a", "b")})
        reg.save("clf", "clf@2", dt.date(2011, 1, 3), {}, {"trials": trials("b", "c")})
        reg.save("clf", "clf@3", dt.date(2012, 1, 3), {}, {"trials": trials("d")})     # after the date
        reg.save("fixed", "fixed@1", dt.date(2010, 1, 4), {}, {})                        # no trials: one
        reg.save("later", "later@1", dt.date(2013, 1, 2), {}, {"trials": trials("x")})
        assert recorded_trials(tmp_path, dt.date(2011, 6, 30)) == {"clf": 3, "fixed": 1}
        assert recorded_trials(tmp_path, dt.date(2013, 1, 2)) == {"clf": 4, "fixed": 1, "later": 1}
        assert recorded_trials(tmp_path / "absent", dt.date(2013, 1, 2)) == {}

    def test_training_records_its_grid(self, base_home, tmp_path):
        """A refit records every configuration of the classifier's grid with its CV scores and
        the mixture's component counts; the count is what the registry recorded."""
        settings = Settings(data_root=base_home[0], config_dir=base_home[1])
        data = load_inputs(settings, BASE_END)
        spec = TrainingSpec(c_grid=(0.1, 1.0))
        reg = Registry(tmp_path / "models")
        refit = train_refit(reg, regime_features(data), data.prices, pd.Timestamp("2010-01-04"), spec, "snap",
                            pd.DataFrame(columns=["y", "t1", "p", "p_always_on", "p_previous"]))
        clf = refit.classifier.meta["trials"]
        assert [t["params"] for t in clf] == spec.grid()
        assert all(np.isfinite(t["cv"]["log_loss"]) for t in clf)
        assert refit.classifier.meta["cv_metrics"] == min((t["cv"] for t in clf), key=lambda c: c["log_loss"])
        art = reg.load(refit.classifier, dt.date(2010, 1, 5))
        assert set(art.trials) == {t["id"] for t in clf}
        assert recorded_trials(tmp_path / "models", BASE_END) == {CLASSIFIER: 4, MIXTURE: 2}


PORTFOLIOS = """
portfolios:
  - {id: ref, name: Reference, risk_profile: moderate, strategy: static_mix,
     params: {weights: {SPX: 0.6, UST10Y: 0.4}}, benchmark: SPX}
  - {id: edge, name: Planted edge, risk_profile: moderate, strategy: trend_following,
     universe: [SPX, UST10Y], params: {sma_days: 210}, benchmark: SPX}
  - {id: noise, name: No edge, risk_profile: moderate, strategy: momentum,
     universe: [SPX, UST10Y], params: {window_days: 252, top_k: 1}, benchmark: ref}
"""


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """Three portfolios (one static reference, two dynamic), SPX and cash over 20 years of
    days: `edge` has a true Sharpe ratio of 2.4 a year, `noise` and the others 0.25 to 0.4."""
    settings = Settings.from_env()
    path = tmp_path_factory.mktemp("cfg") / "portfolios.yaml"
    path.write_text(PORTFOLIOS)
    portfolios = load_portfolios(path, settings.universe)
    rng = np.random.default_rng(21)
    idx = pd.bdate_range("1995-01-02", periods=5040)
    cash = pd.Series(0.0001, index=idx)
    common = rng.normal(0, 0.006, len(idx))
    ret = {"CASH": cash, "SPX": cash + 0.0003 + 1.6 * common + rng.normal(0, 0.006, len(idx)),
           "ref": cash + 0.0001 + common + rng.normal(0, 0.002, len(idx)),
           "edge": cash + 0.0015 + rng.normal(0, 0.01, len(idx)),
           "noise": cash + 0.0001 + common + rng.normal(0, 0.003, len(idx))}
    return portfolios, {k: v.rename(k) for k, v in ret.items()}


def _frame(planted, model_trials, **cfg):
    portfolios, returns = planted
    return evidence_frame(portfolios, returns, "CASH", model_trials, EvidenceConfig(reference="ref", **cfg),
                          dt.date(2014, 12, 31), "test-run").set_index(["portfolio_id", "comparison"])


def test_rows_per_portfolio_and_comparison(planted):
    f = _frame(planted, {"clf": 10}, bootstrap_reps=300, spa_reps=300)
    assert set(f.index) == {("ref", "benchmark"), ("edge", "benchmark"), ("edge", "reference"),
                            ("noise", "benchmark"), ("noise", "reference")}
    assert (f["n_trials"] == 3 + 10).all() and (f["n_portfolio_trials"] == 3).all()
    assert f.loc[("noise", "benchmark"), "compared_with"] == "ref"
    # the planted edge: every test agrees; the SPA over the family of the two dynamic ones is small
    edge = f.loc[("edge", "reference")]
    assert edge["outperformance"] and edge["dsr"] >= 0.95 and edge["sharpe_difference_low"] > 0
    assert edge["family_size"] == 2 and edge["spa_pvalue"] <= 0.05 and list(edge["failed_tests"]) == []
    assert edge["verdict"].startswith("Evidence of outperformance vs ref: yes")
    noise = f.loc[("noise", "reference")]
    assert not noise["outperformance"] and noise["spa_pvalue"] == edge["spa_pvalue"]
    assert any("deflated Sharpe" in r for r in noise["failed_tests"])
    assert np.isnan(f.loc[("edge", "benchmark"), "spa_pvalue"])      # family rows only
    assert edge["sharpe"] == pytest.approx(2.4, abs=0.5)


def test_more_trials_deflate_more_and_reruns_agree(planted):
    few = _frame(planted, {}, bootstrap_reps=200, spa_reps=200)
    many = _frame(planted, {"clf": 500}, bootstrap_reps=200, spa_reps=200)
    assert (many["dsr"] < few["dsr"]).all()
    assert (many["expected_max_sharpe"] > few["expected_max_sharpe"]).all()
    pd.testing.assert_frame_equal(few, _frame(planted, {}, bootstrap_reps=200, spa_reps=200))


def _evidence(settings: Settings) -> pd.DataFrame:
    with connect(settings, read_only=True) as con:
        return con.execute("SELECT * FROM evidence ORDER BY portfolio_id, comparison").df()


def test_analytics_reruns_replace_the_evidence(home):
    """The analytics step twice: the same rows (all but the run id), none duplicated."""
    compute_and_store(home, BASE_END, "rerun-1")
    first = _evidence(home)
    compute_and_store(home, BASE_END, "rerun-2")
    second = _evidence(home)
    assert list(zip(second["portfolio_id"], second["comparison"], strict=True)) == [
        ("equal_weight_stocks", "benchmark"), ("equal_weight_stocks", "reference"), ("static_60_40", "benchmark")]
    assert (first["run_id"] == "rerun-1").all() and (second["run_id"] == "rerun-2").all()
    pd.testing.assert_frame_equal(first.drop(columns="run_id"), second.drop(columns="run_id"))
    assert second["verdict"].str.startswith("Evidence of outperformance").all()
