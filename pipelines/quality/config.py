"""The quality gate's thresholds (`config/quality.yaml`), typed and validated on load."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipelines.config import REPO_ROOT, ConfigError, SeriesId, Settings, Symbol, Universe, _read_yaml, format_errors

Check = Literal["stale", "return", "gap", "completeness"]


class _Strict(BaseModel):
    """Unknown keys, and infinite or NaN thresholds (which would disable a check), are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ClassThresholds(_Strict):
    """Per asset class: return bounds (|log return|) and the stale-run length."""

    warn_abs_log_return: float = Field(gt=0, le=10)
    error_abs_log_return: float = Field(gt=0, le=10)
    stale_after: int = Field(ge=2, le=1000)

    @model_validator(mode="after")
    def _ordered(self) -> ClassThresholds:
        if self.warn_abs_log_return > self.error_abs_log_return:
            raise ValueError("warn_abs_log_return must not exceed error_abs_log_return")
        return self


class Waiver(_Strict):
    """A reviewed, accepted exception for one symbol over a date range."""

    symbol: Symbol
    start: dt.date
    end: dt.date
    checks: list[Check] = Field(min_length=1)
    reason: str = Field(min_length=10)


class PriceRules(_Strict):
    history_days: int = Field(40, ge=5, le=400)
    max_business_day_gap: int = Field(5, ge=1, le=60)
    min_rows: int = Field(1, ge=0, le=10_000_000)
    asset_classes: dict[str, ClassThresholds]
    waivers: list[Waiver] = Field(default_factory=list)


class MacroRules(_Strict):
    min_rows: int = Field(0, ge=0, le=10_000_000)
    ranges: dict[SeriesId, tuple[float, float]]

    @model_validator(mode="after")
    def _ranges(self) -> MacroRules:
        bad = {k: v for k, v in self.ranges.items() if v[0] >= v[1]}
        if bad:
            raise ValueError(f"ranges must be [min, max] with min < max: {bad}")
        return self


class QualityConfig(_Strict):
    prices: PriceRules
    macro: MacroRules

    def fingerprint(self) -> str:
        """Changes whenever a threshold changes: suites are rebuilt for a new fingerprint."""
        return hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()[:12]


def load_quality_config(path: Path, universe: Universe) -> QualityConfig:
    """Parse `quality.yaml`; every asset class and macro series of the universe must be covered."""
    raw = _read_yaml(path)
    try:
        cfg = QualityConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {format_errors(exc)}") from exc
    classes = sorted({a.asset_class for a in universe.assets} - set(cfg.prices.asset_classes))
    if classes:
        raise ConfigError(f"{path}: field 'prices.asset_classes': no thresholds for {classes}")
    series = sorted({m.series for m in universe.macro_series} - set(cfg.macro.ranges))
    if series:
        raise ConfigError(f"{path}: field 'macro.ranges': no plausible range for {series}")
    unknown = sorted({w.symbol for w in cfg.prices.waivers} - set(universe.symbols))
    if unknown:
        raise ConfigError(f"{path}: field 'prices.waivers': unknown symbols {unknown}")
    return cfg


def quality_config(settings: Settings) -> QualityConfig:
    """`quality.yaml` from the config dir; a config dir without one uses the repo's defaults."""
    path = settings.quality_path
    if not path.exists():
        path = REPO_ROOT / "config" / "quality.yaml"
    return load_quality_config(path, settings.universe)
