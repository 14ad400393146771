"""The training step: walk-forward refits up to a date, a refit at the date itself, the
regime predictions and factor exposures, staged as Parquet for the single writer.

Called by the pipeline's train step (the `model_training` DAG and `python -m pipelines train`).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import asdict

import numpy as np
import pandas as pd

from models.causal_walk_forward import CausalSpec, model_name, train_causal
from models.factor_model import fit_factor_model
from models.factors import build_panel
from models.regime import TrainingSpec
from models.registry import Registry
from models.walk_forward import CLASSIFIER, MIXTURE, Schedule, oos_summary, refit_dates, walk_forward
from pipelines.allocation import catalog
from pipelines.config import Settings
from pipelines.features.inputs import load_inputs
from pipelines.features.regime import daily_excess_returns, regime_features, return_features
from pipelines.lake import write_parquet_atomic
from pipelines.warehouse.staging import stage_dir


def _version_rows(records, run_id: str) -> pd.DataFrame:
    rows = []
    for r in records:
        m = r.meta
        w = m.get("training_window", {})
        rows.append({"model_version": r.version, "model_name": r.name, "kind": m.get("kind"),
                     "trained_through": r.trained_through, "train_start": w.get("train_start"),
                     "train_end": w.get("train_end"), "features": m.get("features"),
                     "hyperparameters": json.dumps(m.get("hyperparameters")),
                     "cv_metrics": json.dumps(m.get("cv_metrics")),
                     "oos_metrics": json.dumps(m.get("oos_metrics")),
                     "data_snapshot": m.get("data_snapshot"), "code_version": m.get("code_version"),
                     "training_seconds": m.get("training_seconds"), "artifact_path": str(r.artifact),
                     "metadata": json.dumps(m, default=str), "run_id": run_id})
    return pd.DataFrame(rows)


def _regime_rows(registry: Registry, features: pd.DataFrame, refits, as_of: pd.Timestamp,
                 run_id: str) -> pd.DataFrame:
    """Daily rows: each date predicted by the latest refit trained before it."""
    parts = []
    for i, rf in enumerate(refits):
        start = pd.Timestamp(rf.classifier.trained_through)
        stop = pd.Timestamp(refits[i + 1].classifier.trained_through) if i + 1 < len(refits) else as_of
        X = features[(features.index > start) & (features.index <= stop)].dropna()
        if X.empty:
            continue
        after = X.index[0].date()
        clf = registry.load(rf.classifier, after)
        mix = registry.load(rf.mixture, after)
        probs = mix.probabilities(X)
        parts.append(pd.DataFrame({
            "date": X.index.date, "model_name": CLASSIFIER, "model_version": rf.classifier.version,
            "regime": np.asarray(mix.names, dtype=object)[probs.argmax(axis=1)],
            "p_risk_off": clf.probability(X),
            "probabilities": [json.dumps(dict(zip(mix.names, map(float, p), strict=True))) for p in probs],
            "mixture_version": rf.mixture.version, "run_id": run_id}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def train_neural(settings: Settings, registry: Registry, prices: pd.DataFrame, features: pd.DataFrame,
                 as_of: pd.Timestamp, snapshot: str, schedule: Schedule = "annual") -> dict:
    """The neural policies' refits due by `as_of` (one walk-forward per distinct setup of the
    configured `neural_sharpe` portfolios), on the schedule the regime models follow."""
    from pipelines.modeling import neural

    setups = {s.name: s for s in neural.portfolio_setups(catalog.portfolios(settings),
                                                         settings.universe.cash_symbol).values()}
    if not setups:
        return {}
    neural.use_compile_cache(settings.compile_cache_dir)
    dates = refit_dates(prices.index, as_of, schedule)
    outcomes = {}
    for name, setup in setups.items():
        inputs = neural.daily_inputs(prices, features, setup.spec)
        outcomes[name] = neural.train_refits(registry, name, setup, inputs, dates, snapshot)
    return neural.training_summary(outcomes)


def causal_kinds(settings: Settings) -> dict[str, dt.date]:
    """The causal regime models the managed portfolios select (`model` of regime_switching), each
    with the earliest inception that uses it (refits serving only earlier dates are not needed)."""
    out: dict[str, dt.date] = {}
    for p in catalog.portfolios(settings):
        kind = getattr(p.params, "model", "classifier") if p.strategy == "regime_switching" else "classifier"
        if kind != "classifier":
            out[kind] = min(out.get(kind, p.inception), p.inception)
    return out


def _causal_tables(settings: Settings, data, registry: Registry, schedule: Schedule, snapshot: str,
                   run_id: str) -> tuple[list, pd.DataFrame, dict]:
    """Refits of every causal regime model a portfolio selects; their registry records, daily
    regime rows and published versions."""
    kinds = causal_kinds(settings)
    if not kinds:
        return [], pd.DataFrame(), {}
    feats, rets = return_features(data.prices), daily_excess_returns(data.prices)
    records, rows, published = [], [], {}
    for kind, start in sorted(kinds.items()):
        recs, served = train_causal(registry, kind, feats, rets, data.as_of, CausalSpec(), snapshot,
                                    schedule, start)
        records += registry.records(model_name(kind))
        if recs:
            published[model_name(kind)] = recs[-1].version
        if len(served):
            p = served["p_bear"].to_numpy()
            rows.append(pd.DataFrame({
                "date": pd.DatetimeIndex(served["date"]).date, "model_name": model_name(kind),
                "model_version": served["model_version"].to_numpy(),
                "regime": np.where(p >= 0.5, "bear", "bull").astype(object), "p_risk_off": p,
                "probabilities": [json.dumps({"bull": 1.0 - float(x), "bear": float(x)}) for x in p],
                "mixture_version": None, "run_id": run_id}))
    return records, pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(), published


def train_and_publish(settings: Settings, as_of: dt.date, run_id: str, snapshot: str,
                      schedule: Schedule = "annual", spec: TrainingSpec | None = None) -> dict:
    """Train what is missing up to `as_of`, stage the rows, return a manifest summary."""
    spec = spec or TrainingSpec()
    t0 = time.perf_counter()
    data = load_inputs(settings, as_of)
    features = regime_features(data)
    registry = Registry(settings.models_dir)
    # Refits on the schedule only (never one at the training date itself): the model that
    # serves a date is then a function of the date alone, however the date was reached.
    refits, history = walk_forward(registry, features, data.prices, data.as_of, spec, snapshot, schedule)
    neural = train_neural(settings, registry, data.prices, features, data.as_of, snapshot, schedule)
    stocks = settings.universe.stocks
    assets = [s for s in settings.universe.symbols if s != settings.universe.cash_symbol]
    fit = fit_factor_model(build_panel(data, stocks), data.as_of, assets)
    fm_version = f"factor_model@{fit.last_month}-w60"
    exposures = fit.exposures.stack().rename("exposure").reset_index()
    exposures.columns = ["entity", "factor", "exposure"]
    exposures = exposures.assign(date=as_of, entity_type="asset", risk_contribution=np.nan,
                                 alpha=exposures["entity"].map(fit.alpha),
                                 residual_variance=exposures["entity"].map(fit.residual_variance),
                                 r_squared=exposures["entity"].map(fit.r_squared),
                                 model_version=fm_version, run_id=run_id)
    causal_records, causal_rows, causal_published = _causal_tables(settings, data, registry, schedule,
                                                                   snapshot, run_id)
    folder = stage_dir(settings, run_id) / "models"
    records = [*registry.records(CLASSIFIER), *registry.records(MIXTURE),
               *(r for name in neural for r in registry.records(name)), *causal_records]
    regimes = _regime_rows(registry, features, refits, data.as_of, run_id)
    tables = {"model_versions": _version_rows(records, run_id),
              "regimes": pd.concat([regimes, causal_rows], ignore_index=True) if len(causal_rows) else regimes,
              "factor_exposures": exposures}
    paths = {k: str(write_parquet_atomic(v, folder / f"{k}.parquet")) for k, v in tables.items()}
    last = refits[-1]
    return {"as_of": as_of.isoformat(), "tables": paths,
            "rows": {k: len(v) for k, v in tables.items()},
            "refits": len(refits), "trained": sum(r.trained for r in refits),
            "published": {CLASSIFIER: last.classifier.version, MIXTURE: last.mixture.version,
                          **causal_published},
            "training_seconds": last.seconds, "oos": oos_summary(history), "neural": neural,
            "spec": asdict(spec), "seconds": time.perf_counter() - t0}

