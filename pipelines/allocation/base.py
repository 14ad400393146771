"""The contract every allocation strategy follows.

A strategy is built from its validated, frozen `Params` and has one method, `allocate`, from an
immutable `AllocationContext` (data known at the close of date D, nothing later) to an
`Allocation`: target weights over the portfolio's symbols plus the cash symbol, and the version
of the model that produced them (None for rules without a model). It does no I/O and keeps no
state between dates: model outputs reach it through `ctx.models`, a point-in-time view the
caller builds for D, and path-dependent rules read the portfolio's own values in
`ctx.portfolio`. What a strategy needs from the caller (history in trading days, the portfolio
view, models, borrowing) it declares in `needs`.

Weights are long-only unless `needs.borrowing` (the cash weight may then go negative) and sum
to one; `checked` enforces that on every date.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from pipelines.config import Universe


class StrategyParams(BaseModel):
    """Base for every strategy's parameters: unknown keys and non-finite numbers are errors,
    values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class AllocationError(ValueError):
    """A strategy cannot produce weights for this date; the message says why."""


@dataclass(frozen=True)
class Needs:
    """What a strategy asks of the caller.

    lookback: trading days of prices ending at D that `ctx.prices` must hold (the daily run
        reads exactly this many rows, the backfill slices the same rows).
    price_only: the weights are a function of the day's prices alone (`PriceOnlyStrategy`):
        the engine may compute a whole history of them at once.
    portfolio: the strategy reads `ctx.portfolio` (its own NAV path: path-dependent rules).
    models: the strategy reads `ctx.models`; a backfill trains the models first.
    borrowing: the cash weight may go below zero (a leveraged overlay).
    """

    lookback: int = 1
    price_only: bool = False
    portfolio: bool = False
    models: bool = False
    borrowing: bool = False


@dataclass(frozen=True)
class ModelOutput:
    """A model's output for one date and the version that produced it (None: no model yet)."""

    value: Any
    version: str | None


class ModelView(Protocol):
    """Point-in-time model outputs at one date, built by the caller (pipelines.modeling)."""

    def risk_off(self) -> ModelOutput:
        """P(next month is risk-off) from the latest refit trained before the date (value
        None before the first refit or while features warm up)."""

    def bear(self, kind: str) -> ModelOutput:
        """P(bear state) of the causal regime model `kind` (mixture, hmm, jump) filtered through
        the close of the date, from the latest refit trained before it (None before the first)."""

    def factor_fit(self, assets: Sequence[str], factors: Sequence[str], window: int,
                   min_months: int) -> ModelOutput:
        """The factor model estimated at the close of the date (value: a FactorFit or None)."""

    def neural_weights(self, symbols: Sequence[str], params: StrategyParams) -> ModelOutput:
        """The neural policy's weights at the close of the date (value: a Series over the
        symbols and cash), from the latest refit trained before the date for this setup
        (value None before the first refit)."""


@dataclass(frozen=True)
class PortfolioView:
    """The portfolio's own values, for path-dependent strategies.

    nav_history: NAV at each close up to the previous trading date (empty before inception).
    nav: the NAV at the close of D before D's trades (holdings marked at D's prices).
    """

    nav_history: pd.Series
    nav: float


@dataclass(frozen=True)
class AllocationContext:
    """What a strategy may see when it allocates for `date`.

    prices: (n_dates, n_assets) adjusted closes of the portfolio's symbols and the cash symbol,
        ascending index, last row is `date`; never any row after it.
    """

    date: pd.Timestamp
    prices: pd.DataFrame
    symbols: Sequence[str]
    cash_symbol: str
    asset_classes: Mapping[str, str]
    portfolio: PortfolioView | None = None
    models: ModelView | None = None

    def __post_init__(self) -> None:
        if len(self.prices) and self.prices.index[-1] > self.date:
            raise AllocationError(f"prices run past {self.date.date()}: look-ahead refused")

    @property
    def order(self) -> list[str]:
        """The order of a full weight vector: the portfolio's symbols, then the cash symbol."""
        return [*self.symbols, self.cash_symbol]

    def require_models(self, strategy: str) -> ModelView:
        if self.models is None:
            raise AllocationError(f"{strategy}: needs model outputs, but the caller passed none")
        return self.models

    def require_portfolio(self, strategy: str) -> PortfolioView:
        if self.portfolio is None:
            raise AllocationError(f"{strategy}: needs the portfolio's NAV, but the caller passed none")
        return self.portfolio


