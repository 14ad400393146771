"""The model-driven strategies under the same contract as the others: regime switching and factor
tilt get their model outputs through the context (a point-in-time `ModelView` the caller builds),
return the version that produced each date's weights, and refuse clearly without a model view.

The view here is a plain value holder of the contract's `ModelOutput`s (what
`pipelines.modeling.serving` hands a strategy for one date); the factor fit is a real
`models.factor_model.FactorFit` with planted exposures, so the tilt's optimum is known."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from models.factor_model import FactorFit
from pipelines.allocation.base import AllocationContext, AllocationError, ModelOutput

from .conftest import STOCKS, make_ctx, strategy


@dataclass(frozen=True)
class FixedView:
    """Model outputs for one date, fixed by the test (the ModelView protocol)."""

    p_risk_off: float | None = None
    version: str | None = None
    fit: FactorFit | None = None
    p_bear: dict[str, float] | None = None     # causal regime model kind -> P(bear)

    def risk_off(self) -> ModelOutput:
        return ModelOutput(self.p_risk_off, self.version if self.p_risk_off is not None else None)

    def bear(self, kind: str) -> ModelOutput:
        p = (self.p_bear or {}).get(kind)
        return ModelOutput(p, None if p is None else f"causal_{kind}@v1")

    def factor_fit(self, assets, factors, window, min_months) -> ModelOutput:
        if self.fit is None:
            return ModelOutput(None, None)
        return ModelOutput(self.fit, self.version)


def _with_models(ctx: AllocationContext, view: FixedView) -> AllocationContext:
    return AllocationContext(date=ctx.date, prices=ctx.prices, symbols=ctx.symbols, cash_symbol=ctx.cash_symbol,
                             asset_classes=ctx.asset_classes, portfolio=ctx.portfolio, models=view)


RISK_ON = {"SPX": 0.8, "UST10Y": 0.2}
RISK_OFF = {"SPX": 0.2, "UST10Y": 0.6, "CASH": 0.2}


class TestRegimeSwitching:
    def _ctx(self, prices, view):
        return _with_models(make_ctx(prices, "2010-06-01", ["SPX", "UST10Y"], 1), view)

    @pytest.mark.parametrize("p", [0.0, 0.25, 0.7, 1.0])
    def test_blend_is_linear_in_the_risk_off_probability(self, prices, p):
        s = strategy("regime_switching", risk_on=RISK_ON, risk_off=RISK_OFF, mode="blend")
        w, version = s.target(self._ctx(prices, FixedView(p, "risk_off_classifier@v1")))
        expected = {k: (1 - p) * RISK_ON.get(k, 0.0) + p * RISK_OFF.get(k, 0.0) for k in ("SPX", "UST10Y", "CASH")}
        assert w == pytest.approx([expected["SPX"], expected["UST10Y"], expected["CASH"]], abs=1e-15)
        assert version == "risk_off_classifier@v1"

    def test_switch_takes_the_risk_off_mix_from_the_threshold_on(self, prices):
        s = strategy("regime_switching", risk_on=RISK_ON, risk_off=RISK_OFF, mode="switch", threshold=0.6)
        below = s.target_weights(self._ctx(prices, FixedView(0.59, "v")))
        at = s.target_weights(self._ctx(prices, FixedView(0.6, "v")))
        assert below.to_dict() == {"SPX": 0.8, "UST10Y": 0.2, "CASH": 0.0}
        assert at.to_dict() == {"SPX": 0.2, "UST10Y": 0.6, "CASH": 0.2}

    def test_before_the_first_refit_the_fallback_holds_and_no_version_is_claimed(self, prices):
        neutral = strategy("regime_switching", risk_on=RISK_ON, risk_off=RISK_OFF)
        w, version = neutral.target(self._ctx(prices, FixedView(None)))
        assert w == pytest.approx([0.5, 0.4, 0.1]) and version is None
        on = strategy("regime_switching", risk_on=RISK_ON, risk_off=RISK_OFF, no_model="risk_on")
        assert on.target(self._ctx(prices, FixedView(None)))[0] == pytest.approx([0.8, 0.2, 0.0])
        strict = strategy("regime_switching", risk_on=RISK_ON, risk_off=RISK_OFF, no_model="error")
        with pytest.raises(AllocationError, match="no risk-off model trained before 2010-06-01"):
            strict.target(self._ctx(prices, FixedView(None)))

    @pytest.mark.parametrize("kind", ["mixture", "hmm", "jump"])
    def test_a_causal_regime_model_is_read_by_the_kind_the_config_names(self, prices, kind):
        view = FixedView(0.9, "risk_off_classifier@v1", p_bear={"mixture": 0.0, "hmm": 0.0, "jump": 0.0} | {kind: 1.0})
        s = strategy("regime_switching", risk_on=RISK_ON, risk_off=RISK_OFF, model=kind)
        w, version = s.target(self._ctx(prices, view))
        assert w == pytest.approx([0.2, 0.6, 0.2]) and version == f"causal_{kind}@v1"
        classifier = strategy("regime_switching", risk_on=RISK_ON, risk_off=RISK_OFF)
        assert classifier.target(self._ctx(prices, view))[1] == "risk_off_classifier@v1"
        strict = strategy("regime_switching", risk_on=RISK_ON, risk_off=RISK_OFF, model=kind, no_model="error")
        with pytest.raises(AllocationError, match=f"no {kind} regime model trained before 2010-06-01"):
            strict.target(self._ctx(prices, FixedView(0.9, "v")))

    def test_without_a_model_view_it_refuses_and_declares_it_needs_models(self, prices):
        s = strategy("regime_switching", risk_on=RISK_ON, risk_off=RISK_OFF)
        assert s.needs.models and not s.needs.price_only
        with pytest.raises(AllocationError, match="needs model outputs"):
            s.target(make_ctx(prices, "2010-06-01", ["SPX", "UST10Y"], 1))

    @pytest.mark.parametrize("bad", [{"SPX": 0.8}, {"SPX": 1.2, "UST10Y": -0.2}, {}])
    def test_mixes_that_do_not_sum_to_one_or_leave_zero_one_are_refused(self, bad):
        with pytest.raises(ValueError):
            strategy("regime_switching", risk_on=bad, risk_off=RISK_OFF)


def _planted_fit(assets: list[str], mom: np.ndarray) -> FactorFit:
    """A two-factor fit: equal market beta, planted momentum exposures, idiosyncratic risk."""
    factors = ["MKT", "MOM"]
    exposures = pd.DataFrame({"MKT": np.ones(len(assets)), "MOM": mom}, index=assets)
    return FactorFit(exposures=exposures, alpha=pd.Series(0.0, index=assets),
                     residual_variance=pd.Series(0.0025, index=assets), r_squared=pd.Series(0.5, index=assets),
                     factor_covariance=pd.DataFrame(np.diag([0.002, 0.001]), index=factors, columns=factors),
                     first_month=pd.Period("2005-06", "M"), last_month=pd.Period("2010-05", "M"))


class TestFactorTilt:
    ASSETS = STOCKS[:8]

    def _ctx(self, prices, view):
        return _with_models(make_ctx(prices, "2010-06-01", self.ASSETS, 1), view)

    def _strategy(self, **kw):
        params = {"tilts": {"MOM": 1.0}, "model_factors": ("MKT", "MOM"), "max_weight": 0.3, **kw}
        return strategy("factor_tilt", **params)

    def test_tilts_toward_the_planted_exposure_within_the_tracking_error_budget(self, prices):
        mom = np.linspace(-1.0, 1.0, len(self.ASSETS))
        fit = _planted_fit(self.ASSETS, mom)
        w, version = self._strategy(budget_annual=0.04).target(self._ctx(prices, FixedView(version="f@v3", fit=fit)))
        risky = w[:-1]
        bench = np.full(len(self.ASSETS), 1.0 / len(self.ASSETS))
        assert version == "f@v3" and w[-1] == pytest.approx(0.0, abs=1e-12)
        assert risky @ mom > bench @ mom + 0.1               # more momentum than the benchmark
        assert np.all(np.diff(risky) >= -1e-9)               # weights rank with the planted exposure
        d = risky - bench
        te = float(np.sqrt(d @ fit.covariance().to_numpy() @ d * 12))
        assert te == pytest.approx(0.04, rel=1e-3)           # the budget binds, and holds
        assert np.all(risky >= -1e-12) and np.all(risky <= 0.3 + 1e-9)

    def test_a_larger_budget_buys_more_exposure(self, prices):
        fit = _planted_fit(self.ASSETS, np.linspace(-1.0, 1.0, len(self.ASSETS)))
        ctx = self._ctx(prices, FixedView(version="f", fit=fit))
        mom = fit.exposures["MOM"].to_numpy()
        small = self._strategy(budget_annual=0.02).target(ctx)[0][:-1] @ mom
        large = self._strategy(budget_annual=0.06).target(ctx)[0][:-1] @ mom
        assert large > small > 0

    def test_before_the_model_has_its_months_it_holds_the_benchmark_without_a_version(self, prices):
        w, version = self._strategy().target(self._ctx(prices, FixedView(fit=None)))
        assert w[:-1] == pytest.approx(np.full(len(self.ASSETS), 1.0 / len(self.ASSETS)))
        assert version is None

    def test_unknown_or_untracked_factors_are_refused(self):
        with pytest.raises(ValueError, match="unknown factors"):
            strategy("factor_tilt", tilts={"BETA": 1.0})
        with pytest.raises(ValueError, match="not in model_factors"):
            strategy("factor_tilt", tilts={"MOM": 1.0}, model_factors=("MKT",))
