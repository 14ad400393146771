"""The learned strategies' side of the evidence: CPCV backtest paths and PBO
(pipelines.analytics.evidence.learned) for every portfolio whose strategy has an adapter here.

An adapter turns a portfolio into a `LearnedStrategy` (the interface in
pipelines.analytics.evidence.learned): its monthly samples, the out-of-sample returns of every
trial, and its learning procedure refitted on any training set. To plug a strategy in, write
`def adapter(cfg, data) -> LearnedStrategy | None` and decorate it with `@learned("<strategy
name>")`; the analytics step then computes its CPCV paths and PBO into `evidence`.

The returns are monthly and before costs: the portfolio is taken as rebalanced at each month
end to the weights its model gives there, and held to the next (for the regime and factor
strategies, which rebalance monthly, that is their own rule up to a day and the costs).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import sklearn
from threadpoolctl import threadpool_limits

from models.factors import FACTORS, build_panel
from models.regime import Samples, TrainingSpec, label, make_classifier, tune_classifier
from models.registry import Registry
from models.walk_forward import CLASSIFIER, trial_history
from pipelines.analytics.evidence.learned import LearnedEvidence, LearnedStrategy, learned_evidence
from pipelines.analytics.factor_attribution import month_fits
from pipelines.config import PortfolioConfig, Settings
from pipelines.features.calendar import complete_month_ends
from pipelines.features.inputs import MarketInputs
from pipelines.features.regime import forward_excess_return, forward_realised_vol, regime_features

log = logging.getLogger(__name__)


@dataclass
class LearnedData:
    """What the adapters read, once per analytics run: the lake's data at the date, the model
    registry, and a cache the adapters share (features, fits that do not depend on the
    portfolio)."""

    settings: Settings
    as_of: dt.date
    market: MarketInputs
    cache: dict = field(default_factory=dict)

    @property
    def registry(self) -> Registry:
        return Registry(self.settings.models_dir)

    def features(self) -> pd.DataFrame:
        if "regime_features" not in self.cache:
            self.cache["regime_features"] = regime_features(self.market)
        return self.cache["regime_features"]


Adapter = Callable[[PortfolioConfig, LearnedData], LearnedStrategy | None]
ADAPTERS: dict[str, Adapter] = {}


def learned(strategy: str) -> Callable[[Adapter], Adapter]:
    """Register the evidence adapter of a learned strategy (by its strategy name)."""
    def register(fn: Adapter) -> Adapter:
        ADAPTERS[strategy] = fn
        return fn
    return register


def month_returns(prices: pd.DataFrame, ends: pd.DatetimeIndex, weights: dict[str, float]) -> np.ndarray:
    """Return from each month end to the next of a mix set at the first and held (NaN last)."""
    px = prices[list(weights)].reindex(ends)
    growth = (px.shift(-1) / px - 1.0).to_numpy()
    return growth @ np.array(list(weights.values()))


# --------------------------------------------------------------------------- regime switching


@dataclass
class RegimeClassifierStrategy:
    """A regime-switching portfolio on the risk-off classifier, as a LearnedStrategy: samples
    are the month ends with complete features and a known next month; a sample's excess return
    is (1 - p) r_on + p r_off - r_cash (or the risk-off mix when p >= threshold, mode switch)."""

    t1: pd.Series
    X: pd.DataFrame
    value: pd.Series            # the target's quantity of the next month (realised vol)
    r_on: np.ndarray
    r_off: np.ndarray
    r_cash: np.ndarray
    spec: TrainingSpec
    mode: str
    threshold: float
    trials_p: pd.DataFrame      # walk-forward probabilities of every trial (registry)
    cache: dict
    periods_per_year: int = 12

    def returns(self, p: np.ndarray, rows: np.ndarray | slice) -> np.ndarray:
        p = np.asarray(p, dtype=float)
        if self.mode == "switch":
            p = (p >= self.threshold).astype(float)
        return (1 - p) * self.r_on[rows] + p * self.r_off[rows] - self.r_cash[rows]

    def trial_returns(self) -> pd.DataFrame:
        rows = self.t1.index.get_indexer(self.trials_p.index)
        ok = rows >= 0
        p = self.trials_p[ok]
        return pd.DataFrame({c: self.returns(p[c].to_numpy(), rows[ok]) for c in p.columns}, index=p.index)

    def probabilities(self, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        """The classifier's procedure on `train` only (threshold, grid choice by purged CV, fit),
        its P(risk-off) on `test`; cached, as it does not depend on the portfolio's mixes."""
        key = (train.tobytes(), test.tobytes())
        if key not in self.cache:
            value = self.value.iloc[train]
            thr = float(value.quantile(self.spec.vol_quantile)) if self.spec.target == "volatility" \
                else self.spec.threshold
            y = label(value, thr, self.spec.target)
            if y.nunique() < 2:
                self.cache[key] = np.full(len(test), float(y.mean()))
            else:
                s = Samples(self.X.iloc[train], y, self.t1.iloc[train], y, value, value, thr, self.spec.target)
                best, _, _ = tune_classifier(s, replace(self.spec, n_splits=3))
                m = make_classifier(best["C"], best["balanced"], self.spec.seed).fit(s.X.to_numpy(), y.to_numpy())
                self.cache[key] = m.predict_proba(self.X.iloc[test].to_numpy())[:, 1]
        return self.cache[key]

    def fit_returns(self, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        return self.returns(self.probabilities(train, test), test)


def _classifier_spec(registry: Registry, as_of: dt.date) -> TrainingSpec | None:
    records = [r for r in registry.records(CLASSIFIER) if r.trained_through <= as_of]
    if not records:
        return None
    raw = dict(records[-1].meta.get("spec") or {})
    fields = TrainingSpec.__dataclass_fields__
    known = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items() if k in fields}
    return TrainingSpec(**known)


