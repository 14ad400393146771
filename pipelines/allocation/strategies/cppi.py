"""CPPI (constant proportion portfolio insurance), with optional ratchet (TIPP).

Textbook rule at the close of each date t, on the portfolio value V_t:
    floor    F_t = floor_pct * V_0            (ratchet: floor_pct * max_{s<=t} V_s, i.e. TIPP)
    cushion  C_t = max(V_t - F_t, 0)
    exposure E_t = clip(multiplier * C_t / V_t, min_exposure, max_exposure)  (share of V_t)
and the risky asset gets E_t, the safe asset (default: cash) 1 - E_t. With daily rebalancing and
no gap, V stays above F while the risky asset's one-day loss stays below 1 / multiplier.

Path dependence: the engine passes `ctx.portfolio`: the portfolio's NAV up to the previous
trading date and its real value at the close of D before trading (its holdings marked at D's
prices). V_0 is the first NAV (the close of inception, after the first trades; the initial
capital when trading is free), so the floor is anchored there, and V_t is the real pre-trade
value, whatever tickets were skipped or however coarse the calendar. CPPI wants daily
rebalancing (`rebalance: {frequency: daily}`; add `min_trade_weight` to skip tiny trades);
under a coarser calendar the exposure reacts only on rebalance dates. On the first date (empty
history) V_t / V_0 = 1, so E = multiplier * (1 - floor_pct).

Example portfolio params:

    strategy: cppi
    universe: [SPX]           # risky asset; add safe_asset to the universe when it is not cash
    rebalance: {frequency: daily, min_trade_weight: 0.005}
    params: {risky_asset: SPX, multiplier: 4, floor_pct: 0.8, ratchet: true, max_exposure: 1.0}
    # bond floor instead of cash:
    params: {risky_asset: SPX, safe_asset: UST2Y, multiplier: 3, floor_pct: 0.85}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field, model_validator

from pipelines.allocation.base import Allocation, AllocationContext, AllocationError, Needs, Strategy, StrategyParams
from pipelines.allocation.registry import register

if TYPE_CHECKING:
    from pipelines.config import Universe


class CPPIParams(StrategyParams):
    risky_asset: str
    safe_asset: str | None = Field(None, description="default: the cash symbol")
    multiplier: float = Field(3.0, gt=0, le=50)
    floor_pct: float = Field(0.8, gt=0, lt=1)
    ratchet: bool = False
    max_exposure: float = Field(1.0, gt=0, le=1)
    min_exposure: float = Field(0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _order(self) -> CPPIParams:
        if self.min_exposure > self.max_exposure:
            raise ValueError("min_exposure exceeds max_exposure")
        if self.safe_asset == self.risky_asset:
            raise ValueError("safe_asset must differ from risky_asset")
        return self


def cppi_exposure(value: float, floor: float, multiplier: float, lo: float, hi: float) -> float:
    """Share of `value` in the risky asset: clip(m * max(V - F, 0) / V, lo, hi)."""
    cushion = max(value - floor, 0.0)
    return float(np.clip(multiplier * cushion / value, lo, hi))


@register
class CPPI(Strategy):
    name = "cppi"
    Params = CPPIParams
    params: CPPIParams

    @classmethod
    def resolve_universe(cls, params: CPPIParams, given: Sequence[str] | None,
                         universe: Universe) -> list[str]:
        if given is None:
            given = [params.risky_asset]
            if params.safe_asset and params.safe_asset != universe.cash_symbol:
                given.append(params.safe_asset)
        symbols = list(given)
        if params.risky_asset not in symbols:
            raise ValueError(f"risky_asset {params.risky_asset!r} is not in the portfolio's universe")
        safe = params.safe_asset
        if safe is not None and safe not in symbols and safe != universe.cash_symbol:
            raise ValueError(f"safe_asset {safe!r} is not in the portfolio's universe")
        return symbols

    @property
    def needs(self) -> Needs:
        return Needs(lookback=2, portfolio=True)

    def _floor(self, anchor: float, peak: float) -> float:
        return self.params.floor_pct * (peak if self.params.ratchet else anchor)

    def current_value(self, ctx: AllocationContext) -> tuple[float, float, float]:
        """(V_t, V_0, running peak including V_t): V_t is the portfolio's real value at the close
        of D before trading (what it holds, marked at D's prices), so skipped small tickets or a
        coarse calendar never make the floor logic see a cushion the portfolio does not have.
        Ratios (1, 1, 1) on the first date, before any NAV exists."""
        view = ctx.require_portfolio(self.name)
        if len(view.nav_history) == 0:
            return 1.0, 1.0, 1.0
        value = float(view.nav)
        if not (np.isfinite(value) and value > 0):
            raise AllocationError(f"cppi: no pre-trade NAV for {ctx.date.date()} (got {value!r})")
        values = view.nav_history.to_numpy(dtype=float)
        anchor, peak = float(values[0]), float(values.max())
        return value, anchor, max(peak, value)

    def allocate(self, ctx: AllocationContext) -> Allocation:
        """`with_cash({risky: E, safe: 1 - E})` as labels and values, in numpy."""
        p = self.params
        value, anchor, peak = self.current_value(ctx)
        e = cppi_exposure(value, self._floor(anchor, peak), p.multiplier, p.min_exposure, p.max_exposure)
        safe = p.safe_asset or ctx.cash_symbol
        if safe == ctx.cash_symbol:
            labels, risky = [p.risky_asset], np.array([e])
        else:
            labels, risky = [p.risky_asset, safe], np.array([e, 1.0 - e])
        risky = np.where(np.abs(risky) > 1e-15, risky, 0.0)
        cash = 1.0 - float(risky.sum())
        if abs(cash) < 1e-12:
            cash = 0.0
        return Allocation([*labels, ctx.cash_symbol], np.append(risky, cash))
