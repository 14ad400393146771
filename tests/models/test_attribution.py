"""Portfolio factor exposures, risk decomposition and attribution written by the analytics
step; the numpy month fits equal the factor model; the models CLI trains and loads."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from models.factor_model import fit_factor_model
from models.factors import FACTORS, build_panel
from pipelines.allocation import catalog
from pipelines.analytics.factor_attribution import month_fits
from pipelines.analytics.run import compute_and_store
from pipelines.cli import main as cli_main
from pipelines.config import Settings
from pipelines.features.inputs import load_inputs
from pipelines.warehouse.db import connect
from support import BASE_END


def _query(settings: Settings, sql: str) -> pd.DataFrame:
    with connect(settings, read_only=True) as con:
        return con.execute(sql).df()


def test_month_fits_equal_the_factor_model(base_home):
    settings = Settings(data_root=base_home[0], config_dir=base_home[1])
    data = load_inputs(settings, BASE_END)
    panel = build_panel(data, settings.universe.stocks)
    assets = [s for s in settings.universe.symbols if s != "CASH"]
    dates = [pd.Timestamp(d) for d in ("1992-06-30", "1995-03-31", "2008-10-31", "2016-06-30")]
    fast = month_fits(panel, dates, assets)
    assert fast[dates[0]] is None
    for d in dates[1:]:
        ref = fit_factor_model(panel, d, assets, FACTORS, 60, 36)
        got = fast[d]
        assert [assets[i] for i in got.idx] == ref.assets
        np.testing.assert_allclose(got.B, ref.exposures.to_numpy(), atol=1e-12)
        np.testing.assert_allclose(got.F, ref.factor_covariance.to_numpy(), atol=1e-15)
        np.testing.assert_allclose(got.resid, ref.residual_variance.to_numpy(), atol=1e-15)
        assert got.last_month == ref.last_month


def test_analytics_writes_portfolio_factor_rows(home):
    exp = _query(home, "SELECT * FROM factor_exposures WHERE entity_type = 'portfolio'")
    attr = _query(home, "SELECT * FROM factor_attribution")
    ids = {p.id for p in catalog.portfolios(home)}
    assert set(exp["entity"]) == ids and set(attr["portfolio_id"]) == ids
    # one row per factor and 'residual'; risk shares sum to one on every date
    per_date = exp.groupby(["entity", "date"])
    assert (per_date.size() == len(FACTORS) + 1).all()
    np.testing.assert_allclose(per_date["risk_contribution"].sum(), 1.0, atol=1e-12)
    assert exp["coverage"].between(0.5, 1.0).all()
    # a period's rows sum to the portfolio's NAV return over it
    nav = _query(home, "SELECT portfolio_id, date, nav FROM nav").set_index(["portfolio_id", "date"])["nav"]
    sums = attr.groupby(["portfolio_id", "period_start", "period_end"])["contribution"].sum()
    for (pid, d0, d1), s in sums.items():
        assert s == pytest.approx(nav[(pid, d1)] / nav[(pid, d0)] - 1.0, abs=1e-12)
    assert (attr.groupby(["portfolio_id", "period_start"]).size() == len(FACTORS) + 2).all()
    # 2014-01 .. 2016-11 are complete periods; the latest Fama-French months are not released yet
    assert len(sums) >= 2 * 30


def test_exposures_for_d_use_only_data_known_at_d(home):
    """The stored exposure at D is B'w with B fitted on the lake truncated at D."""
    d = pd.Timestamp("2015-06-30")
    exp = _query(home, f"""SELECT factor, exposure FROM factor_exposures WHERE entity_type = 'portfolio'
                           AND entity = 'equal_weight_stocks' AND date = DATE '{d.date()}'""")
    pos = _query(home, f"""SELECT p.symbol, p.quantity, n.nav FROM positions p JOIN nav n USING (portfolio_id, date)
                           WHERE portfolio_id = 'equal_weight_stocks' AND date = DATE '{d.date()}'""")
    data = load_inputs(home, BASE_END).truncated(d)
    pos = pos[pos["symbol"] != "CASH"]
    w = pd.Series(pos["quantity"].to_numpy() * data.prices.loc[d, pos["symbol"]].to_numpy()
                  / pos["nav"].to_numpy(), index=pos["symbol"].to_numpy())
    fit = fit_factor_model(build_panel(data, home.universe.stocks), d, list(w.index))
    expected = fit.exposures.T @ w.reindex(fit.assets).fillna(0.0)
    got = exp.set_index("factor")["exposure"]
    np.testing.assert_allclose(got[list(FACTORS)].to_numpy(), expected[list(FACTORS)].to_numpy(),
                               atol=1e-10)


def test_analytics_factor_rows_are_idempotent(home):
    counts = "SELECT (SELECT count(*) FROM factor_exposures), (SELECT count(*) FROM factor_attribution)"
    before = _query(home, counts).iloc[0].tolist()
    rows = compute_and_store(home, BASE_END, "again")
    assert _query(home, counts).iloc[0].tolist() == before
    assert rows["factor_attribution"] == before[1] and before[0] >= rows["factor_exposures"]


def test_models_cli_trains_and_loads(home, capsys):
    assert cli_main(["train", "--date", "2020-01-02"]) == 2
    assert "after the lake's latest price date" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:  # argparse: a date no close can have yet
        cli_main(["train", "--date", "2999-01-02"])
    assert refused.value.code == 2 and "in the future" in capsys.readouterr().err
    assert cli_main(["train", "--date", BASE_END.isoformat()]) == 0
    versions = _query(home, "SELECT model_name, max(trained_through) AS t FROM model_versions GROUP BY 1")
    assert set(versions["model_name"]) == {"risk_off_classifier", "regime_mixture"}
    # one refit schedule for every runner (the first trading day of each year): the latest refit
    # by BASE_END is 2016's, not one at the training date, so the model for a date depends on it alone
    assert (pd.to_datetime(versions["t"]).dt.date == dt.date(2016, 1, 4)).all()
    assets = _query(home, "SELECT count(*) AS n FROM factor_exposures WHERE entity_type = 'asset'")
    assert assets["n"].iloc[0] > 0
