"""Run a suite on a frame with Great Expectations and turn the result into plain records.

One file-backed GX context per data root (`$DAA_HOME/gx`), reused for the whole process: suites,
validation definitions and checkpoints are (re)registered once per configuration fingerprint,
and every checkpoint run updates the Data Docs site under `$DAA_HOME/gx/uncommitted/data_docs`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipelines.config import Settings, Universe
from pipelines.quality import suites as S
from pipelines.quality.config import QualityConfig

log = logging.getLogger(__name__)

SAMPLE_ROWS = 5

# suite name -> (dataset, builder)
SUITES: dict[str, tuple[str, Callable[[QualityConfig, Universe], list]]] = {
    "prices_schema": ("prices", lambda c, u: S.prices_schema_suite(c)),
    "raw_prices": ("prices", S.raw_prices_suite),
    "curated_prices": ("prices", lambda c, u: S.curated_prices_suite(c)),
    "macro_schema": ("macro", lambda c, u: S.macro_schema_suite(c)),
    "raw_macro": ("macro", S.raw_macro_suite),
    "curated_macro": ("macro", lambda c, u: S.curated_macro_suite(c)),
}


@dataclass(frozen=True)
class Outcome:
    """One expectation's result, flattened for the warehouse and the report."""

    suite: str
    dataset: str
    expectation: str
    check: str
    column: str | None
    success: bool
    severity: str
    observed_value: str | None
    element_count: int | None
    unexpected_count: int | None
    unexpected_sample: str | None

    @property
    def is_error(self) -> bool:
        return not self.success and self.severity == S.ERROR

    @property
    def is_warning(self) -> bool:
        return not self.success and self.severity == S.WARNING


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    dataset: str
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    identifiers: list = field(default_factory=list)

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.is_error]

    @property
    def warnings(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.is_warning]


def _jsonable(v: Any) -> Any:
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat() if v == v.normalize() else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (np.floating, float)):
        return None if math.isnan(float(v)) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if v is pd.NaT:
        return None
    return v


def _dump(v: Any) -> str | None:
    return None if v is None else json.dumps(_jsonable(v), default=str)


def _column(kwargs: dict) -> str | None:
    if "column" in kwargs:
        return kwargs["column"]
    if "column_A" in kwargs:
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    if "column_list" in kwargs:
        return ",".join(kwargs["column_list"])
    return None


def _outcome(suite: str, dataset: str, r: Any) -> Outcome:
    cfg = r.expectation_config
    meta = cfg.meta or {}
    res = r.result or {}
    sample = res.get("partial_unexpected_index_list")
    if sample is None and res.get("partial_missing_list") is not None:
        sample = [{"missing": m} for m in res["partial_missing_list"]]
    if sample is None and res.get("partial_unexpected_list"):
        sample = res["partial_unexpected_list"]
    observed = res.get("observed_value")
    exc = (r.exception_info or {}) if hasattr(r, "exception_info") else {}
    if exc.get("raised_exception"):
        observed = f"exception: {exc.get('exception_message')}"
    unexpected = res.get("unexpected_count")
    if unexpected is None and res.get("missing_count") is not None and "partial_missing_list" in res:
        unexpected = res["missing_count"]
    return Outcome(
        suite=suite, dataset=dataset, expectation=cfg.type, check=meta.get("check", cfg.type),
        column=_column(cfg.kwargs), success=bool(r.success), severity=meta.get("severity", S.ERROR),
        observed_value=_dump(observed), element_count=res.get("element_count"),
        unexpected_count=None if unexpected is None else int(unexpected),
        unexpected_sample=_dump(sample[:SAMPLE_ROWS]) if sample else None)