@learned("regime_switching")
def regime_adapter(cfg: PortfolioConfig, data: LearnedData) -> LearnedStrategy | None:
    params = cfg.params
    if getattr(params, "model", "classifier") != "classifier":
        return None
    spec = _classifier_spec(data.registry, data.as_of)
    if spec is None:
        return None
    px = data.market.prices
    ends = complete_month_ends(px.index, pd.Timestamp(data.as_of))
    feats = data.features().reindex(ends)[list(spec.features)]
    value = (forward_realised_vol(px, ends) if spec.target == "volatility"
             else forward_excess_return(px, ends))
    r_on, r_off = month_returns(px, ends, params.risk_on), month_returns(px, ends, params.risk_off)
    r_cash = month_returns(px, ends, {data.settings.universe.cash_symbol: 1.0})
    ok = feats.notna().all(axis=1).to_numpy() & value.notna().to_numpy() & np.isfinite(r_on) & np.isfinite(r_off)
    idx = ends[ok]
    t1 = pd.Series(ends[1:].append(pd.DatetimeIndex([pd.NaT])), index=ends)[ok]
    key = ("classifier_trials", data.as_of)
    if key not in data.cache:
        data.cache[key] = trial_history(data.registry, data.features(), idx, pd.Timestamp(data.as_of))
    shared = data.cache.setdefault(("classifier_fits", data.as_of), {})
    return RegimeClassifierStrategy(t1, feats.loc[idx], value.loc[idx], r_on[ok], r_off[ok], r_cash[ok], spec,
                                    params.mode, params.threshold, data.cache[key], shared)


# --------------------------------------------------------------------------- factor tilt

STYLE_FACTORS = ("MOM", "LOWVOL", "HML", "SMB", "REV")


def tilt_proxy(scores: np.ndarray, cov: np.ndarray, budget_var: float, lo: float, hi: float) -> np.ndarray:
    """The tilt problem of strategies.factor_tilt without its weight bounds, in closed form, for
    each column of `scores` (n_assets, n_trials) at once: maximise score'w with sum w = 1 and
    (w - b)' S (w - b) = budget (b: equal weight), i.e. w = b + k S^-1 (score - eta 1); then
    projected onto the bounded simplex (the nearest weights within [lo, hi] summing to one).
    A cheap stand-in for the bisected QP: one solve a month for every trial."""
    scores = np.asarray(scores, dtype=float).reshape(len(cov), -1)
    n = len(cov)
    inv = np.linalg.solve(cov, np.column_stack([scores, np.ones(n)]))
    ones = inv[:, -1:]
    d = inv[:, :-1] - inv[:, :-1].sum(axis=0) / ones.sum() * ones           # (n, trials), sum 0
    risk = np.einsum("it,ij,jt->t", d, cov, d)
    k = np.sqrt(budget_var / np.where(risk > 0, risk, 1.0)) * (risk > 0)
    return project_bounded_simplex(1.0 / n + k * d, lo, hi)


