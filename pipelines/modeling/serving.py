"""Point-in-time model outputs for the strategies, which see only an AllocationContext.

The engine's caller builds a `ModelProvider` for the data root and hands the strategies
`provider.at(D)`, a view of what the models said at the close of D (the strategies do no I/O).
A per-process cache holds the lake as read at its latest curated date, the daily regime
features and the factor panel;
every output for date D is computed from values known at D (features use trailing windows and
release dates, `FactorPanel.as_of(D)` masks later values, the registry serves only models
trained before D), so the cache's reach past D never leaks. The cache reloads when asked for
a date beyond it. Serving never trains: a registry without a regime model is an error that
says to run the train step.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from models.causal_walk_forward import model_name
from models.factor_model import FactorFit, fit_factor_model
from models.factors import FactorPanel, build_panel
from models.registry import NoModelError, Registry
from models.walk_forward import CLASSIFIER
from pipelines import lake
from pipelines.allocation.base import ModelOutput
from pipelines.config import Settings
from pipelines.features.inputs import MarketInputs, load_inputs
from pipelines.features.regime import regime_features, return_features

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelInputs:
    data: MarketInputs
    features: pd.DataFrame
    panel: FactorPanel
    return_features: pd.DataFrame   # of the causal regime models


@functools.lru_cache(maxsize=4)
def _inputs(root: str, config: str, as_of: dt.date) -> ModelInputs:
    settings = Settings(data_root=Path(root), config_dir=Path(config))
    data = load_inputs(settings, as_of)
    return ModelInputs(data, regime_features(data), build_panel(data, settings.universe.stocks),
                       return_features(data.prices))


def model_inputs(settings: Settings, date: dt.date) -> ModelInputs:
    """The cached lake view, reloaded when `date` lies past it."""
    key = (str(settings.data_root), str(settings.config_dir))
    held = _LATEST.get(key)
    if held is not None and pd.Timestamp(date).date() <= held:
        return _inputs(*key, held)
    latest = lake.curated_max_date(settings, lake.PRICES)
    if latest is None or latest < pd.Timestamp(date).date():
        raise FileNotFoundError(f"the lake under {settings.curated_dir} has no prices for {date}")
    _LATEST[key] = latest
    return _inputs(*key, latest)


_LATEST: dict[tuple[str, str], dt.date] = {}


def require_regime_models(settings: Settings) -> Registry:
    """The registry, refused when it holds no risk-off classifier at all: serving never trains
    (the pipeline's train step does), so a fresh data root must run it first."""
    registry = Registry(settings.models_dir)
    if not registry.records(CLASSIFIER):
        raise FileNotFoundError(f"no {CLASSIFIER} in the model registry {settings.models_dir}: run the "
                                "train step first (`python -m pipelines train`, or a backfill)")
    return registry


def risk_off_probability(settings: Settings, date: pd.Timestamp) -> tuple[float, str]:
    """(probability that the next month is risk-off, model version) at the close of `date`.

    Raises NoModelError when no model was trained before `date` or its features are in warm-up."""
    registry = require_regime_models(settings)
    rec = registry.latest(CLASSIFIER, before=date)
    art = registry.load(rec, date)
    feats = model_inputs(settings, date).features
    row = feats.loc[:date].iloc[[-1]]
    if row.index[0] != pd.Timestamp(date) or row.isna().any(axis=None):
        raise NoModelError(f"no complete regime features on {pd.Timestamp(date).date()}")
    return float(art.probability(row)[0]), rec.version


def bear_probability(settings: Settings, date: pd.Timestamp, kind: str) -> tuple[float, str]:
    """(P(bear state) filtered through the close of `date`, model version) of the causal regime
    model `kind` (models.causal_walk_forward): the latest refit trained before `date`, its
    filter run from its anchor over the cached features (each row depends on earlier rows
    only, so the cache's reach past `date` changes nothing). Raises NoModelError before the
    first refit."""
    name = model_name(kind)
    registry = Registry(settings.models_dir)
    if not registry.records(name):
        raise FileNotFoundError(f"no {name} in the model registry {settings.models_dir}: run the train step "
                                "first (`python -m pipelines train`, or a backfill)")
    rec = registry.latest(name, before=date)
    feats = model_inputs(settings, date).return_features
    key = (str(settings.data_root), feats.index[-1], len(feats), rec.version)   # the lake view and the refit
    if key not in _BEAR:
        if len(_BEAR) > 256:
            _BEAR.clear()
        _BEAR[key] = registry.load(rec, date).bear_probability(feats)
    p = _BEAR[key]
    day = pd.Timestamp(date)
    if day not in p.index:
        raise NoModelError(f"no {name} state on {day.date()} (not a trading day of the features)")
    return float(p.loc[day]), rec.version


_BEAR: dict[tuple, pd.Series] = {}


def factor_fit(settings: Settings, date: pd.Timestamp, assets: Sequence[str],
               factors: Sequence[str], window: int, min_months: int) -> FactorFit | None:
    """The factor model as estimated at the close of `date` (see models.factor_model)."""
    mi = model_inputs(settings, date)
    key = (id(mi.panel), pd.Timestamp(date), tuple(assets), tuple(factors), window, min_months)
    if key not in _FITS:
        if len(_FITS) > 20_000:
            _FITS.clear()
        _FITS[key] = fit_factor_model(mi.panel, pd.Timestamp(date), assets, factors, window, min_months)
    return _FITS[key]


_FITS: dict[tuple, FactorFit | None] = {}


def neural_weights(settings: Settings, date: pd.Timestamp, symbols: Sequence[str],
                   params: object) -> tuple[pd.Series, str] | None:
    """(weights over symbols and cash, version) the neural policy sets at the close of `date`,
    None before its first refit (see pipelines.modeling.neural)."""
    from pipelines.modeling import neural

    setup = _neural_setup(tuple(symbols), settings.universe.cash_symbol, params)
    registry = Registry(settings.models_dir)
    date = pd.Timestamp(date)
    records = neural.serving_records(registry, setup.name)
    if not any(pd.Timestamp(r.trained_through) < date for r in records):
        return None
    mi = model_inputs(settings, date)
    # The path on D uses only refits trained before D and data up to D (models.neural), so one
    # path over every refit and the whole cached lake serves every date.
    key = (str(settings.data_root), mi.data.as_of, setup.name, tuple(r.version for r in records))
    path = _PATHS.get(key)
    if path is None:
        neural.use_compile_cache(settings.compile_cache_dir)
        if len(_PATHS) > 16:
            _PATHS.clear()
        inputs = neural.daily_inputs(mi.data.prices, mi.features, setup.spec)
        path = _PATHS[key] = neural.policy_path(registry, records, setup, inputs)
    if date not in path.weights.index:
        raise NoModelError(f"{setup.name}: no neural policy weights on {date.date()} (features in warm-up "
                           "or the date is not a trading day)")
    return path.weights.loc[date], str(path.version.loc[date])


_PATHS: dict[tuple, object] = {}


@functools.lru_cache(maxsize=64)
def _neural_setup(symbols: tuple[str, ...], cash: str, params: object):
    from pipelines.modeling import neural

    return neural.setup_for(symbols, cash, params)


@dataclass(frozen=True)
class DateModels:
    """What the models said at the close of `date` (a `ModelView` for the strategies)."""

    settings: Settings
    date: pd.Timestamp

    def risk_off(self) -> ModelOutput:
        try:
            p, version = risk_off_probability(self.settings, self.date)
        except NoModelError:
            return ModelOutput(None, None)
        return ModelOutput(p, version)

    def bear(self, kind: str) -> ModelOutput:
        try:
            p, version = bear_probability(self.settings, self.date, kind)
        except NoModelError:
            return ModelOutput(None, None)
        return ModelOutput(p, version)

    def factor_fit(self, assets: Sequence[str], factors: Sequence[str], window: int,
                   min_months: int) -> ModelOutput:
        fit = factor_fit(self.settings, self.date, assets, factors, window, min_months)
        return ModelOutput(fit, None if fit is None else f"factor_model@{fit.last_month}-w{window}")

    def neural_weights(self, symbols: Sequence[str], params: object) -> ModelOutput:
        out = neural_weights(self.settings, self.date, symbols, params)
        return ModelOutput(None, None) if out is None else ModelOutput(*out)


@dataclass(frozen=True)
class ModelProvider:
    """Model outputs of one data root, by date."""

    settings: Settings

    def at(self, date: pd.Timestamp) -> DateModels:
        return DateModels(self.settings, pd.Timestamp(date))
