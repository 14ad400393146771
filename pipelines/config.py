"""Typed settings, the universe and the managed-portfolio registry, validated when loaded.

Everything configurable lives in `config/*.yaml` and environment variables; this module turns
them into typed objects and fails fast with a message that names the file, portfolio and field.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

REPO_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A configuration file is invalid; the message names the file, the entry and the field."""


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    """Where things live. `DAA_HOME` is the data root; `DAA_CONFIG_DIR` holds the YAML files."""

    data_root: Path
    config_dir: Path
    source: str = "bundled"

    @classmethod
    def from_env(cls) -> Settings:
        data_root = Path(os.environ.get("DAA_HOME", REPO_ROOT / "var")).resolve()
        config_dir = Path(os.environ.get("DAA_CONFIG_DIR", REPO_ROOT / "config")).resolve()
        return cls(data_root=data_root, config_dir=config_dir,
                   source=os.environ.get("DAA_SOURCE", "bundled"))

    @property
    def raw_dir(self) -> Path:
        return self.data_root / "lake" / "raw"

    @property
    def curated_dir(self) -> Path:
        return self.data_root / "lake" / "curated"

    @property
    def staging_dir(self) -> Path:
        return self.data_root / "staging"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_root / "lake" / "quarantine"

    @property
    def reports_dir(self) -> Path:
        return self.data_root / "reports"

    @property
    def warehouse_path(self) -> Path:
        return self.data_root / "warehouse.duckdb"

    @cached_property
    def universe(self) -> Universe:
        return load_universe(self.config_dir / "universe.yaml")

    @cached_property
    def portfolios(self) -> list[PortfolioConfig]:
        return load_portfolios(self.config_dir / "portfolios.yaml", self.universe)

    def portfolio(self, portfolio_id: str) -> PortfolioConfig:
        for p in self.portfolios:
            if p.id == portfolio_id:
                return p
        known = ", ".join(p.id for p in self.portfolios)
        raise ConfigError(f"unknown portfolio {portfolio_id!r}; known: {known}")


# --------------------------------------------------------------------------- universe

