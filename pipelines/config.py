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
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipelines import identifiers
from pipelines.yaml_files import YamlFileError, read_yaml

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
        return load_universe(self.universe_path)

    @property
    def incoming_dir(self) -> Path:
        """Batches the quality gate is checking (moved to curated or quarantine when done)."""
        return self.data_root / "lake" / "incoming"

    @property
    def inbox_dir(self) -> Path:
        """Where the `files` source picks up dropped price and macro files."""
        return self.data_root / "inbox"

    @property
    def quality_dir(self) -> Path:
        return self.data_root / "quality"

    @property
    def gx_dir(self) -> Path:
        """Great Expectations' file context (suites, validation results, Data Docs)."""
        return self.data_root

    @property
    def gx_docs_index(self) -> Path:
        return self.data_root / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"

    @property
    def models_dir(self) -> Path:
        return self.data_root / "models"

    @property
    def compile_cache_dir(self) -> Path:
        """JAX's persistent compilation cache (the neural policy's programs, reused across runs)."""
        return self.data_root / "cache" / "jax"

    @property
    def quality_path(self) -> Path:
        return self.config_dir / "quality.yaml"

    @property
    def universe_path(self) -> Path:
        return self.config_dir / "universe.yaml"

    @property
    def portfolios_path(self) -> Path:
        return self.config_dir / "portfolios.yaml"

    @property
    def evidence_path(self) -> Path:
        return self.config_dir / "evidence.yaml"

    @cached_property
    def evidence(self) -> EvidenceConfig:
        return load_evidence(self.evidence_path)


# --------------------------------------------------------------------------- universe

AssetClass = Literal["equity", "government_bonds", "cash", "commodity"]


class _Strict(BaseModel):
    """Unknown keys, and infinite or NaN numbers, are errors (a `.inf` limit is no limit)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _checked(check):
    """`check` (from `pipelines.identifiers`) as a pydantic validator with a plain message."""
    def run(value: str) -> str:
        try:
            return check(value)
        except identifiers.InvalidIdentifier as exc:
            raise ValueError(str(exc)) from None
    return AfterValidator(run)


Symbol = Annotated[str, _checked(identifiers.check_symbol)]
SeriesId = Annotated[str, _checked(identifiers.check_series)]
PortfolioId = Annotated[str, _checked(identifiers.check_portfolio_id)]
ConfigDate = Annotated[dt.date, AfterValidator(lambda d: identifiers.check_date(d, "date"))]
# Money limits: large enough for any real book, small enough that no product overflows.
MAX_MONEY = 1e13


class Asset(_Strict):
    symbol: Symbol
    name: str
    asset_class: AssetClass
    sector: str


ReleaseLag = Literal["same_day", "month_end", "next_month_end"] | dict[str, int]


class MacroSeries(_Strict):
    series: SeriesId
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
    cash_symbol: Symbol
    calendar_symbol: Symbol
    assets: list[Asset]
    macro_series: list[MacroSeries]

    @model_validator(mode="after")
    def _check(self) -> Universe:
        symbols = [a.symbol for a in self.assets]
        dupes = sorted({s for s in symbols if symbols.count(s) > 1})
        if dupes:
            raise ValueError(f"duplicate symbols: {dupes}")
        series = [m.series for m in self.macro_series]
        dupes = sorted({s for s in series if series.count(s) > 1})
        if dupes:
            raise ValueError(f"duplicate macro series: {dupes}")
        for field in ("cash_symbol", "calendar_symbol"):
            if getattr(self, field) not in symbols:
                raise ValueError(f"{field} {getattr(self, field)!r} is not an asset of the universe")
        return self

    @property
    def symbols(self) -> list[str]:
        return [a.symbol for a in self.assets]

    @property
    def stocks(self) -> list[str]:
        """The single stocks (equities other than indices): style factors are built from them."""
        return [a.symbol for a in self.assets if a.asset_class == "equity" and a.sector != "index"]

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
    min_commission: float = Field(0.0, ge=0, le=1e6)
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
    drift_per_asset: dict[Symbol, DriftBand] = Field(default_factory=dict)
    to: Literal["target", "edge"] = "target"
    min_trade_value: float = Field(0.0, ge=0, le=MAX_MONEY)
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

    id: PortfolioId
    name: str
    risk_profile: RiskProfile
    strategy: str
    params: Any = None
    universe: list[Symbol] | None = None
    rebalance: RebalanceRule = RebalanceRule()
    benchmark: str | None = None
    base_currency: Literal["USD"] = "USD"
    initial_capital: float = Field(1_000_000.0, gt=0, le=MAX_MONEY)
    inception: ConfigDate = dt.date(1990, 1, 2)
    fractional_units: bool = True
    allow_leverage: bool = False
    cash_buffer: float = Field(0.0, ge=0, lt=1)
    costs: CostModel = CostModel()
    weight_bounds: tuple[float, float] = (0.0, 1.0)
    max_leverage: float = Field(1.0, ge=1.0, le=10.0)
    max_stale_days: int = Field(5, ge=0, le=60, description="trading days a missing price may be "
                                "carried forward to mark a held asset (never to trade it)")
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
        return read_yaml(path)
    except YamlFileError as exc:
        raise ConfigError(str(exc)) from None


def format_errors(exc: ValidationError, prefix: str = "") -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in (prefix, *err["loc"]) if x != "")
        parts.append(f"field '{loc}': {err['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)


def load_universe(path: Path) -> Universe:
    raw = _read_yaml(path)
    try:
        return Universe.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {format_errors(exc)}") from exc


def read_portfolio_entries(path: Path, universe: Universe) -> list[PortfolioConfig]:
    """Parse every portfolio's own fields (strategy parameters stay raw: the strategy catalog,
    `pipelines.allocation.catalog`, validates them against the strategy's model)."""
    raw = _read_yaml(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("portfolios"), list):
        raise ConfigError(f"{path}: expected a mapping with a 'portfolios' list")
    defaults = raw.get("defaults") or {}
    ids = {p.get("id") for p in raw["portfolios"] if isinstance(p, dict)}
    known = set(universe.symbols)
    out: list[PortfolioConfig] = []
    for i, entry in enumerate(raw["portfolios"]):
        where = portfolio_where(path, entry, i)
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a mapping")
        try:
            cfg = PortfolioConfig.model_validate({**defaults, **entry})
        except ValidationError as exc:
            raise ConfigError(f"{where}: {format_errors(exc)}") from exc
        if cfg.id in {c.id for c in out}:
            raise ConfigError(f"{where}: field 'id': duplicate portfolio id")
        if cfg.universe is not None:
            unknown = [s for s in cfg.universe if s not in known]
            if unknown:
                raise ConfigError(f"{where}: field 'universe': unknown symbols {unknown}")
        if cfg.benchmark is not None and cfg.benchmark not in known and cfg.benchmark not in ids:
            raise ConfigError(f"{where}: field 'benchmark': {cfg.benchmark!r} is neither a symbol "
                              "nor a portfolio id")
        out.append(cfg)
    return out


