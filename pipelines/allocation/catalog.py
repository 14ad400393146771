"""The managed portfolios bound to their strategies: every portfolio's strategy parameters
validated by the strategy's own model and its universe resolved, when the config loads.

`pipelines.config` parses the file; this module is the only place that joins a portfolio to
its strategy, so a bad parameter fails here with a message naming the portfolio and field.
"""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import ValidationError

from pipelines.allocation.base import Strategy
from pipelines.allocation.registry import get_strategy_class
from pipelines.config import (
    ConfigError,
    PortfolioConfig,
    Settings,
    Universe,
    format_errors,
    load_universe,
    portfolio_where,
    read_portfolio_entries,
)


def bind(cfg: PortfolioConfig, universe: Universe, where: str) -> PortfolioConfig:
    """`cfg` with its parameters validated by its strategy and its universe resolved."""
    try:
        strategy_cls = get_strategy_class(cfg.strategy)
    except KeyError as exc:
        raise ConfigError(f"{where}: field 'strategy': {exc.args[0]}") from exc
    try:
        params = strategy_cls.Params.model_validate(cfg.params or {})
    except ValidationError as exc:
        raise ConfigError(f"{where}: {format_errors(exc, 'params')}") from exc
    try:
        symbols = strategy_cls.resolve_universe(params, cfg.universe, universe)
    except ValueError as exc:
        raise ConfigError(f"{where}: field 'params': {exc}") from exc
    unknown = [s for s in symbols if s not in set(universe.symbols)]
    if unknown:
        raise ConfigError(f"{where}: field 'universe': unknown symbols {unknown}")
    if universe.cash_symbol in symbols:
        raise ConfigError(f"{where}: field 'universe': {universe.cash_symbol} is held as the cash "
                          "balance; leave it out of the universe")
    stray = [s for s in cfg.rebalance.drift_per_asset if s not in symbols]
    if stray:
        raise ConfigError(f"{where}: field 'rebalance.drift_per_asset': symbols outside the "
                          f"portfolio {stray}")
    return cfg.model_copy(update={"params": params, "universe": list(symbols)})


def load_portfolios(path: Path, universe: Universe) -> list[PortfolioConfig]:
    """Parse and validate every portfolio, including its strategy parameters and universe."""
    return [bind(cfg, universe, portfolio_where(path, {"id": cfg.id}, i))
            for i, cfg in enumerate(read_portfolio_entries(path, universe))]


@functools.lru_cache(maxsize=16)
def _book(path: Path, universe_path: Path, mtimes: tuple[float, float]) -> tuple[PortfolioConfig, ...]:
    return tuple(load_portfolios(path, load_universe(universe_path)))


def portfolios(settings: Settings) -> list[PortfolioConfig]:
    """The managed portfolios of `settings` (cached until a config file changes)."""
    paths = (settings.portfolios_path, settings.universe_path)
    mtimes = tuple(p.stat().st_mtime_ns if p.exists() else 0 for p in paths)
    return list(_book(*paths, mtimes))


def portfolio(settings: Settings, portfolio_id: str) -> PortfolioConfig:
    for p in portfolios(settings):
        if p.id == portfolio_id:
            return p
    known = ", ".join(p.id for p in portfolios(settings))
    raise ConfigError(f"unknown portfolio {portfolio_id!r}; known: {known}")


def build_strategy(cfg: PortfolioConfig) -> Strategy:
    return get_strategy_class(cfg.strategy)(cfg.params)