AssetClass = Literal["equity", "government_bonds", "cash", "commodity"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Asset(_Strict):
    symbol: str = Field(pattern=r"^[A-Z0-9_.\-]+$")
    name: str
    asset_class: AssetClass
    sector: str


ReleaseLag = Literal["same_day", "month_end", "next_month_end"] | dict[str, int]


class MacroSeries(_Strict):
    series: str
    name: str
    frequency: Literal["daily", "monthly"]
    release_lag: ReleaseLag

    @field_validator("release_lag")
    @classmethod
    def _check_lag(cls, v: ReleaseLag) -> ReleaseLag:
        if isinstance(v, dict) and (set(v) != {"days_after_month_end"} or v["days_after_month_end"] < 0):
            raise ValueError("must be same_day, month_end, next_month_end or "
                             "{days_after_month_end: N} with N >= 0")
        return v


class Universe(_Strict):
    cash_symbol: str
    calendar_symbol: str
    assets: list[Asset]
    macro_series: list[MacroSeries]

    @model_validator(mode="after")
    def _check(self) -> Universe:
        symbols = [a.symbol for a in self.assets]
        dupes = sorted({s for s in symbols if symbols.count(s) > 1})
        if dupes:
            raise ValueError(f"duplicate symbols: {dupes}")
        for field in ("cash_symbol", "calendar_symbol"):
            if getattr(self, field) not in symbols:
                raise ValueError(f"{field} {getattr(self, field)!r} is not an asset of the universe")
        return self

    @property
    def symbols(self) -> list[str]:
        return [a.symbol for a in self.assets]

    @property
    def asset_classes(self) -> dict[str, str]:
        return {a.symbol: a.asset_class for a in self.assets}

    def asset(self, symbol: str) -> Asset:
        for a in self.assets:
            if a.symbol == symbol:
                return a
        raise KeyError(symbol)


# --------------------------------------------------------------------------- portfolios

RiskProfile = Literal["conservative", "moderate", "aggressive"]


class CostModel(_Strict):
    """What a ticket costs: commission (bps, floored at a minimum per ticket), half the bid/ask
    spread by asset class, and market impact proportional to participation (|quantity| over the
    day's volume). The bundled data has no volume, so the impact term is zero there."""

    commission_bps: float = Field(0.0, ge=0, le=500)
    min_commission: float = Field(0.0, ge=0)
    half_spread_bps: dict[str, float] = Field(default_factory=dict)
    impact_bps: float = Field(0.0, ge=0, le=10_000,
                              description="cost in bps of notional per 100% participation")

    @field_validator("half_spread_bps")
    @classmethod
    def _non_negative(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: x for k, x in v.items() if x < 0 or x > 500}
        if bad:
            raise ValueError(f"spreads must lie in [0, 500] bps: {bad}")
        return v


class DriftBand(_Strict):
    """Tolerance around a target weight; with both set the tighter one applies (5/25 rule)."""

    absolute: float | None = Field(None, gt=0, lt=1)
    relative: float | None = Field(None, gt=0, le=10)

    @model_validator(mode="after")
    def _one(self) -> DriftBand:
        if self.absolute is None and self.relative is None:
            raise ValueError("give absolute and/or relative")
        return self


class RebalanceRule(_Strict):
    """When to trade. Calendar dates are the first trading day of each period on or after
    `weekday` (weekly) or `month_day` (monthly, quarterly: first month of the quarter, annually:
    January). With `drift` set as well, a calendar date trades only if some asset is outside its
    band; with `frequency: never` the bands are checked every day. `signal_threshold` evaluates
    the strategy every day and trades when a target weight moves by more than it."""

    frequency: Literal["daily", "weekly", "monthly", "quarterly", "annually", "never"] = "monthly"
    weekday: int | None = Field(None, ge=0, le=4, description="0 = Monday")
    month_day: int | None = Field(None, ge=1, le=31)
    drift: DriftBand | None = None
    drift_per_asset: dict[str, DriftBand] = Field(default_factory=dict)
    to: Literal["target", "edge"] = "target"
    min_trade_value: float = Field(0.0, ge=0)
    min_trade_weight: float = Field(0.0, ge=0, lt=1)
    signal_threshold: float | None = Field(None, gt=0, le=1)

    @model_validator(mode="after")
    def _consistent(self) -> RebalanceRule:
        if self.weekday is not None and self.frequency != "weekly":
            raise ValueError("weekday applies to weekly rebalancing only")
        if self.month_day is not None and self.frequency not in {"monthly", "quarterly", "annually"}:
            raise ValueError("month_day applies to monthly, quarterly or annual rebalancing only")
        if self.frequency == "never" and not self.has_drift and self.signal_threshold is None:
            raise ValueError("frequency 'never' needs drift bands or a signal_threshold")
        if self.signal_threshold is not None and self.has_drift:
            raise ValueError("signal_threshold and drift bands cannot be combined")
        if self.to == "edge" and not self.has_drift:
            raise ValueError("'to: edge' needs drift bands")
        return self

    @property
    def has_drift(self) -> bool:
        return self.drift is not None or bool(self.drift_per_asset)


FillConvention = Literal["net", "bt"]


class PortfolioConfig(_Strict):
    """One managed model portfolio; `params` is validated by the strategy's own model."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    risk_profile: RiskProfile
    strategy: str
    params: Any = None
    universe: list[str] | None = None
    rebalance: RebalanceRule = RebalanceRule()
    benchmark: str | None = None
    base_currency: Literal["USD"] = "USD"
    initial_capital: float = Field(1_000_000.0, gt=0)
    inception: dt.date = dt.date(1990, 1, 2)
    fractional_units: bool = True
    allow_leverage: bool = False
    cash_buffer: float = Field(0.0, ge=0, lt=1)
    costs: CostModel = CostModel()
    weight_bounds: tuple[float, float] = (0.0, 1.0)
    max_leverage: float = Field(1.0, ge=1.0, le=10.0)
    accrue_cash: bool = True
    fill_convention: FillConvention = "net"

    @model_validator(mode="after")
    def _check_bounds(self) -> PortfolioConfig:
        lo, hi = self.weight_bounds
        if not 0 <= lo <= hi:
            raise ValueError("weight_bounds must satisfy 0 <= min <= max")
        if hi > 1 and not self.allow_leverage:
            raise ValueError("weight_bounds max above 1 needs allow_leverage")
        if self.max_leverage > 1 and not self.allow_leverage:
            raise ValueError("max_leverage above 1 needs allow_leverage")
        return self

    @property
    def symbols(self) -> list[str]:
        """Risky symbols the portfolio may hold (cash is held as a balance, not a position)."""
        assert self.universe is not None, "universe is resolved at load time"
        return list(self.universe)


def _read_yaml(path: Path) -> Any:
    try:
        with path.open() as fh:
            return yaml.safe_load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc


def _format_errors(exc: ValidationError, prefix: str = "") -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in (prefix, *err["loc"]) if x != "")
        parts.append(f"field '{loc}': {err['msg']}")
    return "; ".join(parts)


def load_universe(path: Path) -> Universe:
    raw = _read_yaml(path)
    try:
        return Universe.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_format_errors(exc)}") from exc


def load_portfolios(path: Path, universe: Universe) -> list[PortfolioConfig]:
    """Parse and validate every portfolio, including its strategy parameters and universe."""
    from pipelines.allocation.registry import get_strategy_class  # registry imports strategies

    raw = _read_yaml(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("portfolios"), list):
        raise ConfigError(f"{path}: expected a mapping with a 'portfolios' list")
    defaults = raw.get("defaults") or {}
    known = set(universe.symbols)
    out: list[PortfolioConfig] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw["portfolios"]):
        pid = entry.get("id", f"#{i}") if isinstance(entry, dict) else f"#{i}"
        where = f"{path}: portfolio '{pid}'"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a mapping")
        merged = {**defaults, **entry}
        try:
            cfg = PortfolioConfig.model_validate(merged)
        except ValidationError as exc:
            raise ConfigError(f"{where}: {_format_errors(exc)}") from exc
        if cfg.id in seen:
            raise ConfigError(f"{where}: field 'id': duplicate portfolio id")
        seen.add(cfg.id)
        try:
            strategy_cls = get_strategy_class(cfg.strategy)
        except KeyError as exc:
            raise ConfigError(f"{where}: field 'strategy': {exc.args[0]}") from exc
        try:
            params = strategy_cls.Params.model_validate(cfg.params or {})
        except ValidationError as exc:
            raise ConfigError(f"{where}: {_format_errors(exc, 'params')}") from exc
        symbols = cfg.universe or strategy_cls.default_universe(params, universe)
        unknown = [s for s in symbols if s not in known]
        if unknown:
            raise ConfigError(f"{where}: field 'universe': unknown symbols {unknown}")
        if universe.cash_symbol in symbols:
            raise ConfigError(f"{where}: field 'universe': {universe.cash_symbol} is held as the cash "
                              "balance; leave it out of the universe")
        stray = [s for s in cfg.rebalance.drift_per_asset if s not in symbols]
        if stray:
            raise ConfigError(f"{where}: field 'rebalance.drift_per_asset': symbols outside the "
                              f"portfolio {stray}")
        try:
            strategy_cls.check_universe(params, symbols, universe)
        except ValueError as exc:
            raise ConfigError(f"{where}: field 'params': {exc}") from exc
        if cfg.benchmark is not None and cfg.benchmark not in known and cfg.benchmark not in {
                p.get("id") for p in raw["portfolios"] if isinstance(p, dict)}:
            raise ConfigError(f"{where}: field 'benchmark': {cfg.benchmark!r} is neither a symbol "
                              "nor a portfolio id")
        out.append(cfg.model_copy(update={"params": params, "universe": list(symbols)}))
    return out
