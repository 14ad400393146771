"""Volatility targeting overlay: scale a base strategy's risky weights so that the portfolio's
estimated volatility equals `target_vol`; the remainder goes to cash.

    scale = min(max_exposure, target_vol / sigma_base),  sigma_base = sqrt(252 * w' Sigma w)

over the base's risky weights w and the trailing covariance Sigma. `max_exposure` caps the
leverage: above 1 the cash weight goes negative (borrowing), which the portfolio must allow
(`allow_leverage: true`, `max_leverage`); without it the trade step scales risky buys back to
the cash available. When the volatility cannot be estimated (an asset the base holds lacks
`min_history_days` returns) `fallback` decides: `base` (unscaled base weights), `cash`, `error`.
The base strategy is any registered strategy except path-dependent ones (cppi) and vol_target
itself; its parameters are validated when the config loads.

Example portfolio params:

    strategy: vol_target
    universe: [SPX, UST10Y]
    params:
      target_vol: 0.08
      window_days: 63
      max_exposure: 1.0
      base_strategy: static_mix
      base_params: {weights: {SPX: 0.6, UST10Y: 0.4}}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator

from pipelines.allocation.base import Allocation, AllocationContext, AllocationError, Needs, Strategy, StrategyParams
from pipelines.allocation.covariance import TRADING_DAYS, CovarianceMethod, estimate_covariance
from pipelines.allocation.inputs import return_window, with_cash_parts
from pipelines.allocation.registry import get_strategy_class, register

if TYPE_CHECKING:
    from pipelines.config import Universe

NOT_OVERLAYABLE = {"vol_target", "cppi"}


class VolTargetParams(StrategyParams):
    target_vol: float = Field(gt=0, le=2, description="annualised volatility target")
    base_strategy: str
    base_params: Any = None
    window_days: int = Field(63, ge=2, le=2520)
    min_history_days: int = Field(42, ge=2)
    covariance: CovarianceMethod = "sample"
    halflife_days: float = Field(21.0, gt=0)
    max_exposure: float = Field(1.0, gt=0, le=10)
    fallback: Literal["base", "cash", "error"] = "base"

    @model_validator(mode="after")
    def _resolve_base(self) -> VolTargetParams:
        if self.min_history_days > self.window_days:
            raise ValueError(f"min_history_days ({self.min_history_days}) exceeds window_days "
                             f"({self.window_days})")
        if self.base_strategy in NOT_OVERLAYABLE:
            raise ValueError(f"base_strategy {self.base_strategy!r} cannot be overlaid")
        try:
            cls = get_strategy_class(self.base_strategy)
        except KeyError as exc:
            raise ValueError(f"base_strategy: {exc.args[0]}") from None
        if not isinstance(self.base_params, StrategyParams):
            try:
                parsed = cls.Params.model_validate(self.base_params or {})
            except ValidationError as exc:
                detail = "; ".join(f"base_params.{'.'.join(str(x) for x in e['loc'])}: {e['msg']}"
                                   for e in exc.errors())
                raise ValueError(detail) from None
            object.__setattr__(self, "base_params", parsed)
        return self


@register
class VolTarget(Strategy):
    name = "vol_target"
    Params = VolTargetParams
    params: VolTargetParams

    def __init__(self, params: VolTargetParams) -> None:
        super().__init__(params)
        self.base = get_strategy_class(params.base_strategy)(params.base_params)

    @classmethod
    def resolve_universe(cls, params: VolTargetParams, given: Sequence[str] | None,
                         universe: Universe) -> list[str]:
        return get_strategy_class(params.base_strategy).resolve_universe(params.base_params, given, universe)

    @property
    def needs(self) -> Needs:
        base = self.base.needs
        return Needs(lookback=max(base.lookback, self.params.window_days + 1), models=base.models,
                     portfolio=base.portfolio, borrowing=self.params.max_exposure > 1)

    def allocate(self, ctx: AllocationContext) -> Allocation:
        """The base weights scaled to the volatility target, as labels and values."""
        p = self.params
        base, version = self.base.target(ctx)
        order = ctx.order
        if ctx.cash_symbol in ctx.symbols:  # not a portfolio the engine builds; keep labels exact
            keep = np.array([s != ctx.cash_symbol for s in order])
            symbols = [s for s, k in zip(order, keep, strict=True) if k]
            risky = base[keep]
        else:
            symbols, risky = list(ctx.symbols), base[:-1]
        held_at = np.flatnonzero(risky > 0)
        held = [symbols[i] for i in held_at]
        if not held:
            return Allocation(order, base, version)
        win = return_window(ctx, held, p.window_days, p.min_history_days)
        if win.symbols != held:
            reason = f"no volatility estimate for {win.excluded} on {ctx.date.date()}"
            if p.fallback == "error":
                raise AllocationError(f"{self.name}: {reason}")
            if p.fallback == "base":
                return Allocation(order, base, version)
            return Allocation([ctx.cash_symbol], np.array([1.0]), version)
        w = risky[held_at]
        cov = estimate_covariance(win.returns, p.covariance, p.halflife_days, symbols=win.symbols,
                                  models=ctx.models if p.covariance == "factor" else None)
        vol = float(np.sqrt(max(w @ cov @ w, 0.0) * TRADING_DAYS))
        scale = p.max_exposure if vol <= 0 else min(p.max_exposure, p.target_vol / vol)
        return Allocation(*with_cash_parts(symbols, risky * scale, ctx.cash_symbol), version)
