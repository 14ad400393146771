"""What the window-based strategies share: typed window parameters, the return window they
estimate on, the documented fallback, and turning risky weights into a full weight vector.

Eligibility rule (documented fallback for thin data): within the last `window_days` returns
ending at D, an asset is eligible when it has a price on D, at least `min_history_days` finite
returns and a non-zero variance; estimation uses the rows where every eligible asset has a
return. Ineligible assets get weight zero. When no asset is eligible (a window that is all NaN,
the first days after inception, constant prices) the strategy applies its `fallback`:
`equal_weight` (1/N over the symbols priced on D), `cash` (everything in the cash symbol) or
`error` (raise AllocationError).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from pipelines.allocation.base import Allocation, AllocationContext, AllocationError, Needs, Strategy, StrategyParams
from pipelines.allocation.covariance import CovarianceMethod, estimate_covariance

Fallback = Literal["equal_weight", "cash", "error"]


class WindowParams(StrategyParams):
    """Parameters of a strategy estimated on a trailing window of daily returns."""

    window_days: int = Field(252, ge=2, le=5040, description="returns in the estimation window")
    min_history_days: int = Field(63, ge=2, description="returns an asset needs to be eligible")
    covariance: CovarianceMethod = "sample"
    halflife_days: float = Field(63.0, gt=0, description="half-life of the ewma estimator")
    fallback: Fallback = "equal_weight"

    @model_validator(mode="after")
    def _history_fits(self) -> WindowParams:
        if self.min_history_days > self.window_days:
            raise ValueError(f"min_history_days ({self.min_history_days}) exceeds window_days "
                             f"({self.window_days})")
        return self


@dataclass(frozen=True)
class ReturnWindow:
    """Daily simple returns of the eligible assets: `returns` is (n_obs, len(symbols)), no NaN."""

    symbols: list[str]
    returns: np.ndarray
    excluded: list[str]


def _columns_tail(prices: pd.DataFrame, symbols: list[str], rows: int) -> np.ndarray:
    """`prices.reindex(columns=symbols).iloc[-rows:]` as a float array (NaN for absent columns),
    without building the intermediate frames."""
    tail = prices.iloc[-rows:] if rows > 0 else prices.iloc[len(prices):]
    at = prices.columns.get_indexer(symbols)
    out = np.full((len(tail), len(symbols)), np.nan)
    for j, i in enumerate(at):
        if i >= 0:
            out[:, j] = tail.iloc[:, i].to_numpy(dtype=float)
    return out


def return_window(ctx: AllocationContext, symbols: Sequence[str], window_days: int,
                  min_history_days: int) -> ReturnWindow:
    """The last `window_days` returns ending at D for the eligible `symbols` (see module doc)."""
    symbols = list(symbols)
    prices = _columns_tail(ctx.prices, symbols, window_days + 1)
    if len(prices) < 2:
        return ReturnWindow([], np.empty((0, 0)), symbols)
    with np.errstate(divide="ignore", invalid="ignore"):
        rets = prices[1:] / prices[:-1] - 1.0
    finite = np.isfinite(rets)
    priced_today = np.isfinite(prices[-1]) & (prices[-1] > 0)
    ok = priced_today & (finite.sum(axis=0) >= min_history_days)
    rows = finite[:, ok].all(axis=1)
    if ok.any() and rows.sum() >= min_history_days:
        std = rets[rows][:, ok].std(axis=0)
        idx = np.flatnonzero(ok)
        ok[idx[~(std > 0)]] = False
        rows = finite[:, ok].all(axis=1)
    if not ok.any() or rows.sum() < min_history_days:
        return ReturnWindow([], np.empty((0, 0)), symbols)
    kept = [s for s, k in zip(symbols, ok, strict=True) if k]
    return ReturnWindow(kept, rets[rows][:, ok], [s for s, k in zip(symbols, ok, strict=True) if not k])


def fallback_weights(ctx: AllocationContext, symbols: Sequence[str], fallback: Fallback,
                     strategy: str, reason: str) -> Allocation:
    """The documented fallback when a strategy cannot estimate its inputs on `ctx.date`."""
    if fallback == "error":
        raise AllocationError(f"{strategy}: {reason} on {ctx.date.date()}")
    if fallback == "cash":
        return Allocation([ctx.cash_symbol], np.array([1.0]))
    last = ctx.prices.iloc[-1].reindex(list(symbols)).to_numpy(dtype=float)
    live = [s for s, p in zip(symbols, last, strict=True) if np.isfinite(p) and p > 0]
    if not live:
        return Allocation([ctx.cash_symbol], np.array([1.0]))
    return Allocation(live, np.full(len(live), 1.0 / len(live)))


def with_cash(risky: pd.Series, ctx: AllocationContext, model_version: str | None = None) -> Allocation:
    """Risky weights plus the cash symbol carrying 1 - sum (dust below 1e-12 rounded away)."""
    labels, values = with_cash_parts(risky.index.tolist(), risky.to_numpy(dtype=float), ctx.cash_symbol)
    return Allocation(labels, values, model_version)


def with_cash_parts(labels: Sequence[str], values: np.ndarray, cash_symbol: str) -> tuple[list[str], np.ndarray]:
    """`with_cash` on labels and values, for strategies that skip building Series per date."""
    keep = [s != cash_symbol for s in labels]
    values = np.asarray(values, dtype=float)[np.array(keep, dtype=bool)]
    values = np.where(np.abs(values) > 1e-15, values, 0.0)
    cash = 1.0 - float(values.sum())
    if abs(cash) < 1e-12:
        cash = 0.0
    return [s for s, k in zip(labels, keep, strict=True) if k] + [cash_symbol], np.append(values, cash)


def risky_symbols(ctx: AllocationContext) -> list[str]:
    """The portfolio's symbols other than the cash symbol."""
    return [s for s in ctx.symbols if s != ctx.cash_symbol]


class WindowedStrategy(Strategy):
    """A strategy estimated on the trailing return window: the lookback and the fallback when
    no asset qualifies are written here once; subclasses write `from_window`."""

    params: WindowParams

    @property
    def needs(self) -> Needs:
        return Needs(lookback=self.params.window_days + 1, models=self.params.covariance == "factor")

    def allocate(self, ctx: AllocationContext) -> Allocation:
        p = self.params
        symbols = risky_symbols(ctx)
        win = return_window(ctx, symbols, p.window_days, p.min_history_days)
        if not win.symbols:
            return fallback_weights(ctx, symbols, p.fallback, self.name,
                                    f"no asset has {p.min_history_days} returns in the window")
        return self.from_window(ctx, win, symbols)

    def covariance(self, ctx: AllocationContext, win: ReturnWindow) -> np.ndarray:
        """The window's covariance by the configured estimator (`factor`: the model's)."""
        p = self.params
        return estimate_covariance(win.returns, p.covariance, p.halflife_days, symbols=win.symbols,
                                   models=ctx.models if p.covariance == "factor" else None)

    @abstractmethod
    def from_window(self, ctx: AllocationContext, win: ReturnWindow, symbols: list[str]) -> Allocation:
        """Weights from the eligible assets' returns (`win`); `symbols` are all risky symbols."""
