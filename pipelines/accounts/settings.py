"""The account book's settings, from `config/accounts.yaml` (validated on load)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipelines.config import ConfigError, Settings, format_errors
from pipelines.yaml_files import YamlFileError, read_yaml


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class DefaultBook(_Strict):
    """The synthetic book `make run` generates (`accounts generate` without arguments)."""

    n: int = Field(2000, ge=1, le=10_000_000)
    seed: int = 1
    start: dt.date = dt.date(2014, 1, 2)


class AccountsConfig(_Strict):
    shard_size: int = Field(10_000, ge=1, le=10_000_000, description="accounts per mapped task")
    drift_tolerance: float = Field(0.03, gt=0, lt=1)
    model_change_threshold: float = Field(0.001, ge=0, lt=1, description="largest weight change of a model's "
                                          "new targets that is not a model change (the drift rule still applies)")
    fractional_lot: float = Field(1e-6, gt=0, le=1)
    max_stale_days: int = Field(5, ge=0, le=60)
    checkpoints_kept: int = Field(5, ge=1, le=1000)
    default_book: DefaultBook = DefaultBook()

    @field_validator("fractional_lot")
    @classmethod
    def _decimal_lot(cls, v: float) -> float:
        steps = round(1.0 / v)
        if abs(steps * v - 1.0) > 1e-12 or steps < 1:
            raise ValueError("must divide one unit into a whole number of lots (1, 0.01, 0.000001, ...)")
        return v


def config_path(settings: Settings) -> Path:
    return settings.config_dir / "accounts.yaml"


@lru_cache(maxsize=8)
def _load(path: Path, mtime: int) -> AccountsConfig:
    if not path.exists():
        return AccountsConfig()
    try:
        raw = read_yaml(path) or {}
    except YamlFileError as exc:
        raise ConfigError(str(exc)) from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of settings, got {type(raw).__name__}")
    try:
        return AccountsConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {format_errors(exc)}") from exc


def accounts_config(settings: Settings) -> AccountsConfig:
    """The validated settings (defaults when the file is absent; cached until it changes)."""
    path = config_path(settings)
    return _load(path, path.stat().st_mtime_ns if path.exists() else 0)