@dataclass(frozen=True)
class Allocation:
    """Weights as labels and values (any subset of the symbols plus cash; repeated labels add)
    and the version of the model that produced them."""

    labels: Sequence[str]
    values: np.ndarray
    model_version: str | None = None

    @classmethod
    def of(cls, weights: pd.Series | Mapping[str, float], model_version: str | None = None) -> Allocation:
        s = pd.Series(weights, dtype=float)
        return cls(s.index.tolist(), s.to_numpy(dtype=float), model_version)

    def series(self) -> pd.Series:
        return pd.Series(np.asarray(self.values, dtype=float), index=list(self.labels))


class Strategy(ABC):
    """One allocation rule. Subclasses set `name` and `Params` and write `allocate`."""

    name: ClassVar[str]
    Params: ClassVar[type[StrategyParams]] = StrategyParams

    def __init__(self, params: StrategyParams) -> None:
        if not isinstance(params, self.Params):
            raise TypeError(f"{self.name}: expected {self.Params.__name__}, got {type(params).__name__}")
        self.params = params

    @classmethod
    def resolve_universe(cls, params: StrategyParams, given: Sequence[str] | None,
                         universe: Universe) -> list[str]:
        """The symbols the portfolio holds: `given` (the config's list) or the strategy's default
        (every risky asset); raises ValueError when the parameters name symbols outside them."""
        if given is not None:
            return list(given)
        return [s for s in universe.symbols if s != universe.cash_symbol]

    @property
    def needs(self) -> Needs:
        return Needs()

    @abstractmethod
    def allocate(self, ctx: AllocationContext) -> Allocation:
        """Target weights for `ctx.date` (cash symbol included), summing to one."""

    def target(self, ctx: AllocationContext) -> tuple[np.ndarray, str | None]:
        """`allocate`, checked: (weights over `ctx.order`, model version)."""
        alloc = self.allocate(ctx)
        return checked(self.name, ctx, alloc, self.needs.borrowing), alloc.model_version

    def target_weights(self, ctx: AllocationContext) -> pd.Series:
        """The checked weights as a Series over `ctx.order`."""
        return pd.Series(self.target(ctx)[0], index=ctx.order)


class PriceOnlyStrategy(Strategy):
    """Weights that depend on the day's prices alone (static mixes, equal weight): a whole
    history of rebalance dates is one array expression, which the engine's vectorised kernel
    uses; `allocate` is the same function on one date."""

    @property
    def needs(self) -> Needs:
        return Needs(price_only=True)

    @abstractmethod
    def price_weights(self, symbols: Sequence[str], prices: np.ndarray) -> np.ndarray:
        """(m, N) risky weights over `symbols` from the (m, N) closes of m dates."""

    def constant_weights(self, symbols: Sequence[str]) -> np.ndarray | None:
        """(N,) risky weights when they never depend on prices (a static mix), else None."""
        return None

    def allocate(self, ctx: AllocationContext) -> Allocation:
        last = ctx.prices.iloc[-1].reindex(list(ctx.symbols)).to_numpy(dtype=float)
        w = self.price_weights(ctx.symbols, last[None])[0]
        return Allocation([*ctx.symbols, ctx.cash_symbol], np.append(w, 1.0 - w.sum()))


def checked(name: str, ctx: AllocationContext, alloc: Allocation, borrowing: bool = False) -> np.ndarray:
    """The contract checks on an allocation: known symbols, finite, non-negative (the cash
    weight may be negative only when `borrowing`), summing to one. Returns the full weight
    vector over `ctx.order`."""
    order = ctx.order
    position = {s: i for i, s in enumerate(order)}
    labels, values = list(alloc.labels), np.asarray(alloc.values, dtype=float)
    extra = sorted(s for s in labels if s not in position)
    if extra:
        raise AllocationError(f"{name}: weights for symbols outside the portfolio: {extra}")
    if not np.all(np.isfinite(values)):
        shown = dict(zip(labels, values.tolist(), strict=True))
        raise AllocationError(f"{name}: non-finite weights on {ctx.date.date()}: {shown}")
    full = np.zeros(len(order))
    np.add.at(full, [position[s] for s in labels], values)
    negative = full < -1e-12
    if borrowing:
        negative[-1] = False
    if negative.any():
        bad = {s: float(x) for s, x, n in zip(order, full, negative, strict=True) if n}
        raise AllocationError(f"{name}: negative weights on {ctx.date.date()}: {bad}")
    total = float(full.sum())
    if abs(total - 1.0) > 1e-9:
        raise AllocationError(f"{name}: weights sum to {total!r}, not 1, on {ctx.date.date()}")
    full[:-1] = np.maximum(full[:-1], 0.0)
    if not borrowing:
        full[-1] = max(full[-1], 0.0)
    return full