def project_bounded_simplex(w: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Per column: argmin |x - w| over lo <= x <= hi, sum x = 1, i.e. x = clip(w - tau, lo, hi)
    with tau found by bisection (the sum falls as tau grows)."""
    a, z = w.min(axis=0) - hi, w.max(axis=0) - lo
    for _ in range(60):
        tau = (a + z) / 2
        over = np.clip(w - tau, lo, hi).sum(axis=0) > 1.0
        a, z = np.where(over, tau, a), np.where(over, z, tau)
    return np.clip(w - (a + z) / 2, lo, hi)


@dataclass
class SelectionStrategy:
    """A strategy whose learning is the choice among trial configurations (each with a
    point-in-time history): the procedure takes the trial with the best Sharpe ratio on the
    training samples and holds it on the test samples."""

    t1: pd.Series
    trials: pd.DataFrame            # (samples, trials) excess returns
    periods_per_year: int = 12

    def trial_returns(self) -> pd.DataFrame:
        return self.trials

    def fit_returns(self, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        x = self.trials.to_numpy()[train]
        sd = x.std(axis=0, ddof=1)
        sharpe = np.where(sd > 0, x.mean(axis=0) / np.where(sd > 0, sd, 1.0), -np.inf)
        return self.trials.to_numpy()[test, int(np.argmax(sharpe))]


@learned("factor_tilt")
def factor_tilt_adapter(cfg: PortfolioConfig, data: LearnedData) -> LearnedStrategy | None:
    """Factor tilt: its factor model has nothing fitted on a training split (it is re-estimated
    from the trailing 60 months at every date), so what is learned is the choice of tilts: the
    trials are a tilt on each style factor alone and the configured tilts, each a monthly history
    of the closed-form tilt (`tilt_proxy`) on the point-in-time factor model."""
    params = cfg.params
    px = data.market.prices
    ends = complete_month_ends(px.index, pd.Timestamp(data.as_of))
    assets = list(cfg.symbols)
    key = ("month_fits", tuple(assets))
    if key not in data.cache:
        data.cache[key] = month_fits(build_panel(data.market, data.settings.universe.stocks), list(ends), assets)
    fits = data.cache[key]
    trials = {f"{f}=1": {f: 1.0} for f in STYLE_FACTORS if f in params.model_factors}
    trials[",".join(f"{k}={v:g}" for k, v in sorted(params.tilts.items()))] = dict(params.tilts)
    growth = (px[assets].reindex(ends).shift(-1) / px[assets].reindex(ends) - 1.0).to_numpy()
    cash = data.settings.universe.cash_symbol
    r_cash = month_returns(px, ends, {cash: 1.0})
    budget = params.budget_annual ** 2 / 12.0
    tilts = np.array([[tilt.get(f, 0.0) for f in FACTORS] for tilt in trials.values()]).T   # (factors, trials)
    rows, out = [], []
    for i, d in enumerate(ends[:-1]):
        fit = fits.get(d)
        if fit is None or len(fit.idx) < 2 or not np.isfinite(growth[i, fit.idx]).all():
            continue
        cov = fit.B @ fit.F @ fit.B.T + np.diag(fit.resid)
        w = tilt_proxy(fit.B @ tilts, cov, budget, params.min_weight, max(params.max_weight, 1 / len(fit.idx)))
        out.append(growth[i, fit.idx] @ w - r_cash[i])
        rows.append(i)
    if len(rows) < 24:
        return None
    idx = ends[rows]
    frame = pd.DataFrame(np.array(out), index=idx, columns=list(trials))
    t1 = pd.Series(ends[np.array(rows) + 1], index=idx)
    return SelectionStrategy(t1, frame)


# --------------------------------------------------------------------------- the step


def learned_results(settings: Settings, as_of: dt.date, portfolios: list[PortfolioConfig],
                    market: MarketInputs) -> dict[str, LearnedEvidence]:
    """CPCV paths and PBO of every portfolio with an adapter (single-threaded BLAS: the fits
    are small, and threads oversubscribe a shared machine; scikit-learn's input validation off:
    the inputs are our own finite arrays, and it costs more than the small fits)."""
    cfg = settings.evidence
    data = LearnedData(settings, as_of, market)
    out: dict[str, LearnedEvidence] = {}
    with threadpool_limits(1), sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        for p in portfolios:
            adapter = ADAPTERS.get(p.strategy)
            if adapter is None:
                continue
            t0 = time.perf_counter()
            strategy = adapter(p, data)
            if strategy is None:
                continue
            out[p.id] = learned_evidence(strategy, cfg.cpcv.groups, cfg.cpcv.test_groups, cfg.cpcv.embargo,
                                         cfg.pbo_blocks)
            log.info("%s: CPCV %d paths, PBO %s (%.1f s)", p.id, out[p.id].n_paths, out[p.id].pbo,
                     time.perf_counter() - t0)
    return out