def portfolio_where(path: Path, entry: Any, i: int) -> str:
    """How messages name a portfolio entry: the file and the id (or its position)."""
    pid = entry.get("id", f"#{i}") if isinstance(entry, dict) else f"#{i}"
    return f"{path}: portfolio '{pid}'"


# --------------------------------------------------------------------------- evidence


class CPCVConfig(_Strict):
    groups: int = Field(6, ge=3, le=16)
    test_groups: int = Field(2, ge=1, le=8)
    embargo: float = Field(0.01, ge=0, lt=0.5)

    @model_validator(mode="after")
    def _fewer_test_groups(self) -> CPCVConfig:
        if self.test_groups >= self.groups:
            raise ValueError("test_groups must be fewer than groups")
        return self


class EvidenceConfig(_Strict):
    """How the analytics step tests each portfolio's edge (`config/evidence.yaml`)."""

    reference: PortfolioId = "static_60_40"
    level: float = Field(0.95, gt=0.5, lt=1)
    seed: int = Field(7, ge=0)
    bootstrap_reps: int = Field(1000, ge=100, le=100_000)
    spa_reps: int = Field(1000, ge=100, le=100_000)
    cpcv: CPCVConfig = CPCVConfig()
    pbo_blocks: int = Field(8, ge=2, le=16)

    @field_validator("pbo_blocks")
    @classmethod
    def _even(cls, v: int) -> int:
        if v % 2:
            raise ValueError("pbo_blocks must be even")
        return v


def load_evidence(path: Path) -> EvidenceConfig:
    """The evidence settings; the defaults when the file is absent."""
    if not path.exists():
        return EvidenceConfig()
    raw = _read_yaml(path)
    try:
        return EvidenceConfig.model_validate(raw or {})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {format_errors(exc)}") from exc
