"""The contract every allocation strategy follows.

A strategy is constructed from its validated `Params` and maps an `AllocationContext` (data
known at the close of date D, nothing later) to target weights over the portfolio's symbols
plus the cash symbol. Weights are long-only unless a strategy says otherwise and sum to one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from pipelines.config import Universe


class StrategyParams(BaseModel):
    """Base for every strategy's parameters: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class AllocationError(ValueError):
    """A strategy cannot produce weights for this date; the message says why."""


@dataclass(frozen=True)
class AllocationContext:
    """What a strategy may see when it allocates for `date`.

    prices: (n_dates, n_assets) adjusted closes of the portfolio's symbols and the cash symbol,
        ascending index, last row is `date`; never any row after it.
    nav_history: the portfolio's own NAV up to the previous date, for path-dependent strategies;
        None unless the strategy's `reads_nav_history` is True.
    """

    date: pd.Timestamp
    prices: pd.DataFrame
    symbols: Sequence[str]
    cash_symbol: str
    asset_classes: Mapping[str, str]
    nav_history: pd.Series | None = None

    def __post_init__(self) -> None:
        if len(self.prices) and self.prices.index[-1] > self.date:
            raise AllocationError(f"prices run past {self.date.date()}: look-ahead refused")


class Strategy(ABC):
    """One allocation rule. Subclasses set `name`, `Params` and implement `weights`."""

    name: ClassVar[str]
    Params: ClassVar[type[StrategyParams]] = StrategyParams
    # Model-driven strategies read the model registry; a backfill trains and publishes first.
    uses_models: ClassVar[bool] = False

    def __init__(self, params: StrategyParams) -> None:
        self.params = params

    @classmethod
    def default_universe(cls, params: StrategyParams, universe: Universe) -> list[str]:
        """Symbols held when the portfolio does not list its own: every risky asset."""
        return [s for s in universe.symbols if s != universe.cash_symbol]

    @classmethod
    def check_universe(cls, params: StrategyParams, symbols: Sequence[str],
                       universe: Universe) -> None:
        """Raise ValueError when the parameters refer to symbols outside the portfolio."""
        return None

    @property
    def lookback_days(self) -> int:
        """Trading days of history the strategy needs; the daily run loads at least this many."""
        return 1

    @property
    def reads_nav_history(self) -> bool:
        """True when `weights` reads `ctx.nav_history`; the engine builds that series only then."""
        return False

    @property
    def allows_borrowing(self) -> bool:
        """True when the weights may put the cash symbol below zero (a leveraged overlay)."""
        return False

    @abstractmethod
    def weights(self, ctx: AllocationContext) -> pd.Series:
        """Target weights indexed by symbol (cash symbol included), summing to one."""

    def target_weights(self, ctx: AllocationContext) -> pd.Series:
        """Weights checked for the contract: finite, non-negative (cash may be negative only for
        a strategy that `allows_borrowing`), summing to one, known symbols; every portfolio
        symbol and the cash symbol appear, in that order."""
        return pd.Series(self.target_array(ctx), index=[*ctx.symbols, ctx.cash_symbol])

    def target_array(self, ctx: AllocationContext) -> np.ndarray:
        """`target_weights` as a bare array over [*ctx.symbols, ctx.cash_symbol] (the engine's
        per-date call: no index is built)."""
        w = self.weights(ctx)
        return self._checked(ctx, w.index.tolist(), w.to_numpy(dtype=float), w)

    def _checked(self, ctx: AllocationContext, labels: list[str], values: np.ndarray,
                 w: pd.Series | None = None) -> np.ndarray:
        """The contract checks of `target_weights` on weights given as labels and values."""
        order = [*ctx.symbols, ctx.cash_symbol]
        position = {s: i for i, s in enumerate(order)}
        extra = sorted(s for s in labels if s not in position)
        if extra:
            raise AllocationError(f"{self.name}: weights for symbols outside the portfolio: {extra}")
        if not np.all(np.isfinite(values)):
            shown = w.to_dict() if w is not None else dict(zip(labels, values.tolist(), strict=True))
            raise AllocationError(f"{self.name}: non-finite weights on {ctx.date.date()}: {shown}")
        full = np.zeros(len(order))
        np.add.at(full, [position[s] for s in labels], values)
        negative = full < -1e-12
        if self.allows_borrowing:
            negative[-1] = False
        if negative.any():
            bad = {s: float(x) for s, x, n in zip(order, full, negative, strict=True) if n}
            raise AllocationError(f"{self.name}: negative weights on {ctx.date.date()}: {bad}")
        total = float(full.sum())
        if abs(total - 1.0) > 1e-9:
            raise AllocationError(f"{self.name}: weights sum to {total!r}, not 1, on {ctx.date.date()}")
        full[:-1] = np.maximum(full[:-1], 0.0)
        if not self.allows_borrowing:
            full[-1] = max(full[-1], 0.0)
        return full


class ArrayStrategy(Strategy):
    """A strategy that computes its weights as labels and values in numpy: the engine's
    per-date call never builds a Series; `weights` builds one for everyone else."""

    @abstractmethod
    def weight_parts(self, ctx: AllocationContext) -> tuple[list[str], np.ndarray]:
        """Symbols (cash included) and their weights."""

    def weights(self, ctx: AllocationContext) -> pd.Series:
        labels, values = self.weight_parts(ctx)
        return pd.Series(values, index=labels)

    def target_array(self, ctx: AllocationContext) -> np.ndarray:
        return self._checked(ctx, *self.weight_parts(ctx))
