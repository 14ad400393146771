"""Regime switching: blend a risk-on and a risk-off mix by the probability of the risk-off regime.

`model` chooses the regime model that gives p on date D, always the latest refit trained on data
known before D, fed only what is known at D's close:
- `classifier`: the risk-off classifier (models.walk_forward), p = P(next month is risk-off:
  its realised S&P 500 volatility above the training months' median);
- `mixture`, `hmm`, `jump`: a two-state causal regime model on daily S&P 500 excess-return
  features (models.causal_walk_forward: Gaussian mixture, Gaussian HMM forward-filtered,
  statistical jump model with its online assignment and the jump penalty chosen by walk-forward
  CV), p = P(bear state | data up to D), filtered, never smoothed (the jump model's p is 0 or 1).

With `mode: blend` the weights are (1 - p) x risk_on + p x risk_off; with `mode: switch` they are the
risk-off mix when p >= `threshold`, else the risk-on mix. Before the first refit (or while
features warm up) `no_model` decides: the risk-on mix, an even blend, or an error. Rows record
the model version used.

Example portfolio params:

    strategy: regime_switching
    params:
      risk_on: {SPX: 0.8, UST10Y: 0.2}
      risk_off: {SPX: 0.2, UST10Y: 0.6, CASH: 0.2}
      mode: blend
      model: jump
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import pandas as pd
from pydantic import Field, field_validator

from pipelines.allocation.base import Allocation, AllocationContext, AllocationError, Needs, Strategy, StrategyParams
from pipelines.allocation.registry import register

if TYPE_CHECKING:
    from pipelines.config import Universe


def _mix(w: dict[str, float]) -> dict[str, float]:
    if not w:
        raise ValueError("at least one weight is required")
    bad = {k: v for k, v in w.items() if not 0 <= v <= 1}
    if bad:
        raise ValueError(f"weights must lie in [0, 1]: {bad}")
    if abs(sum(w.values()) - 1) > 1e-9:
        raise ValueError(f"weights must sum to 1 (cash included), got {sum(w.values()):.6f}")
    return w


class RegimeSwitchingParams(StrategyParams):
    risk_on: dict[str, float]
    risk_off: dict[str, float]
    mode: Literal["blend", "switch"] = "blend"
    threshold: float = Field(0.5, gt=0, lt=1)
    no_model: Literal["risk_on", "neutral", "error"] = "neutral"
    model: Literal["classifier", "mixture", "hmm", "jump"] = "classifier"

    _check_on = field_validator("risk_on")(classmethod(lambda cls, v: _mix(v)))
    _check_off = field_validator("risk_off")(classmethod(lambda cls, v: _mix(v)))


@register
class RegimeSwitching(Strategy):
    name = "regime_switching"
    Params = RegimeSwitchingParams
    params: RegimeSwitchingParams

    @classmethod
    def resolve_universe(cls, params: RegimeSwitchingParams, given: Sequence[str] | None,
                         universe: Universe) -> list[str]:
        if given is None:
            syms = dict.fromkeys([*params.risk_on, *params.risk_off])
            return [s for s in syms if s != universe.cash_symbol]
        missing = [s for s in {**params.risk_on, **params.risk_off}
                   if s not in given and s != universe.cash_symbol]
        if missing:
            raise ValueError(f"risk_on/risk_off name symbols outside the portfolio's universe: {missing}")
        return list(given)

    @property
    def needs(self) -> Needs:
        return Needs(models=True)

    def allocate(self, ctx: AllocationContext) -> Allocation:
        par = self.params
        models = ctx.require_models(self.name)
        out = models.risk_off() if par.model == "classifier" else models.bear(par.model)
        p = out.value
        if p is None:
            if par.no_model == "error":
                which = "risk-off" if par.model == "classifier" else f"{par.model} regime"
                raise AllocationError(f"{self.name}: no {which} model trained before {ctx.date.date()}")
            p = 0.0 if par.no_model == "risk_on" else 0.5
        elif par.mode == "switch":
            p = 1.0 if p >= par.threshold else 0.0
        on = pd.Series(par.risk_on, dtype=float)
        off = pd.Series(par.risk_off, dtype=float)
        idx = on.index.union(off.index)
        w = (1 - p) * on.reindex(idx, fill_value=0.0) + p * off.reindex(idx, fill_value=0.0)
        return Allocation.of(w / w.sum(), out.version)