class GXRunner:
    """Registers the suites in a file-backed GX context and runs their checkpoints."""

    def __init__(self, settings: Settings, cfg: QualityConfig, universe: Universe):
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._gx = gx
        self._lock_path = Path(settings.gx_dir) / ".store.lock"
        with self._store_lock():
            self.context = gx.get_context(mode="file", project_root_dir=str(settings.gx_dir))
            self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
            self._checkpoints: dict[str, Any] = {}
            self._cfg, self._universe = cfg, universe
            self._register(cfg, universe)

    @contextlib.contextmanager
    def _store_lock(self):
        """One process at a time registers or runs suites in the shared file store: two gates
        at once (two writers) otherwise re-save each other's suites between register and run."""
        self._lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _register(self, cfg: QualityConfig, universe: Universe) -> None:
        gx = self._gx
        ctx = self.context
        source = ctx.data_sources.add_or_update_pandas("daa_lake")
        for name, (dataset, build) in SUITES.items():
            try:
                asset = source.get_asset(name)
            except LookupError:
                asset = source.add_dataframe_asset(name)
            try:
                batch = asset.get_batch_definition("batch")
            except Exception:  # noqa: BLE001 - GX raises its own KeyError subclass
                batch = asset.add_batch_definition_whole_dataframe("batch")
            suite = ctx.suites.add_or_update(gx.ExpectationSuite(
                name=name, expectations=build(cfg, universe),
                meta={"dataset": dataset, "config_fingerprint": cfg.fingerprint()}))
            vd = ctx.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=name, data=batch, suite=suite))
            self._checkpoints[name] = ctx.checkpoints.add_or_update(gx.Checkpoint(
                name=name, validation_definitions=[vd],
                actions=[],  # Data Docs are built once per gate run, see build_docs
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_ROWS,
                               "unexpected_index_column_names": S.INDEX_COLUMNS[dataset]}))

    def run(self, suite: str, frame: pd.DataFrame, run_name: str) -> SuiteResult:
        import time

        from great_expectations.core.run_identifier import RunIdentifier

        dataset = SUITES[suite][0]
        t0 = time.perf_counter()
        from great_expectations.exceptions.resource_freshness import (
            ResourceFreshnessAggregateError,
            ResourceFreshnessError,
        )

        with self._store_lock():
            try:
                result = self._checkpoints[suite].run(batch_parameters={"dataframe": frame},
                                                      run_id=RunIdentifier(run_name=run_name))
            except (ResourceFreshnessAggregateError, ResourceFreshnessError):
                # Another process re-registered the suites in the shared store since we did;
                # under the lock nobody can do so again before this run.
                log.info("GX suites changed on disk; registering them again")
                self._register(self._cfg, self._universe)
                result = self._checkpoints[suite].run(batch_parameters={"dataframe": frame},
                                                      run_id=RunIdentifier(run_name=run_name))
        outcomes = []
        for vr in result.run_results.values():
            outcomes += [_outcome(suite, dataset, r) for r in vr.results]
        return SuiteResult(suite, dataset, outcomes, time.perf_counter() - t0,
                           list(result.run_results.keys()))

    def build_docs(self, identifiers: list) -> Path | None:
        """Render this run's validation pages and the site index (once per gate run: each
        build re-compiles GX's templates, about half a second)."""
        if identifiers:
            with self._store_lock():
                self.context.build_data_docs(resource_identifiers=identifiers)
        return self.data_docs_index()

    def data_docs_index(self) -> Path | None:
        for site in self.context.get_docs_sites_urls():
            url = site.get("site_url") or ""
            if url.startswith("file://"):
                return Path(url[len("file://"):])
        return None


_RUNNERS: dict[tuple[str, str], GXRunner] = {}


def runner(settings: Settings, cfg: QualityConfig, universe: Universe) -> GXRunner:
    """The process-wide runner for this data root and configuration (built on first use)."""
    uni = hashlib.sha256(universe.model_dump_json().encode()).hexdigest()[:12]
    key = (str(settings.data_root), cfg.fingerprint() + uni)
    if key not in _RUNNERS:
        _RUNNERS[key] = GXRunner(settings, cfg, universe)
    return _RUNNERS[key]


def outcome_records(outcomes: list[Outcome]) -> list[dict]:
    return [asdict(o) for o in outcomes]
