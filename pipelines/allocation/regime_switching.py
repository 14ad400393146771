"""Regime switching: blend a risk-on and a risk-off mix by the predicted risk-off probability.

At date D the risk-off classifier (models.walk_forward: the latest refit trained on data known
before D, fed the point-in-time features of D) gives p = P(next month is risk-off). With
`mode: blend` the weights are (1 - p) x risk_on + p x risk_off; with `mode: switch` they are the
risk-off mix when p >= `threshold`, else the risk-on mix. Before the first refit (or while
features warm up) `no_model` decides: the risk-on mix, an even blend, or an error. Rows record
the classifier version used.

Example portfolio params:

    strategy: regime_switching
    params:
      risk_on: {SPX: 0.8, UST10Y: 0.2}
      risk_off: {SPX: 0.2, UST10Y: 0.6, CASH: 0.2}
      mode: blend
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import pandas as pd
from pydantic import Field, field_validator

from pipelines.allocation.base import AllocationContext, AllocationError, Strategy, StrategyParams
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

    _check_on = field_validator("risk_on")(classmethod(lambda cls, v: _mix(v)))
    _check_off = field_validator("risk_off")(classmethod(lambda cls, v: _mix(v)))


@register
class RegimeSwitching(Strategy):
    name = "regime_switching"
    uses_models = True
    Params = RegimeSwitchingParams
    params: RegimeSwitchingParams
    model_version: str | None = None

    @classmethod
    def default_universe(cls, params: RegimeSwitchingParams, universe: Universe) -> list[str]:
        syms = dict.fromkeys([*params.risk_on, *params.risk_off])
        return [s for s in syms if s != universe.cash_symbol]

    @classmethod
    def check_universe(cls, params: RegimeSwitchingParams, symbols: Sequence[str],
                       universe: Universe) -> None:
        missing = [s for s in {**params.risk_on, **params.risk_off}
                   if s not in symbols and s != universe.cash_symbol]
        if missing:
            raise ValueError(f"risk_on/risk_off name symbols outside the portfolio's universe: {missing}")

    def probability(self, date: pd.Timestamp) -> float | None:
        """P(risk-off) at `date`, or None when no model was trained before it."""
        from models.registry import NoModelError
        from models.serving import risk_off_probability
        from pipelines.config import Settings

        try:
            p, version = risk_off_probability(Settings.from_env(), date)
        except NoModelError as exc:
            if self.params.no_model == "error":
                raise AllocationError(f"{self.name}: {exc}") from exc
            return None
        self.model_version = version
        return p

    def weights(self, ctx: AllocationContext) -> pd.Series:
        par = self.params
        p = self.probability(ctx.date)
        if p is None:
            p = 0.0 if par.no_model == "risk_on" else 0.5
        elif par.mode == "switch":
            p = 1.0 if p >= par.threshold else 0.0
        on = pd.Series(par.risk_on, dtype=float)
        off = pd.Series(par.risk_off, dtype=float)
        idx = on.index.union(off.index)
        w = (1 - p) * on.reindex(idx, fill_value=0.0) + p * off.reindex(idx, fill_value=0.0)
        return w / w.sum()
